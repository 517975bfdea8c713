"""Đăng ký khai tử (death registration): Luật Hộ tịch Art. 32–34; process death_registration."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from app.domain.calendar import age_on, local_date, stored_moment
from app.domain.deadlines import DEATH_REGISTRATION_DAYS, TimeLimits
from app.domain.fees import FeeRule
from app.domain.findings import Finding
from app.domain.rules import RuleContext, evaluate_death
from app.domain.rules.fields import parse_moment
from app.domain.text import fold
from app.procedures.documents import (
    id_document_text,
    person_block,
    registration,
    residence_text,
    with_copies,
)
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
from app.procedures.registry_calls import keep_revocation, lookup_parties_with_family, record_registry_outcome

if TYPE_CHECKING:
    from app.integrations.registry import RegistryClient
    from app.models import Dossier

# the roles whose registry records the lookup fetches, and their titles
PARTIES = MappingProxyType({"deceased": ui_text("Người chết"), "requester": ui_text("Người yêu cầu")})


def evaluate(data: dict[str, Any], ctx: RuleContext, existing: Sequence[Mapping[str, Any]]) -> list[Finding]:
    """KT-01…KT-14; `existing`: completed registrations of the death of the same person (KT-06)."""
    return evaluate_death(data, replace(ctx, existing_deaths=tuple(existing)))


def existing_record(code: str, data: dict[str, Any]) -> dict[str, Any]:
    person = data.get("deceased") or {}
    return {
        "code": code,
        "full_name": person.get("full_name"),
        "birth_date": person.get("birth_date"),
        "mother_personal_id": (data.get("mother") or {}).get("personal_id"),
    }


def subject_key(data: dict[str, Any]) -> str | None:
    """The deceased's personal id, else folded name + birth date (or year)."""
    person = data.get("deceased") or {}
    if person.get("personal_id"):
        return f"death|{person['personal_id']}"
    born = person.get("birth_date") or person.get("birth_year")
    return f"death|{fold(person.get('full_name', ''))}|{born}"


def subject_name(data: dict[str, Any]) -> str:
    person = data.get("deceased")
    return str(person.get("full_name") or "") if isinstance(person, dict) else ""


def died_on(value: Any) -> date | None:
    """The local date of the moment of death ("2026-03-08T10:30:00+07:00")."""
    moment = parse_moment(value)
    return moment[0] if moment else None


def classify(data: dict[str, Any], late: bool) -> str:
    return "qua_han" if late else "dung_han"  # domain.md §6.8.2


BOOK_COLUMNS = (
    BookColumn("Họ, chữ đệm, tên", "full_name", 14, "name"),
    BookColumn("Ngày sinh", "birth_date", 7, "date", fallback="birth_year"),
    BookColumn("Giới tính", "sex", 4, "sex"),
    BookColumn("Số định danh cá nhân", "personal_id", 9, "id"),
    BookColumn("Thời điểm chết", "died_at", 12, "moment"),
    BookColumn("Nơi chết", "death_place", 12),
    BookColumn("Người đi khai tử", "declarant_name", 10),
)


def summary(data: dict[str, Any]) -> dict[str, Any]:
    form, lookups = data.get("dossier") or {}, data.get("lookups") or {}
    person, record = form.get("deceased") or {}, lookups.get("deceased") or {}
    record = record if isinstance(record, dict) else {}
    death = form.get("death") or {}
    name = person.get("full_name") or record.get("full_name")
    out = {
        "full_name": str(name) if name else None,
        "sex": person.get("sex") or record.get("sex"),
        "personal_id": person.get("personal_id"),
        "died_at": death.get("at"),
        "death_place": death.get("place"),
        "declarant_name": (form.get("requester") or {}).get("full_name"),
    }
    birth = person.get("birth_date") or record.get("birth_date")
    if birth:
        out["birth_date"] = birth
    else:
        out["birth_year"] = person.get("birth_year")
    return out


def extract_context(src: DocumentSource) -> dict[str, Any]:
    """Trích lục khai tử: the deceased, the death, the notice, the declarant, the register entry."""
    d, lookups = src.form, src.lookups
    requester = d.get("requester") or {}
    declared = d.get("deceased") or {}
    record = lookups.get("deceased") if isinstance(lookups.get("deceased"), dict) else None
    return {
        **registration(src),
        "deceased": {
            **(person_block(declared, record) or {}),
            "sex": declared.get("sex") or (record or {}).get("sex", ""),
            # Nơi cư trú cuối cùng (LHT Art. 32): as declared, else the registry's commune by name
            "last_residence": residence_text(declared.get("last_residence"), record),
        },
        "death": d.get("death") or {},
        "death_notice": d.get("death_notice") or {},
        "declarant": {
            "full_name": requester.get("full_name", ""),
            "id_document": id_document_text(requester),
            "relationship": src.choice_label("requester.relationship", requester.get("relationship")),
        },
    }


def register_in_registry(
    registry: RegistryClient, dossier_data: dict[str, Any], code: str, now: datetime
) -> dict[str, Any]:
    """Mark the person dead (and their record locked) in the population registry."""
    person = dossier_data.get("deceased") or {}
    pid = person.get("personal_id")
    if not pid or registry.lookup(pid) is None:
        # a person the registry does not know: the extract is still issued, the registry is told by hand
        return {"recorded": False, "reason": "Người chết không có trong Cơ sở dữ liệu dân cư."}
    # the local (Hà Nội) day of the moment of death, as on the extract: "…T17:30:00Z" is the next day
    died = died_on((dossier_data.get("death") or {}).get("at"))
    registry.record_death(pid, died.isoformat() if died else "", code)
    return {"recorded": True, "locked": True}


def revoke_in_registry(
    registry: RegistryClient, dossier_data: dict[str, Any], code: str, now: datetime
) -> dict[str, Any]:
    """Compensating call (Luật Hộ tịch Art. 34(2)): a death refused at the chairman's signature after the
    entry; the person is alive and unlocked again in the registry (nothing deleted)."""
    pid = (dossier_data.get("deceased") or {}).get("personal_id")
    person = registry.lookup(pid) if pid else None
    if not pid or not person or not person.get("deceased_on"):
        reason = "Cơ sở dữ liệu dân cư chưa ghi nhận việc chết: không có gì để hủy."
        return {"revoked": False, "reason": reason}
    registry.revoke_death(pid, f"{code}:revoke")
    return {"revoked": True, "personal_id": pid}


def sample(today: date) -> dict[str, Any]:
    """A counter dossier: Trần Văn Bình (demo registry) died in hospital 2 days ago; his wife registers."""
    died = today - timedelta(days=2)
    return {
        "channel": "counter",
        "data": {
            "requester": {
                "full_name": "Lê Thị Hạnh",
                "personal_id": "001148002345",
                "relationship": "spouse",
            },
            "copies": 1,
            "deceased": {"personal_id": "001045001234", "full_name": "Trần Văn Bình", "sex": "male"},
            "death": {
                "at": f"{died.isoformat()}T10:30:00+07:00",
                "place": "Bệnh viện Hữu nghị Việt Đức, Thành phố Hà Nội",
                "cause": "Bệnh lý tuổi già",
            },
            "death_notice": {
                "number": "123/GBT",
                "issuer_type": "health_facility",
                "issuer": "Bệnh viện Hữu nghị Việt Đức",
                "issued_on": died.isoformat(),
            },
        },
    }


def sector_statistics(registered: list[Dossier]) -> dict[str, Any]:
    """Deaths registered in a period, for the Ministry report (domain.md §9.2): sex, late, age at death."""
    out: dict[str, Any] = {"total": 0, "male": 0, "female": 0, "on_time": 0, "late": 0}
    out["age_groups"] = {"under_1": 0, "1_to_4": 0, "5_and_over": 0, "unknown": 0}
    for d in registered:
        data = d.data or {}
        deceased = data.get("deceased") or {}
        died = stored_moment((data.get("death") or {}).get("at"))
        out["total"] += 1
        out["male" if deceased.get("sex") == "male" else "female"] += 1
        out["late" if d.late else "on_time"] += 1
        born = deceased.get("birth_date") or deceased.get("birth_year")
        age = age_on(born, local_date(died)) if died else None
        group = "unknown" if age is None else "under_1" if age < 1 else "1_to_4" if age < 5 else "5_and_over"
        out["age_groups"][group] += 1
    return out


PROCEDURE = Procedure(
    statistics=MinistryStatistics(
        sector_statistics,
        (
            Figure("total", ui_text("Tổng số"), ui_text("Khai tử")),
            Figure("male", ui_text("Nam"), ui_text("Khai tử — nam")),
            Figure("female", ui_text("Nữ"), ui_text("Khai tử — nữ")),
            Figure("age_groups.under_1", ui_text("Dưới 1 tuổi"), ui_text("Khai tử — dưới 1 tuổi")),
            Figure(
                "age_groups.1_to_4",
                ui_text("Từ 1 đến dưới 5 tuổi"),
                ui_text("Khai tử — từ 1 đến dưới 5 tuổi"),
            ),
            Figure(
                "age_groups.5_and_over", ui_text("Từ 5 tuổi trở lên"), ui_text("Khai tử — từ 5 tuổi trở lên")
            ),
            Figure("age_groups.unknown", ui_text("Không rõ tuổi"), ui_text("Khai tử — không rõ tuổi")),
            Figure("on_time", ui_text("Đúng hạn"), ui_text("Khai tử đúng hạn")),
            Figure("late", ui_text("Quá hạn"), ui_text("Khai tử quá hạn")),
        ),
        heading=ui_text("Khai tử"),
    ),
    sample=sample,
    sample_forms=sample_forms(),
    checkpoints=DECISION_CHECKPOINTS,
    key="death",
    process_key="death_registration",
    title=ui_text("Đăng ký khai tử"),
    name="đăng ký khai tử",
    book_name="khai tử",
    form_title="Tờ khai đăng ký khai tử",
    parties=PARTIES,
    lookup=lookup_parties_with_family(tuple(PARTIES)),
    evaluate=evaluate,
    existing_record=existing_record,
    subject_key=subject_key,
    subject_name=subject_name,
    register=RegisterSpec(classify, summary, BOOK_COLUMNS),
    fee=FeeRule("khai tử", "late_death", copy_name="bản sao Trích lục khai tử"),
    # Luật Hộ tịch Art. 5(3), portal record 1.000656: 1 working day; portal case 1.000656.01 lists 5 working
    # days, read as the verification case (domain.md §6.5, design).
    limits=TimeLimits(1, 5, DEATH_REGISTRATION_DAYS),
    documents=(
        DocumentKind(
            "death_extract",
            "Trích lục khai tử",
            "trich_luc_khai_tu",
            extract_context,
            with_copies,
            resolves=True,
        ),
    ),
    registry_operations=MappingProxyType(
        {
            "registry/register_death": RegistryOperation(
                register_in_registry, record_registry_outcome, label=ui_text("Cập nhật thông tin người chết")
            ),
            "registry/revoke_death": RegistryOperation(
                revoke_in_registry, keep_revocation, label=ui_text("Hủy cập nhật CSDL dân cư (khai tử)")
            ),
        }
    ),
    event_date_path=("death", "at"),
    event_date_parser=died_on,
    # Luật Hộ tịch Art. 34(1): the declaration and the death notice (or the evidence that replaces it)
    attachment_kinds=(
        "declaration",
        "identity_document",
        "residence_proof",
        "authorization",
        "death_notice",
        "death_evidence",
        "other",
    ),
    search_fields=(("requester", "full_name"), ("deceased", "full_name")),
    future_date_fields=(("deceased", "birth_date"), ("death", "at"), ("death_notice", "issued_on")),
)
