"""Demo dossiers in various states (spec/api.md "Demo data"), built through the real use cases.

Run by `flask --app app seed-demo` (and so by `make run`) only when no dossier exists yet, so every page has
something to show on a fresh install; the test suite seeds people and users only.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select

from app.domain.calendar import local_date
from app.models import Dossier, OpenTask, User, db
from app.procedures import get as get_procedure
from app.services import dossiers, tasks
from app.services.collaborators import collaborators
from app.services.jobs import run_pending

SIGN = {"decision": "sign", "signer_title": "chu_tich"}
BIRTH_STEPS: list[tuple[str, str, dict[str, Any]]] = [
    ("reception", "reception_check", {"decision": "accept"}),
    ("officer", "officer_examine", {"decision": "approve"}),
    ("officer", "register_sign", {"mode": "in_person", "officer_signed": True}),
    ("chairman", "chairman_sign", SIGN),
    ("reception", "return_result", {"delivered_via": "counter"}),
]


def _user(username: str) -> User:
    user = db.session.scalars(select(User).where(User.username == username)).one()
    return user


def _birth(
    commune: str,
    child: str,
    sex: str,
    mother: str,
    father: str,
    requester: tuple[str, str],
    today: date,
    days_old: int,
) -> dict[str, Any]:
    born = today - timedelta(days=days_old)
    return {
        "procedure": "birth",
        "commune_code": commune,
        "channel": "counter",
        "data": {
            "requester": {
                "full_name": requester[1],
                "personal_id": requester[0],
                "relationship": "father",
                "phone": "0912345678",
            },
            "copies": 1,
            "child": {
                "full_name": child,
                "birth_date": born.isoformat(),
                "sex": sex,
                "ethnicity": "Kinh",
                "nationality": "Việt Nam",
                "birth_place": "Bệnh viện Phụ sản Hà Nội, Phường Láng, Thành phố Hà Nội",
                "home_town": "Thành phố Hà Nội",
            },
            "mother": {"personal_id": mother},
            "father": {"personal_id": father},
            "birth_certificate": {
                "number": f"BV-{born:%Y}-{days_old:05d}",
                "issuer": "Bệnh viện Phụ sản Hà Nội",
                "issued_on": born.isoformat(),
            },
        },
    }


def _advance(code: str, commune_users: dict[str, str], steps: list[tuple[str, str, dict[str, Any]]]) -> None:
    dossier = db.session.scalars(select(Dossier).where(Dossier.code == code)).one()
    for role, key, form in steps:
        run_pending()
        task_id = db.session.scalars(
            select(OpenTask.id).where(OpenTask.dossier_id == dossier.id, OpenTask.task_key == key)
        ).first()
        if task_id is None:
            return
        tasks.complete_task(_user(commune_users[role]), task_id, {"data": form})
    run_pending()


def seed_demo_dossiers() -> int:
    """Create the demo dossiers unless any dossier exists; returns how many were created."""
    if db.session.scalar(select(func.count()).select_from(Dossier)):
        return 0
    today = local_date(collaborators().clock.now())
    hk = {r: f"{r}.hoankiem" for r in ("reception", "officer", "chairman")}
    bd = {r: f"{r}.badinh" for r in ("reception", "officer", "chairman")}
    an = ("001095012345", "Nguyễn Văn An")
    nam = ("001092034567", "Lê Hoàng Nam")
    hai = ("001094005678", "Bùi Văn Hải")
    son = ("001091007890", "Trịnh Công Sơn")
    plan = [
        (hk, _birth("00070", "Nguyễn Thị Ánh Dương", "female", "001196023456", an[0], an, today, 5), 0),
        (hk, _birth("00070", "Lê Minh Khang", "male", "001193045678", nam[0], nam, today, 12), 1),
        (hk, _birth("00070", "Nguyễn Bảo Ngọc", "female", "001196023456", an[0], an, today, 75), 3),
        (hk, _birth("00070", "Lê Thu Hà", "female", "001193045678", nam[0], nam, today, 20), 5),
        (bd, _birth("00004", "Bùi Gia Huy", "male", "001195006789", hai[0], hai, today, 3), 0),
        (bd, _birth("00004", "Trịnh Khánh Linh", "female", "001192008901", son[0], son, today, 30), 4),
    ]
    created = 0
    for users, payload, steps in plan:
        dossier, _ = dossiers.submit_dossier(_user(users["reception"]), payload)
        _advance(dossier.code, users, BIRTH_STEPS[:steps])
        created += 1
    # the marriage and the death are the procedure records' own sample dossiers (the test-run uses them too)
    dossier, _ = dossiers.submit_dossier(_user(hk["reception"]), _sample("marriage", "00070", today))
    _advance(dossier.code, hk, BIRTH_STEPS[:1])
    created += 1
    dossiers.submit_dossier(_user(hk["reception"]), _sample("death", "00070", today))
    run_pending()
    return created + 1


def _sample(procedure: str, commune_code: str, today: date) -> dict[str, Any]:
    """The procedure record's sample dossier as a submission for the commune."""
    sample = get_procedure(procedure).sample
    assert sample is not None, f"{procedure} has no sample dossier"
    return {"procedure": procedure, "commune_code": commune_code, **sample(today)}
