"""Issue #12 §4: the training space at /training/ — its own database and registry stand-in, the same
processes and forms, a banner and a watermark, and nothing of it reaching the real register."""

from __future__ import annotations

import hashlib
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Dossier, Person
from app.services.jobs import run_pending
from app.training import WATERMARK, training_app
from app.training.models import Attempt
from tests.api_client import Api, birth_submission

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def training(app: Any, tmp_path: Path) -> Any:
    app.config["HOTICH_TRAINING_DATABASE_URL"] = f"sqlite:///{tmp_path / 'training.db'}"
    return training_app(app)


def real_database(app: Any) -> str:
    """Every row of every table of the real database, in a stable order, as one hash."""
    digest = hashlib.sha256()
    with app.app_context():
        for table in db.metadata.sorted_tables:
            rows = db.session.execute(select(table)).all()
            digest.update(table.name.encode())
            for row in sorted(repr(tuple(r)) for r in rows):
                digest.update(row.encode())
        db.session.remove()
    return digest.hexdigest()


def files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob("*")) if folder.exists() else []


def jobs(app: Any) -> None:
    with app.app_context():
        run_pending()
        db.session.remove()


def test_a_training_birth_end_to_end_leaves_the_real_database_and_registry_untouched(
    app: Any, client: Any, training: Any, tmp_path: Path
) -> None:
    before, outbox = real_database(app), files(tmp_path / "outbox")
    api = Api(client, prefix="/training", app=training)
    resp = api.post("reception.hoankiem", "/dossiers", json=birth_submission())
    assert resp.status_code == 201, resp.get_json()
    code = resp.get_json()["code"]
    jobs(training)
    assert (
        api.complete("reception.hoankiem", code, "reception_check", {"decision": "accept"}).status_code == 200
    )
    assert (
        api.complete("officer.hoankiem", code, "officer_examine", {"decision": "approve"}).status_code == 200
    )
    jobs(training)
    sign = {"decision": "sign", "signer_title": "chu_tich"}
    assert api.complete("chairman.hoankiem", code, "chairman_sign", sign).status_code == 200
    jobs(training)
    assert (
        api.complete("reception.hoankiem", code, "return_result", {"delivered_via": "counter"}).status_code
        == 200
    )
    dossier = api.get("reception.hoankiem", f"/dossiers/{code}").get_json()
    assert dossier["status"] == "completed" and dossier["result"]["personal_id"]
    # the child now exists in the training registry, and only there
    with training.app_context():
        assert db.session.get(Person, dossier["result"]["personal_id"]) is not None
        db.session.remove()
    with app.app_context():
        assert db.session.get(Person, dossier["result"]["personal_id"]) is None
        assert db.session.scalars(select(Dossier).where(Dossier.code == code)).first() is None
        db.session.remove()
    # the certificate says it has no legal value
    pdf = api.get("reception.hoankiem", f"/dossiers/{code}/documents/giay_khai_sinh")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    (tmp_path / "gks.pdf").write_bytes(pdf.data)
    text = subprocess.run(
        ["pdftotext", str(tmp_path / "gks.pdf"), "-"], capture_output=True, text=True
    ).stdout
    assert WATERMARK in " ".join(text.split())
    # nothing of it reached the real database (register, numbering, registry, audit, statistics) or its mail
    assert real_database(app) == before
    assert files(tmp_path / "outbox") == outbox
    assert files(tmp_path / "training-outbox")  # the status mails stayed in training, as files


def _login(client: Any, username: str) -> str:
    token = CSRF.search(client.get("/training/login").get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    resp = client.post(
        "/training/login", data={"username": username, "password": "demo12345", "csrf_token": token}
    )
    assert resp.status_code in (302, 303), resp.get_data(as_text=True)[:500]
    page = client.get("/training/exercises/").get_data(as_text=True)
    return CSRF.search(page).group(1)  # type: ignore[union-attr]  # the session's token after the login


def _exercise_id(html: str, title: str) -> int:
    row = re.search(re.escape(title) + r".*?/training/exercises/(\d+)/start", html, re.S)
    assert row, "exercise not listed"
    return int(row.group(1))


def test_an_official_works_an_exercise_and_is_scored_and_the_trainer_sees_it(app: Any, training: Any) -> None:
    officer = app.test_client()
    token = _login(officer, "officer.hoankiem")
    html = officer.get("/training/exercises/").get_data(as_text=True)
    assert "TẬP HUẤN" in html and "Bài tập tập huấn nghiệp vụ" in html
    exercise = _exercise_id(html, "Kết hôn: bên nữ còn thiếu một ngày mới đủ 18 tuổi")
    resp = officer.post(f"/training/exercises/{exercise}/start", data={"csrf_token": token})
    assert resp.status_code == 303 and "/training/tasks/" in resp.headers["Location"]
    task_page = officer.get(resp.headers["Location"]).get_data(as_text=True)
    assert "KH-01" in task_page  # the planted problem is found by the rules, as on a real dossier
    with training.app_context():
        attempt = db.session.scalars(select(Attempt)).one()
        code = attempt.dossier_code
        db.session.remove()
    api = Api(officer, prefix="/training", app=training)
    refusal = {"decision": "refuse", "reasons": ["Bên nữ chưa đủ 18 tuổi (KH-01)"]}
    assert api.complete("officer.hoankiem", code, "officer_examine", refusal).status_code == 200
    result = officer.get(f"/training/exercises/attempts/{attempt.id}").get_data(as_text=True)
    assert "100/100" in result and "Điều 8(1)(a)" in result

    trainer = app.test_client()
    trainer_token = _login(trainer, "department")
    results = trainer.get("/training/exercises/results").get_data(as_text=True)
    assert "officer.hoankiem" in results and "100/100" in results
    # another trainee cannot read this attempt
    other = app.test_client()
    _login(other, "officer.badinh")
    assert other.get(f"/training/exercises/attempts/{attempt.id}").status_code == 404
    # the trainer resets the trainee's space: the attempt and its dossier are gone from training
    resp = trainer.post(
        "/training/exercises/reset", data={"csrf_token": trainer_token, "trainee": "officer.hoankiem"}
    )
    assert resp.status_code == 303
    with training.app_context():
        assert db.session.scalars(select(Attempt)).first() is None
        assert db.session.scalars(select(Dossier).where(Dossier.code == code)).first() is None
        db.session.remove()


def test_a_wrong_decision_loses_the_decision_points_and_is_explained(app: Any, training: Any) -> None:
    officer = app.test_client()
    token = _login(officer, "officer.hoankiem")
    html = officer.get("/training/exercises/").get_data(as_text=True)
    exercise = _exercise_id(html, "Khai tử: đăng ký sau 20 ngày kể từ ngày chết")
    officer.post(f"/training/exercises/{exercise}/start", data={"csrf_token": token})
    with training.app_context():
        attempt = db.session.scalars(select(Attempt)).one()
        db.session.remove()
    api = Api(officer, prefix="/training", app=training)
    wrong = {"decision": "refuse", "reasons": ["Quá hạn đăng ký khai tử"]}
    assert api.complete("officer.hoankiem", attempt.dossier_code, "officer_examine", wrong).status_code == 200
    result = officer.get(f"/training/exercises/attempts/{attempt.id}").get_data(as_text=True)
    assert "10/100" in result and "chưa đúng" in result and "Điều 33(1)" in result


def test_the_department_writes_an_exercise_and_bad_input_is_named(app: Any, training: Any) -> None:
    trainer = app.test_client()
    token = _login(trainer, "department")
    bad = trainer.post(
        "/training/exercises/new",
        data={"csrf_token": token, "title": "", "procedure": "birth", "expected_decision": "x", "data": "{"},
    )
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "«Tên bài tập»" in text and "không phải JSON hợp lệ" in text
    data = birth_submission()["data"]
    data["requester"]["relationship"] = "authorized"
    import json

    good = trainer.post(
        "/training/exercises/new",
        data={
            "csrf_token": token,
            "title": "Khai sinh: thiếu văn bản ủy quyền (2)",
            "procedure": "birth",
            "expected_decision": "supplement",
            "expected_rule": "ks-08",
            "explanation": "Cần văn bản ủy quyền.",
            "data": json.dumps(data, ensure_ascii=False),
        },
    )
    assert good.status_code == 303
    listing = trainer.get("/training/exercises/").get_data(as_text=True)
    assert "Khai sinh: thiếu văn bản ủy quyền (2)" in listing and "KS-08" in listing


def test_training_is_separate_from_the_real_session_and_pages(app: Any, training: Any) -> None:
    browser = app.test_client()
    _login(browser, "officer.hoankiem")
    # logged in to training only: the real pages still ask for a login
    assert browser.get("/inbox").status_code in (302, 303)
    assert "TẬP HUẤN" in browser.get("/training/inbox").get_data(as_text=True)
    real = app.test_client()
    token = CSRF.search(real.get("/login").get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    real.post("/login", data={"username": "officer.hoankiem", "password": "demo12345", "csrf_token": token})
    page = real.get("/inbox").get_data(as_text=True)
    assert "TẬP HUẤN</strong>" not in page and "/training/exercises/" in page  # the way in, no banner
