"""Demo data of spec/api.md: two Hà Nội wards, one user per role, a few dozen registry persons."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from vietnam_provinces import Province, ProvinceCode, Ward, WardCode

from app.integrations.registry import new_person
from app.models import Commune, Counter, Person, User, db
from app.services.auth import hash_password
from app.services.processes import deploy_shipped_processes
from app.services.transaction import write
from app.services.working_calendar import GENERATION_KEY, bump_generation

DEMO_COMMUNES = ("00070", "00004")
DEMO_USERS: list[tuple[str, str, str, str | None]] = [
    ("reception.hoankiem", "Nguyễn Thị Thu Hà", "reception", "00070"),
    ("officer.hoankiem", "Trần Văn Minh", "officer", "00070"),
    ("chairman.hoankiem", "Lê Quang Huy", "chairman", "00070"),
    ("reception.badinh", "Phạm Thị Lan", "reception", "00004"),
    ("officer.badinh", "Đỗ Đức Thắng", "officer", "00004"),
    ("chairman.badinh", "Vũ Thị Hồng Nhung", "chairman", "00004"),
    ("analyst", "Hoàng Minh Châu", "analyst", None),
    ("auditor", "Bùi Thanh Tâm", "auditor", None),
    ("admin", "Quản trị hệ thống", "admin", None),
    ("portal", "Cổng Dịch vụ công quốc gia", "portal", None),
    # --- department ---
    ("department", "Sở Tư pháp Hà Nội", "department", None),
]

# (personal_id, full_name, birth_date, sex, commune, marital, spouse, mother, father, deceased_on)
DEMO_PERSONS: list[tuple[Any, ...]] = [
    (
        "001095012345",
        "Nguyễn Văn An",
        "1995-04-12",
        "male",
        "00070",
        "married",
        "001196023456",
        None,
        None,
        None,
    ),
    (
        "001196023456",
        "Trần Thị Bích Ngọc",
        "1996-09-03",
        "female",
        "00070",
        "married",
        "001095012345",
        None,
        None,
        None,
    ),
    (
        "001092034567",
        "Lê Hoàng Nam",
        "1992-01-25",
        "male",
        "00070",
        "married",
        "001193045678",
        None,
        None,
        None,
    ),
    (
        "001193045678",
        "Phạm Thị Hương",
        "1993-11-30",
        "female",
        "00070",
        "married",
        "001092034567",
        None,
        None,
        None,
    ),
    ("001198056789", "Đặng Thị Mai", "1998-06-18", "female", "00070", "single", None, None, None, None),
    ("001097067890", "Vũ Đức Anh", "1997-02-07", "male", "00070", "single", None, None, None, None),
    (
        "001199078901",
        "Hoàng Thị Thu Trang",
        "1999-12-21",
        "female",
        "00070",
        "single",
        None,
        None,
        None,
        None,
    ),
    ("001096089012", "Ngô Quang Dũng", "1996-08-14", "male", "00070", "single", None, None, None, None),
    ("001160090123", "Nguyễn Thị Lụa", "1960-05-05", "female", "00070", "widowed", None, None, None, None),
    (
        "001045001234",
        "Trần Văn Bình",
        "1945-03-15",
        "male",
        "00070",
        "married",
        "001148002345",
        None,
        None,
        None,
    ),
    (
        "001148002345",
        "Lê Thị Hạnh",
        "1948-07-22",
        "female",
        "00070",
        "married",
        "001045001234",
        None,
        None,
        None,
    ),
    (
        "001203003456",
        "Nguyễn Minh Khôi",
        "2010-10-10",
        "male",
        "00070",
        "single",
        None,
        "001196023456",
        "001095012345",
        None,
    ),
    (
        "001052004567",
        "Phạm Văn Thành",
        "1952-02-02",
        "male",
        "00070",
        "widowed",
        None,
        None,
        None,
        "2025-12-01",
    ),
    (
        "001094005678",
        "Bùi Văn Hải",
        "1994-03-09",
        "male",
        "00004",
        "married",
        "001195006789",
        None,
        None,
        None,
    ),
    (
        "001195006789",
        "Đỗ Thị Thanh Tâm",
        "1995-05-27",
        "female",
        "00004",
        "married",
        "001094005678",
        None,
        None,
        None,
    ),
    (
        "001091007890",
        "Trịnh Công Sơn",
        "1991-09-19",
        "male",
        "00004",
        "married",
        "001192008901",
        None,
        None,
        None,
    ),
    (
        "001192008901",
        "Lý Thị Kim Oanh",
        "1992-04-04",
        "female",
        "00004",
        "married",
        "001091007890",
        None,
        None,
        None,
    ),
    ("001100009012", "Phan Thị Ngọc Ánh", "2000-01-16", "female", "00004", "single", None, None, None, None),
    ("001098010123", "Đinh Văn Toàn", "1998-11-11", "male", "00004", "single", None, None, None, None),
    (
        "001150011234",
        "Võ Thị Sen",
        "1950-06-06",
        "female",
        "00004",
        "married",
        "001047012345",
        None,
        None,
        None,
    ),
    (
        "001047012345",
        "Mai Văn Lộc",
        "1947-12-12",
        "male",
        "00004",
        "married",
        "001150011234",
        None,
        None,
        None,
    ),
    (
        "001097013456",
        "Lê Văn Tùng",
        "1997-07-07",
        "male",
        "00070",
        "single",
        None,
        "001148002345",
        "001045001234",
        None,
    ),
    (
        "001199014567",
        "Lê Thị Hoa",
        "1999-08-08",
        "female",
        "00070",
        "single",
        None,
        "001148002345",
        "001045001234",
        None,
    ),
]


# --- law-rules: persons showing each marriage bar and birth check (README "Demo registry cases") ---
DEMO_USER_PERSONAL_IDS = {"chairman.hoankiem": "001070100001", "officer.hoankiem": "001075100002"}


def _p(pid: str, name: str, born: str, sex: str, marital: str = "single", **links: Any) -> dict[str, Any]:
    return {
        "personal_id": pid,
        "full_name": name,
        "birth_date": born,
        "sex": sex,
        "residence_commune_code": links.pop("commune", "00070"),
        "marital_status": marital,
        **links,
    }


DEMO_CASE_PERSONS: list[dict[str, Any]] = [
    # KH-05, in-law ended by death: widow Xuân and her late husband Tùng's father Thọ
    _p("001055200001", "Phạm Văn Thọ", "1955-03-03", "male", "widowed"),
    _p(
        "001080200002",
        "Phạm Văn Tùng",
        "1980-06-06",
        "male",
        "married",
        spouse_personal_id="001182200003",
        father_personal_id="001055200001",
        deceased_on="2023-05-01",
    ),
    _p(
        "001182200003",
        "Nguyễn Thị Xuân",
        "1982-08-08",
        "female",
        "widowed",
        spouse_personal_id="001080200002",
    ),
    # KH-05, in-law ended by divorce: Long, divorced from Diệp, and Diệp's mother Mận
    _p("001162200004", "Đoàn Thị Mận", "1962-02-02", "female", "widowed"),
    _p(
        "001187200005",
        "Lý Thị Diệp",
        "1987-07-07",
        "female",
        "divorced",
        mother_personal_id="001162200004",
        former_spouse_personal_ids=["001085200006"],
    ),
    _p(
        "001085200006",
        "Trịnh Văn Long",
        "1985-05-05",
        "male",
        "divorced",
        former_spouse_personal_ids=["001187200005"],
    ),
    # KH-05, step-parent: Tâm, widower of Quyên, and Quyên's daughter Giang
    _p("001065200007", "Cao Văn Tâm", "1965-01-15", "male", "widowed", spouse_personal_id="001168200008"),
    _p(
        "001168200008",
        "Hà Thị Quyên",
        "1968-04-20",
        "female",
        "married",
        spouse_personal_id="001065200007",
        deceased_on="2020-10-10",
    ),
    _p("001300200009", "Hà Thu Giang", "2000-09-09", "female", mother_personal_id="001168200008"),
    # KH-05, adoptive: Kiều Văn Bảo and the daughter he adopted, Kiều Thị Lam
    _p("001070200010", "Kiều Văn Bảo", "1970-12-12", "male", "divorced"),
    _p("001199200011", "Kiều Thị Lam", "1999-11-11", "female", adoptive_father_personal_id="001070200010"),
    # KH-03: Khánh has lost civil act capacity (court decision); Ngân's capacity is only limited
    _p("001090200012", "Mai Văn Khánh", "1990-10-01", "male", legal_capacity="lost"),
    _p("001195200013", "Tạ Thị Ngân", "1995-05-15", "female", legal_capacity="limited"),
    # KS-14: chairman Lê Quang Huy (chairman.hoankiem) is the father of Lê Thị Hồng, who is expecting with
    # Đinh Văn Quân; officer Trần Văn Minh (officer.hoankiem) is a registry person too
    _p("001070100001", "Lê Quang Huy", "1970-03-10", "male", "married", spouse_personal_id="001172100003"),
    _p("001075100002", "Trần Văn Minh", "1975-07-07", "male"),
    _p(
        "001172100003",
        "Nguyễn Thị Thanh",
        "1972-02-14",
        "female",
        "married",
        spouse_personal_id="001070100001",
    ),
    _p(
        "001198100004",
        "Lê Thị Hoa",
        "1998-06-01",
        "female",
        "married",
        spouse_personal_id="001096100005",
        mother_personal_id="001172100003",
        father_personal_id="001070100001",
    ),
    _p(
        "001096100005",
        "Đinh Văn Quân",
        "1996-01-20",
        "male",
        "married",
        spouse_personal_id="001198100004",
        mother_personal_id="001170100006",
        father_personal_id="001068100007",
    ),
    _p("001170100006", "Bạch Thị Nga", "1970-09-09", "female", "married", spouse_personal_id="001068100007"),
    _p("001068100007", "Đinh Văn Sơn", "1968-08-08", "male", "married", spouse_personal_id="001170100006"),
    # KS-08: Tô Văn Phúc, whose parents are known, is no relative of Hồng or Quân
    _p(
        "001090100008",
        "Tô Văn Phúc",
        "1990-04-04",
        "male",
        mother_personal_id="001162100009",
        father_personal_id="001060100010",
    ),
    _p("001162100009", "Võ Thị Lành", "1962-06-06", "female", "married", spouse_personal_id="001060100010"),
    _p("001060100010", "Tô Văn Lợi", "1960-01-01", "male", "married", spouse_personal_id="001162100009"),
]


def add_demo_persons() -> int:
    """Add the demo registry persons that are missing (inside the caller's transaction); how many were added.
    Also the registry stand-in of the modeler's test-run (app/services/trial_run.py)."""
    added = 0
    for pid, name, born, sex, commune, marital, spouse, mother, father, died in DEMO_PERSONS:
        if db.session.get(Person, pid) is None:
            new_person(
                {
                    "personal_id": pid,
                    "full_name": name,
                    "birth_date": born,
                    "sex": sex,
                    "residence_commune_code": commune,
                    "marital_status": marital,
                    "spouse_personal_id": spouse,
                    "mother_personal_id": mother,
                    "father_personal_id": father,
                    "deceased_on": died,
                }
            )
            added += 1
    for record in DEMO_CASE_PERSONS:
        if db.session.get(Person, record["personal_id"]) is None:
            new_person(dict(record))
            added += 1
    return added


def seed_demo(password: str) -> dict[str, int]:
    """Create what is missing (safe to run again: nothing is duplicated)."""

    def add_missing() -> dict[str, int]:
        counts = {"communes": 0, "users": 0, "persons": 0}
        for code in DEMO_COMMUNES:
            if db.session.get(Commune, code) is None:
                ward = Ward.from_code(WardCode(int(code)))
                province = Province.from_code(ProvinceCode(int(ward.province_code)))
                db.session.add(
                    Commune(
                        code=code,
                        name=ward.name,
                        province_code=f"{int(ward.province_code):02d}",
                        province_name=province.name,
                    )
                )
                counts["communes"] += 1
        db.session.flush()
        for username, full_name, role, commune in DEMO_USERS:
            if db.session.scalars(select(User).where(User.username == username)).first() is None:
                db.session.add(
                    User(
                        username=username,
                        full_name=full_name,
                        password_hash=hash_password(password),
                        roles_csv=role,
                        commune_code=commune,
                        scope_csv="",
                        personal_id=DEMO_USER_PERSONAL_IDS.get(username),
                    )
                )
                counts["users"] += 1
        counts["persons"] = add_demo_persons()
        if db.session.get(Counter, GENERATION_KEY) is None:
            bump_generation()  # lets every process keep the working calendar between transactions
        return counts

    counts = write(add_missing)
    deploy_shipped_processes()
    return counts
