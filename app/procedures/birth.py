"""Đăng ký khai sinh (birth registration): Luật Hộ tịch Art. 13–17; process birth_registration."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from app.domain.date_words import date_in_words
from app.domain.deadlines import BIRTH_REGISTRATION_DAYS, TimeLimits
from app.domain.fees import FeeRule
from app.domain.findings import Finding
from app.domain.rules import RuleContext, evaluate_birth
from app.domain.rules.fields import is_vietnamese, parse_date
from app.domain.text import fold
from app.procedures.documents import id_document_text, person_block, registration, with_copies
from app.procedures.record import (
    DECISION_CHECKPOINTS,
    BookColumn,
    DocumentKind,
    DocumentSource,
    Figure,
    MinistryStatistics,
    Procedure,
    RegisterSpec,
    RegistryOperation,
    sample_forms,
    ui_text,
)
from app.procedures.registry_calls import children_in_registry, keep_revocation, lookup_parties_with_family
from app.services.dossier_result import record_result

if TYPE_CHECKING:
    from app.integrations.registry import RegistryClient
    from app.models import Dossier

# the roles whose registry records the lookup fetches, and their titles
PARTIES = MappingProxyType(
    {"mother": ui_text("Mẹ"), "father": ui_text("Cha"), "requester": ui_text("Người yêu cầu")}
)


def evaluate(data: dict[str, Any], ctx: RuleContext, existing: Sequence[Mapping[str, Any]]) -> list[Finding]:
    """KS-01…KS-16; `existing`: completed registrations of the same child (KS-10)."""
    return evaluate_birth(data, replace(ctx, existing_births=tuple(existing)))


def existing_record(code: str, data: dict[str, Any]) -> dict[str, Any]:
    child = data.get("child") or {}
    return {
        "code": code,
        "full_name": child.get("full_name"),
        "birth_date": child.get("birth_date"),
        "mother_personal_id": (data.get("mother") or {}).get("personal_id"),
    }


def subject_key(data: dict[str, Any]) -> str | None:
    """Folded child name + birth date + mother (id or name): the same child registered twice shares it."""
    child = data.get("child") or {}
    mother = data.get("mother") or {}
    return (
        f"birth|{fold(child.get('full_name', ''))}|{child.get('birth_date', '')}|"
        f"{mother.get('personal_id') or fold(mother.get('full_name', ''))}"
    )


def subject_name(data: dict[str, Any]) -> str:
    child = data.get("child")
    return str(child.get("full_name") or "") if isinstance(child, dict) else ""


def classify(data: dict[str, Any], late: bool) -> str:
    """The register's classification box (domain.md §4.8.2)."""
    special = (data.get("dossier") or {}).get("special_case")
    if special == "abandoned":
        return "tre_bi_bo_roi"
    if special == "parents_unknown":
        return "tre_chua_xac_dinh_cha_me"
    return "qua_han" if late else "dung_han"


def _name(person: Any, lookup: Any) -> str | None:
    person = person if isinstance(person, dict) else {}
    lookup = lookup if isinstance(lookup, dict) else {}
    value = person.get("full_name") or lookup.get("full_name")
    return str(value) if value else None


BOOK_COLUMNS = (
    BookColumn("Họ, chữ đệm, tên", "full_name", 15, "name"),
    BookColumn("Ngày sinh", "birth_date", 7, "date"),
    BookColumn("Giới tính", "sex", 4, "sex"),
    BookColumn("Số định danh cá nhân", "personal_id", 9, "id"),
    BookColumn("Họ tên mẹ", "mother_name", 11),
    BookColumn("Họ tên cha", "father_name", 11),
    BookColumn("Người đi khai sinh", "declarant_name", 11),
)


def summary(data: dict[str, Any]) -> dict[str, Any]:
    form, lookups = data.get("dossier") or {}, data.get("lookups") or {}
    child = form.get("child") or {}
    return {
        "full_name": child.get("full_name"),
        "birth_date": child.get("birth_date"),
        "sex": child.get("sex"),
        "personal_id": None,  # assigned by the population registry after the entry
        "mother_name": _name(form.get("mother"), lookups.get("mother")),
        "father_name": _name(form.get("father"), lookups.get("father")),
        "declarant_name": (form.get("requester") or {}).get("full_name"),
    }


def certificate_context(src: DocumentSource) -> dict[str, Any]:
    """Giấy khai sinh (TT 04/2020 form): the child, the parents, the declarant, the register entry."""
    d, lookups, data = src.form, src.lookups, src.data
    requester = d.get("requester") or {}
    child = dict(d.get("child") or {})
    child["personal_id"] = (data.get("registration") or {}).get("personal_id", "")
    born = parse_date(child.get("birth_date"))
    child.setdefault("birth_date_in_words", date_in_words(born) if born else "")
    return {
        **registration(src),
        "child": child,
        "mother": person_block(d.get("mother"), lookups.get("mother")),
        "father": None if d.get("father") is None else person_block(d.get("father"), lookups.get("father")),
        "declarant": {
            "full_name": requester.get("full_name", ""),
            "id_document": id_document_text(requester),
        },
        "officer_name": (data.get("actors") or {}).get("officer_examine", {}).get("full_name", ""),
    }


_lookup_parties = lookup_parties_with_family(tuple(PARTIES))


def lookup_birth(
    registry: RegistryClient, dossier_data: dict[str, Any], code: str, now: datetime
) -> dict[str, Any]:
    """The parents and requester with their family links, plus two registry checks of their own:
    `registry_births` — persons already recorded as the mother's (else father's) children (KS-10, LHT
    Art. 5(4)); `parents_marriage` — when a marriage of the parents is declared, whether the registry records
    them married to each other, now or before (KS-11; None = not found)."""
    result = _lookup_parties(registry, dossier_data, code, now)
    mother, father = result.get("mother"), result.get("father")
    parent = mother if isinstance(mother, dict) else father if isinstance(father, dict) else None
    if parent is not None:
        result["registry_births"] = [
            {k: c.get(k) for k in ("personal_id", "full_name", "birth_date", "mother_personal_id")}
            for c in children_in_registry(registry, str(parent["personal_id"]))
        ]
    if (
        isinstance(dossier_data.get("parents_marriage"), dict)
        and isinstance(mother, dict)
        and isinstance(father, dict)
    ):
        spouses = [mother.get("spouse_personal_id"), *(mother.get("former_spouse_personal_ids") or [])]
        married = father.get("personal_id") in spouses
        result["parents_marriage"] = (
            {
                "mother_personal_id": mother.get("personal_id"),
                "father_personal_id": father.get("personal_id"),
                "current": mother.get("spouse_personal_id") == father.get("personal_id"),
            }
            if married
            else None
        )
    return result


def register_in_registry(
    registry: RegistryClient, dossier_data: dict[str, Any], code: str, now: datetime
) -> dict[str, Any]:
    """A new person in the population registry; their personal id goes on the certificate."""
    child = dossier_data.get("child") or {}
    # LHT Art. 14(3), 36(2): an id only for a Vietnamese citizen, read as KS-13 reads the nationality
    if not is_vietnamese(str(child.get("nationality") or "Việt Nam")):
        return {"personal_id": None, "reason": "Không cấp số định danh: trẻ không có quốc tịch Việt Nam."}
    record = {
        "full_name": child.get("full_name"),
        "birth_date": child.get("birth_date"),
        "sex": child.get("sex"),
        "ethnicity": child.get("ethnicity"),
        "nationality": child.get("nationality") or "Việt Nam",
        "mother_personal_id": (dossier_data.get("mother") or {}).get("personal_id"),
        "father_personal_id": (dossier_data.get("father") or {}).get("personal_id"),
        "residence_commune_code": None,
    }
    mother = registry.lookup(record["mother_personal_id"]) if record["mother_personal_id"] else None
    record["residence_commune_code"] = (mother or {}).get("residence_commune_code")
    return {"personal_id": registry.create_person(record, code)}


def revoke_in_registry(
    registry: RegistryClient, dossier_data: dict[str, Any], code: str, now: datetime
) -> dict[str, Any]:
    """Compensating call (Luật Hộ tịch Art. 16(2)): a birth refused at the chairman's signature after the
    entry; the person the registration created is locked, never deleted."""
    pid = registration_personal_id(code)
    if not pid:
        return {"revoked": False, "reason": "Chưa cấp số định danh cá nhân: không có gì để hủy."}
    registry.revoke_person(pid, f"{code}:revoke")
    return {"revoked": True, "personal_id": pid}


def registration_personal_id(code: str) -> str | None:
    """The personal id the registry assigned to this dossier's child (kept on the dossier's result)."""
    from sqlalchemy import select

    from app.models import Dossier as DossierRow
    from app.models import db

    result = db.session.scalars(select(DossierRow.result).where(DossierRow.code == code)).first()
    db.session.commit()  # no transaction stays open across the external call
    pid = (result or {}).get("personal_id")
    return str(pid) if pid else None


def keep_personal_id(dossier: Dossier, result: dict[str, Any]) -> None:
    record_result(dossier, personal_id=result.get("personal_id"))


def sample(today: date) -> dict[str, Any]:
    """A counter dossier of a child born 5 days ago to a married couple of the demo registry."""
    born = today - timedelta(days=5)
    return {
        "channel": "counter",
        "data": {
            "requester": {
                "full_name": "Nguyễn Văn An",
                "personal_id": "001095012345",
                "relationship": "father",
                "phone": "0912345678",
            },
            "copies": 1,
            "child": {
                "full_name": "Nguyễn Thị Thử Nghiệm",
                "birth_date": born.isoformat(),
                "sex": "female",
                "ethnicity": "Kinh",
                "nationality": "Việt Nam",
                "birth_place": "Bệnh viện Phụ sản Hà Nội, Phường Láng, Thành phố Hà Nội",
                "home_town": "Thành phố Hà Nội",
            },
            "mother": {"personal_id": "001196023456"},
            "father": {"personal_id": "001095012345"},
            "birth_certificate": {
                "number": f"BV-{born:%Y}-99999",
                "issuer": "Bệnh viện Phụ sản Hà Nội",
                "issued_on": born.isoformat(),
            },
        },
    }


def sector_statistics(registered: list[Dossier]) -> dict[str, Any]:
    """Births registered in a period, for the Ministry report (domain.md §9.2): sex, Kinh or not, late."""
    out: dict[str, Any] = {"total": 0, "male": 0, "female": 0, "kinh": 0, "other_ethnicity": 0}
    out.update({"on_time": 0, "late": 0})
    for d in registered:
        child = (d.data or {}).get("child") or {}
        out["total"] += 1
        out["male" if child.get("sex") == "male" else "female"] += 1
        out[
            "kinh" if str(child.get("ethnicity") or "").strip().casefold() == "kinh" else "other_ethnicity"
        ] += 1
        out["late" if d.late else "on_time"] += 1
    return out


PROCEDURE = Procedure(
    statistics=MinistryStatistics(
        sector_statistics,
        (
            Figure("total", ui_text("Tổng số"), ui_text("Khai sinh")),
            Figure("male", ui_text("Nam"), ui_text("Khai sinh — nam")),
            Figure("female", ui_text("Nữ"), ui_text("Khai sinh — nữ")),
            Figure("kinh", ui_text("Dân tộc Kinh"), ui_text("Khai sinh — dân tộc Kinh")),
            Figure("other_ethnicity", ui_text("Dân tộc khác"), ui_text("Khai sinh — dân tộc khác")),
            Figure("on_time", ui_text("Đúng hạn"), ui_text("Khai sinh đúng hạn")),
            Figure("late", ui_text("Quá hạn"), ui_text("Khai sinh quá hạn")),
        ),
        heading=ui_text("Khai sinh"),
    ),
    sample=sample,
    sample_forms=sample_forms(),
    checkpoints=DECISION_CHECKPOINTS,
    key="birth",
    process_key="birth_registration",
    title=ui_text("Đăng ký khai sinh"),
    name="đăng ký khai sinh",
    book_name="khai sinh",
    form_title="Tờ khai đăng ký khai sinh",
    parties=PARTIES,
    lookup=lookup_birth,
    evaluate=evaluate,
    existing_record=existing_record,
    subject_key=subject_key,
    subject_name=subject_name,
    register=RegisterSpec(
        classify,
        summary,
        BOOK_COLUMNS,
        personal_id_from_result=True,
        classifications=MappingProxyType(
            {"tre_chua_xac_dinh_cha_me": "Trẻ chưa xác định được cha mẹ", "tre_bi_bo_roi": "Trẻ bị bỏ rơi"}
        ),
    ),
    fee=FeeRule("khai sinh", "late_birth", copy_name="bản sao Giấy khai sinh"),
    # Luật Hộ tịch Art. 5(3), portal record 1.001193: 1 working day (same day if received before 15:00);
    # marital-status verification only pauses the clock (C8), so the limit stays 1 working day.
    limits=TimeLimits(1, 1, BIRTH_REGISTRATION_DAYS),
    documents=(
        DocumentKind(
            "birth_certificate",
            "Giấy khai sinh",
            "giay_khai_sinh",
            certificate_context,
            with_copies,
            resolves=True,
        ),
    ),
    registry_operations=MappingProxyType(
        {
            "registry/register_birth": RegistryOperation(
                register_in_registry,
                keep_personal_id,
                label=ui_text("Cấp số định danh cá nhân"),
                shown_result=("personal_id", ui_text("Số định danh cá nhân")),
            ),
            # the compensating call of a refusal after the entry (processes/birth_registration README)
            "registry/revoke_birth": RegistryOperation(
                revoke_in_registry, keep_revocation, label=ui_text("Hủy cập nhật CSDL dân cư (khai sinh)")
            ),
        }
    ),
    event_date_path=("child", "birth_date"),
    event_date_parser=parse_date,
    # Luật Hộ tịch Art. 16(1), NĐ 123 Art. 9, TT 04/2024: what a birth dossier may carry
    attachment_kinds=(
        "declaration",
        "identity_document",
        "residence_proof",
        "authorization",
        "birth_certificate",
        "witness_statement",
        "birth_undertaking",
        "abandoned_child_record",
        "surrogacy_confirmation",
        "parents_marriage_certificate",
        "other",
    ),
    subject_block="child",
    search_fields=(
        ("child", "full_name"),
        ("mother", "full_name"),
        ("father", "full_name"),
        ("requester", "full_name"),
    ),
    future_date_fields=(
        ("child", "birth_date"),
        ("birth_certificate", "issued_on"),
        ("parents_marriage", "date"),
    ),
)
