"""Admin use cases of the embedded population-registry stand-in."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.domain.personal_id import is_valid_format
from app.domain.text import fold, nfc
from app.integrations.registry import LEGAL_CAPACITIES, EmbeddedRegistry, new_person, person_to_dict
from app.models import Person, User, db
from app.services.collaborators import collaborators
from app.services.errors import Conflict, Forbidden, Invalid, NotFound
from app.services.transaction import write

SEXES = ("male", "female")
MARITAL = ("single", "married", "divorced", "widowed")


def _embedded() -> None:
    if not isinstance(collaborators().registry, EmbeddedRegistry):
        raise NotFound("Cơ sở dữ liệu dân cư mô phỏng không được bật.")


def create_person(actor: User, body: Any) -> str:
    _embedded()
    if not actor.has_role("admin"):
        raise Forbidden("Chỉ quản trị viên thêm công dân vào CSDL mô phỏng.")
    if not isinstance(body, dict):
        raise Invalid("Nội dung phải là đối tượng JSON.")
    body = nfc(body)
    fields: dict[str, str] = {}
    for name in ("full_name", "birth_date", "sex"):
        if not isinstance(body.get(name), str) or not body[name]:
            fields[name] = "Trường bắt buộc."
    for name in (
        "personal_id",
        "spouse_personal_id",
        "mother_personal_id",
        "father_personal_id",
        "adoptive_mother_personal_id",
        "adoptive_father_personal_id",
    ):
        if body.get(name) is not None and not is_valid_format(body[name]):
            fields[name] = "Số định danh cá nhân phải gồm đúng 12 chữ số."
    former = body.get("former_spouse_personal_ids")
    if former is not None and (
        not isinstance(former, list) or not all(isinstance(p, str) and is_valid_format(p) for p in former)
    ):
        fields["former_spouse_personal_ids"] = (
            "Số định danh của vợ/chồng trước đây phải là danh sách các số gồm đúng 12 chữ số."
        )
    if body.get("legal_capacity") not in (None, *LEGAL_CAPACITIES):
        fields["legal_capacity"] = "Năng lực hành vi dân sự phải là full, lost hoặc limited."
    for name in ("birth_date", "deceased_on"):
        if isinstance(body.get(name), str):
            try:
                if date.fromisoformat(body[name]) > collaborators().clock.now().date():
                    fields[name] = "Ngày không được ở tương lai."
            except ValueError:
                fields[name] = "Ngày không đúng định dạng YYYY-MM-DD."
    if body.get("sex") not in SEXES and "sex" not in fields:
        fields["sex"] = "Giới tính phải là male hoặc female."
    if body.get("marital_status") not in (None, *MARITAL):
        fields["marital_status"] = "Tình trạng hôn nhân không hợp lệ."
    if fields:
        raise Invalid("Dữ liệu công dân không hợp lệ.", fields=fields)

    def create() -> str:
        # checked under the write lock; a concurrent twin's insert makes ours fail, and the retry finds it
        if body.get("personal_id") and db.session.get(Person, body["personal_id"]) is not None:
            raise Conflict("Số định danh cá nhân đã tồn tại.")
        return new_person(body).personal_id

    return write(create, retry_on=(IntegrityError,))


def get_person(actor: User, personal_id: str) -> dict[str, Any]:
    _embedded()
    if not actor.has_role("admin", "officer", "auditor"):
        raise Forbidden("Vai trò của bạn không được tra cứu CSDL dân cư.")
    person = db.session.get(Person, personal_id)
    if person is None:
        raise NotFound("Không tìm thấy công dân.")
    return person_to_dict(person)


def search_persons(actor: User, q: str, limit: int = 50) -> list[dict[str, Any]]:
    """Registry persons by personal-id prefix or by name without diacritics ("tran thi" finds "Trần Thị")."""
    _embedded()
    if not actor.has_role("admin"):
        raise Forbidden("Chỉ quản trị viên tra cứu CSDL dân cư mô phỏng.")
    q = nfc(q or "")
    if not q:
        return []
    if q.isdigit():
        rows = db.session.scalars(
            select(Person).where(Person.personal_id.startswith(q)).order_by(Person.personal_id).limit(limit)
        ).all()
        return [person_to_dict(p) for p in rows]
    wanted = fold(q)
    found: list[dict[str, Any]] = []
    # the stand-in is small; a real registry is searched on its side
    for person in db.session.scalars(select(Person).order_by(Person.full_name)).yield_per(500):
        if wanted in fold(person.full_name):
            found.append(person_to_dict(person))
            if len(found) >= limit:
                break
    return found
