"""Issue #9 §6: two versions compared on the diagram — the page marks what the API's diff names."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from tests.page_client import Pages

BIRTH = Path("processes/birth_registration/birth_registration.bpmn")


def _deploy_second_version(app: Any) -> None:
    """Version 2 of the birth process: one task renamed (changed); nothing added or removed."""
    from app.extensions import db
    from app.models import User
    from app.services.processes import deploy_version

    xml = BIRTH.read_text(encoding="utf-8")
    changed = re.sub(r'(<bpmn:userTask id="officer_examine" name=")[^"]*"', r'\1Thẩm tra hồ sơ (sửa)"', xml)
    assert changed != xml
    with app.app_context():
        analyst = db.session.query(User).filter_by(username="analyst").one()
        deploy_version("birth_registration", changed.encode("utf-8"), analyst)
        db.session.remove()


def _markers(html: str) -> list[dict[str, list[str]]]:
    found = re.findall(r'data-markers="([^"]*)"', html)
    return [json.loads(m.replace("&#34;", '"').replace("&quot;", '"')) for m in found]


def test_the_diff_page_marks_the_changed_task_on_both_diagrams(app: Any, client: Any) -> None:
    _deploy_second_version(app)
    pages = Pages(app)
    pages.login("analyst")
    listing = pages.text("/processes")
    assert "/processes/birth_registration/diff" in listing
    html = pages.text("/processes/birth_registration/diff")
    assert "So sánh phiên bản 1 và 2" in html
    assert "officer_examine" in html and "Thẩm tra hồ sơ (sửa)" in html
    older, newer = _markers(html)
    assert older == {"removed": [], "changed": ["officer_examine"]}
    assert newer == {"added": [], "changed": ["officer_examine"]}
    # the same ids as the JSON API
    from tests.api_client import Api

    api = Api(client)
    body = api.get("analyst", "/processes/birth_registration/diff?from=1&to=2").get_json()
    assert body == {"added": [], "removed": [], "changed": ["officer_examine"]}


def test_an_unknown_version_is_a_clear_refusal_and_other_roles_are_refused(app: Any) -> None:
    _deploy_second_version(app)
    pages = Pages(app)
    pages.login("analyst")
    resp = pages.get("/processes/birth_registration/diff?from=9&to=2")
    assert resp.status_code == 400 and "phiên bản đã triển khai" in resp.get_data(as_text=True)
    assert pages.get("/processes/khong_co/diff").status_code == 404
    officer = Pages(app)
    officer.login("officer.hoankiem")
    assert officer.get("/processes/birth_registration/diff").status_code == 403
