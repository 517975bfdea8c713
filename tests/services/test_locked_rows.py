"""What a command reads with its dossier lock (attachments, document names) is as current as a separate read:
a supplement's attachments reach the rules and the new appointment slip, a re-issued slip gets a new name."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.models import Document, Dossier
from tests.api_client import Api, birth_submission
from tests.services.procedures import (
    OFFICER,
    RECEPTION,
    accept,
    attachment,
    blocked_rules,
    complete,
    documents,
    jobs,
    submit,
    verified,
)


def _slips(app: Any, code: str) -> dict[str, dict[str, Any]]:
    with app.app_context():
        dossier_id = db.session.scalar(select(Dossier.id).where(Dossier.code == code))
        rows = db.session.scalars(
            select(Document).where(Document.dossier_id == dossier_id, Document.kind == "appointment_slip")
        ).all()
        out = {d.name: dict(d.context) for d in rows}
        db.session.remove()
        return out


def test_a_supplements_attachment_reaches_the_rules_and_the_second_slip(app: Any, client: Any) -> None:
    api = Api(client)
    payload = birth_submission()
    payload["data"].pop("birth_certificate")
    code = submit(api, app, payload)
    accept(api, code)
    assert blocked_rules(api, code) == ["C10"]
    complete(api, OFFICER, code, "officer_examine", {"decision": "supplement", "note": "Nộp giấy cam đoan"})
    resp = api.post(
        RECEPTION,
        f"/dossiers/{code}/supplement",
        json={"data": {}, "attachments": [attachment("birth_undertaking", "cam_doan.pdf")]},
    )
    assert resp.status_code == 200, resp.get_json()
    jobs(app)
    accept(api, code)
    # the lookup feed-back ran the rules with the new attachment: C10 no longer blocks the approval
    assert api.complete(OFFICER, code, "officer_examine", {"decision": "approve"}).status_code == 200
    slips = _slips(app, code)
    assert set(slips) == {"phieu_hen", "phieu_hen_2"}  # the second slip does not take the first one's name
    assert not any("cam_doan.pdf" in line for line in slips["phieu_hen"]["documents"])
    assert any("cam_doan.pdf" in line for line in slips["phieu_hen_2"]["documents"])
    assert {"phieu_hen", "phieu_hen_2"} <= documents(api, code)
    verified(api, code)
