"""Demo data of spec/api.md: two Hà Nội wards, one user per role, a few dozen registry persons."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from vietnam_provinces import Province, ProvinceCode, Ward, WardCode

from app.integrations.registry import new_person
from app.models import Commune, Person, User, db
from app.services.auth import hash_password
from app.services.processes import deploy_shipped_processes
from app.services.transaction import write

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
                    )
                )
                counts["users"] += 1
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
                counts["persons"] += 1
        return counts

    counts = write(add_missing)
    deploy_shipped_processes()
    return counts
