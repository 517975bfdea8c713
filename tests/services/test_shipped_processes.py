"""The three shipped diagrams validate cleanly and keep the task contract of api.md."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app.engine.definition import load_definition
from tests.api_client import Api

PROCESSES = Path(__file__).resolve().parents[2] / "processes"
USER_TASKS = {
    "birth_registration": {
        "reception_check",
        "officer_examine",
        "chairman_sign",
        "chairman_sign_refusal",
        "return_result",
        "register_sign",
    },
    "marriage_registration": {
        "reception_check",
        "verification_overdue",
        "officer_examine",
        "chairman_sign",
        "chairman_sign_refusal",
        "marriage_handover",
    },
    "death_registration": {
        "reception_check",
        "officer_examine",
        "chairman_sign",
        "chairman_sign_refusal",
        "return_result",
        "register_sign",
    },
}


@pytest.mark.parametrize("key", sorted(USER_TASKS))
def test_shipped_diagram_validates_without_errors_or_warnings(app: Any, client: Any, key: str) -> None:
    xml = (PROCESSES / key / f"{key}.bpmn").read_bytes()
    resp = Api(client).post(
        "analyst", f"/processes/{key}/validate", data=xml, headers={"Content-Type": "application/xml"}
    )
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json() == {"ok": True, "errors": [], "warnings": []}


@pytest.mark.parametrize("key", sorted(USER_TASKS))
def test_user_tasks_roles_and_blocked_approval(key: str) -> None:
    definition = load_definition((PROCESSES / key / f"{key}.bpmn").read_bytes(), key)
    assert set(definition.user_tasks) == USER_TASKS[key]
    assert definition.user_tasks["officer_examine"].blocked_decisions == ("approve",)
    assert definition.user_tasks["reception_check"].due_working_days == 1
    roles = {name: info.role for name, info in definition.user_tasks.items()}
    assert roles["chairman_sign"] == roles["chairman_sign_refusal"] == "chairman"
    assert roles["officer_examine"] == "officer" and roles["reception_check"] == "reception"
