"""Daily anchors: written by the CLI or the worker, downloaded by auditors, and a kept anchor contradicts a
later rewrite even one made with the key — naming the dossiers whose history differs."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update

from app.extensions import db
from app.models import AuditAnchor, AuditHead, Dossier
from app.services.audit import head_message, state_components, state_digest, visible_state
from app.services.audit_anchor import anchor_if_due
from app.services.audit_keys import keyring
from tests.api_client import Api
from tests.page_client import Pages
from tests.services.audit_flows import completed_birth, rewrite_event, verdict
from tests.services.procedures import marriage_submission, submit


def _anchor(app: Any, api: Api, tmp_path: Path) -> tuple[dict[str, Any], Path]:
    out = app.test_cli_runner().invoke(args=["write-anchor"])
    assert out.exit_code == 0, out.output
    day = api.get("auditor", "/audit/anchors").get_json()[0]["day"]
    resp = api.get("auditor", f"/audit/anchors/{day}")
    assert resp.status_code == 200 and "attachment" in resp.headers["Content-Disposition"]
    body = json.loads(resp.get_data(as_text=True))
    assert body["root"] in out.output  # the CLI prints what the auditor keeps
    path = tmp_path / f"anchor-{day}.json"
    path.write_bytes(resp.get_data())
    return body, path


def _verify_anchor(app: Any, path: Path) -> tuple[int, dict[str, Any]]:
    out = app.test_cli_runner().invoke(args=["verify-anchor", str(path)])
    return out.exit_code, json.loads(out.output)


@pytest.fixture
def two_dossiers(app: Any, client: Any) -> tuple[Api, str, str]:
    api = Api(client)
    birth = completed_birth(app, api)
    marriage = submit(api, app, marriage_submission())
    return api, birth, marriage


def test_a_kept_anchor_verifies_while_dossiers_move_on(app: Any, two_dossiers: Any, tmp_path: Path) -> None:
    api, birth, marriage = two_dossiers
    anchor, path = _anchor(app, api, tmp_path)
    assert anchor["count"] == 2 and [h[0] for h in anchor["heads"]] == sorted([birth, marriage])
    code, result = _verify_anchor(app, path)
    assert code == 0 and result["ok"] and result["root_ok"] and result["mac_ok"]
    # new events after the anchor are the normal course of a dossier, not a contradiction
    api.complete("reception.hoankiem", marriage, "reception_check", {"decision": "accept"})
    code, result = _verify_anchor(app, path)
    assert code == 0 and result["ok"] and result["differs"] == [] and result["stored_matches"] is True


def test_a_rewrite_with_the_key_contradicts_the_kept_anchor(
    app: Any, two_dossiers: Any, tmp_path: Path
) -> None:
    api, birth, marriage = two_dossiers
    anchor, path = _anchor(app, api, tmp_path)
    rewrite_event(app, birth, 3, with_key=True, actor="officer.badinh")
    assert verdict(api, birth)["chain_ok"] is True  # the insider's rewrite authenticates …
    code, result = _verify_anchor(app, path)
    assert code == 1 and result["ok"] is False  # … but not against what the auditor kept
    assert [(d["code"], d["reason"]) for d in result["differs"]] == [(birth, "event_rewritten")]


def test_a_state_resealed_with_the_key_contradicts_the_kept_anchor(
    app: Any, two_dossiers: Any, tmp_path: Path
) -> None:
    api, birth, marriage = two_dossiers
    _kept, path = _anchor(app, api, tmp_path)
    with app.app_context():
        d = db.session.scalars(select(Dossier).where(Dossier.code == marriage)).one()
        d.status = "completed"
        db.session.flush()
        components = state_components(visible_state(d))
        digest = state_digest(components)
        key_id, mac = keyring().mac(head_message(marriage, d.last_event_seq, d.last_event_hash, digest))
        db.session.execute(
            update(AuditHead)
            .where(AuditHead.dossier_id == d.id)
            .values(components=components, state_digest=digest, key_id=key_id, mac=mac)
        )
        db.session.commit()
        db.session.remove()
    _code, result = _verify_anchor(app, path)
    assert [(d["code"], d["reason"]) for d in result["differs"]] == [(marriage, "state_changed")]


def test_an_edited_anchor_file_or_a_rewritten_stored_anchor_is_reported(
    app: Any, two_dossiers: Any, tmp_path: Path
) -> None:
    api, birth, marriage = two_dossiers
    anchor, path = _anchor(app, api, tmp_path)
    edited = {**anchor, "heads": [[birth, 1, "0" * 64, "0" * 64], *anchor["heads"][1:]]}
    path.write_text(json.dumps(edited))
    code, result = _verify_anchor(app, path)
    assert code == 1 and result["root_ok"] is False
    path.write_text(json.dumps(anchor))
    with app.app_context():
        db.session.execute(update(AuditAnchor).values(root="f" * 64))
        db.session.commit()
        db.session.remove()
    code, result = _verify_anchor(app, path)
    assert code == 1 and result["root_ok"] is True and result["stored_matches"] is False


def test_one_anchor_per_day_and_the_worker_writes_it_in_the_last_hour(app: Any, two_dossiers: Any) -> None:
    again = app.test_cli_runner().invoke(args=["write-anchor"])
    assert again.exit_code == 0
    assert app.test_cli_runner().invoke(args=["write-anchor"]).exit_code != 0  # never replaced
    with app.app_context():
        db.session.execute(AuditAnchor.__table__.delete())
        db.session.commit()
        assert anchor_if_due(datetime(2026, 3, 10, 15, 0, tzinfo=UTC)) is None  # 22:00 in Hà Nội
        written = anchor_if_due(datetime(2026, 3, 10, 16, 30, tzinfo=UTC))  # 23:30
        assert written is not None and written.count == 2
        assert anchor_if_due(datetime(2026, 3, 10, 16, 45, tzinfo=UTC)) is None
        assert db.session.scalar(select(func.count()).select_from(AuditAnchor)) == 1
        db.session.remove()


@pytest.mark.parametrize(
    ("user", "status"),
    [("auditor", 200), ("admin", 200), ("officer.hoankiem", 403), ("analyst", 403), ("portal", 403)],
)
def test_who_reads_anchors(app: Any, client: Any, user: str, status: int) -> None:
    api = Api(client)
    assert app.test_cli_runner().invoke(args=["write-anchor"]).exit_code == 0
    listed = api.get(user, "/audit/anchors")
    assert listed.status_code == status
    if status == 200:
        day = listed.get_json()[0]["day"]
        anchor = api.get(user, f"/audit/anchors/{day}").get_json()
        assert api.post(user, "/audit/anchors/check", json=anchor).get_json()["ok"] is True
    assert api.get("auditor", "/audit/anchors/2026-13-40").status_code == 400
    assert api.get("auditor", "/audit/anchors/2020-01-01").status_code == 404
    assert api.post("auditor", "/audit/anchors/check", json={"format": "x"}).status_code == 422


def test_the_anchor_page_checks_an_uploaded_anchor_and_names_the_dossier(
    app: Any, two_dossiers: Any, tmp_path: Path
) -> None:
    api, birth, marriage = two_dossiers
    anchor, path = _anchor(app, api, tmp_path)
    rewrite_event(app, birth, 2, with_key=True, actor="reception.badinh")
    pages = Pages(app)
    pages.login("auditor")
    listing = pages.get("/audit/anchors").get_data(as_text=True)
    assert anchor["root"] in listing
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(AuditAnchor))
        db.session.remove()
    resp = pages.post("/audit/anchors/check", {"file": (io.BytesIO(path.read_bytes()), "anchor.json")})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and birth in page and marriage not in page.split("Các mốc neo")[0]
    assert "nhật ký bị viết lại" in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditAnchor)) == before  # nothing written
        db.session.remove()
    officer = Pages(app)
    officer.login("officer.hoankiem")
    assert officer.get("/audit/anchors").status_code == 403


def test_an_auditor_limited_to_some_communes_keeps_and_checks_the_same_anchor(
    app: Any, two_dossiers: Any, tmp_path: Path
) -> None:
    """The file holds codes and hashes only; the check names the auditor's own dossiers that differ and
    counts the others."""
    from app.models import User

    api, birth, marriage = two_dossiers
    anchor, path = _anchor(app, api, tmp_path)
    rewrite_event(app, birth, 2, with_key=True, actor="reception.badinh")
    city = api.post("auditor", "/audit/anchors/check", json=anchor).get_json()
    assert city["ok"] is False and [d["code"] for d in city["differs"]] == [birth]
    assert "differs_outside_scope" not in city
    for scope, mine, outside in (("00070", [birth], 0), ("00004", [], 1)):
        with app.app_context():
            db.session.query(User).filter_by(username="auditor").update({"scope_csv": scope})
            db.session.commit()
            db.session.remove()
        api.tokens.clear()
        day = api.get("auditor", "/audit/anchors").get_json()[0]["day"]
        assert api.get("auditor", f"/audit/anchors/{day}").get_json()["root"] == anchor["root"]
        result = api.post("auditor", "/audit/anchors/check", json=anchor).get_json()
        assert result["ok"] is False and [d["code"] for d in result["differs"]] == mine
        assert result["differs_outside_scope"] == outside
    pages = Pages(app)
    pages.login("auditor")
    page = pages.post("/audit/anchors/check", {"file": (io.BytesIO(path.read_bytes()), "anchor.json")})
    assert "còn 1 hồ sơ có nhật ký khác với mốc neo" in page.get_data(as_text=True)
