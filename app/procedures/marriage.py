"""Đăng ký kết hôn (marriage registration): Luật Hộ tịch Art. 17–18; process marriage_registration."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from app.domain.calendar import age_on, local_date, stored_moment
from app.domain.deadlines import TimeLimits
from app.domain.fees import FeeRule
from app.domain.findings import Finding
from app.domain.rules import RuleContext, evaluate_marriage
from app.domain.rules.marriage import check_registered_marriage
from app.engine.lint import Checkpoint
from app.procedures.documents import person_block, registration
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
    draft_variant,
    sample_forms,
    ui_text,
)
from app.procedures.registry_calls import (
    family_records,
    keep_revocation,
    lookup_parties,
    record_registry_outcome,
)

if TYPE_CHECKING:
    from app.integrations.registry import RegistryClient
    from app.models import Dossier

# the roles whose registry records the lookup fetches, and their titles
PARTIES = MappingProxyType(
    {"bride": ui_text("Bên nữ"), "groom": ui_text("Bên nam"), "requester": ui_text("Người yêu cầu")}
)
SPOUSES = ("bride", "groom")
_lookup = lookup_parties(tuple(PARTIES))


def evaluate(data: dict[str, Any], ctx: RuleContext, existing: Sequence[Mapping[str, Any]]) -> list[Finding]:
    """KH-01…KH-14; `existing`: completed marriage registrations naming either party (KH-04)."""
    return evaluate_marriage(data, replace(ctx, existing_marriages=tuple(existing)))


def existing_record(code: str, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "code": code,
        **{f"{role}_personal_id": (data.get(role) or {}).get("personal_id") for role in SPOUSES},
    }


def lookup_with_family(
    registry: RegistryClient, dossier_data: dict[str, Any], code: str, now: datetime
) -> dict[str, Any]:
    """The parties' records plus what the marriage bars need (HN&GĐ Art. 5(2)(d)): ancestors to three
    generations, spouses current and former with their parents, the parents' spouses, adoptive links.

    The whole result is the lookup job's recorded outcome: it is kept with the dossier and in its audit trail.
    """
    result: dict[str, Any] = _lookup(registry, dossier_data, code, now)
    roots = [str(r["personal_id"]) for r in result.values() if isinstance(r, dict) and r.get("personal_id")]
    result["family"] = family_records(registry, roots)
    return result


def register_in_registry(
    registry: RegistryClient, dossier_data: dict[str, Any], code: str, now: datetime
) -> dict[str, Any]:
    """Both parties married, each other's spouse; then read them back (KH-13, LHT Art. 5(6))."""
    a = (dossier_data.get("bride") or {}).get("personal_id")
    b = (dossier_data.get("groom") or {}).get("personal_id")
    known = {pid: registry.lookup(pid) for pid in (a, b) if pid}
    if not a or not b or any(record is None for record in known.values()):
        return {
            "recorded": False,
            "reason": "Một bên không có trong Cơ sở dữ liệu quốc gia về dân cư; cập nhật tình trạng hôn nhân "
            "theo quy trình điều chỉnh dữ liệu.",
        }
    married_on = local_date(now)
    before = {pid: str((record or {}).get("marital_status") or "single") for pid, record in known.items()}
    registry.record_marriage(a, b, married_on.isoformat(), code)
    problems = check_registered_marriage(registry.lookup(a), registry.lookup(b), married_on)
    return {"recorded": True, "previous_status": before, "check": [f.to_dict() for f in problems]}


def revoke_in_registry(
    registry: RegistryClient, dossier_data: dict[str, Any], code: str, now: datetime
) -> dict[str, Any]:
    """Compensating call (Luật Hộ tịch Art. 18(2)): a marriage refused at the chairman's signature after the
    entry; each party goes back to the marital status it had before (nothing deleted)."""
    a = (dossier_data.get("bride") or {}).get("personal_id")
    b = (dossier_data.get("groom") or {}).get("personal_id")
    ra, rb = (registry.lookup(a) if a else None), (registry.lookup(b) if b else None)
    if not a or not b or not ra or not rb or ra.get("spouse_personal_id") != b:
        reason = "Cơ sở dữ liệu dân cư chưa ghi nhận việc kết hôn: không có gì để hủy."
        return {"revoked": False, "reason": reason}
    restore = previous_statuses(code)
    registry.revoke_marriage(a, b, restore, f"{code}:revoke")
    return {"revoked": True, "restored": restore}


def previous_statuses(code: str) -> dict[str, str]:
    """The parties' marital status before the registration (kept on the dossier's result)."""
    from sqlalchemy import select

    from app.models import Dossier as DossierRow
    from app.models import db

    result = db.session.scalars(select(DossierRow.result).where(DossierRow.code == code)).first()
    db.session.commit()  # no transaction stays open across the external call
    return dict(((result or {}).get("registry") or {}).get("previous_status") or {})


def subject_key(data: dict[str, Any]) -> str | None:
    return None  # two parties, no single subject: earlier marriages are found by party_id_paths (KH-04)


def subject_name(data: dict[str, Any]) -> str:
    """ "bride – groom" (name, else personal id)."""
    names = [
        str((data.get(b) or {}).get("full_name") or (data.get(b) or {}).get("personal_id") or "")
        for b in SPOUSES
        if isinstance(data.get(b), dict)
    ]
    return " – ".join(n for n in names if n)


def classify(data: dict[str, Any], late: bool) -> str:
    return "ket_hon_lan_dau"  # a new registration (not "Đăng ký lại" nor "Ghi chú kết hôn"), domain.md §5.8.2


BOOK_COLUMNS = (
    BookColumn("Họ, chữ đệm, tên vợ", "bride_name", 20, "name"),
    BookColumn("Ngày sinh", "bride_birth_date", 7, "date"),
    BookColumn("Họ, chữ đệm, tên chồng", "groom_name", 20, "name"),
    BookColumn("Ngày sinh", "groom_birth_date", 7, "date"),
    # the marriage is established on the day it is entered (LHT Art. 18(2))
    BookColumn("Ngày xác lập quan hệ hôn nhân", "registered_on", 9, "date", from_entry=True),
)


def summary(data: dict[str, Any]) -> dict[str, Any]:
    form, lookups = data.get("dossier") or {}, data.get("lookups") or {}
    out: dict[str, Any] = {}
    for role in SPOUSES:
        person, record = form.get(role) or {}, lookups.get(role) or {}
        record = record if isinstance(record, dict) else {}
        out[f"{role}_name"] = person.get("full_name") or record.get("full_name") or None
        out[f"{role}_birth_date"] = person.get("birth_date") or record.get("birth_date")
        out[f"{role}_personal_id"] = person.get("personal_id")
        out[f"{role}_marriage_count"] = person.get("marriage_count")
    return out


def certificate_context(src: DocumentSource) -> dict[str, Any]:
    d, lookups = src.form, src.lookups
    return {
        **registration(src),
        "bride": person_block(d.get("bride"), lookups.get("bride")),
        "groom": person_block(d.get("groom"), lookups.get("groom")),
    }


def check_original_for(ctx: Mapping[str, Any]) -> None:
    """Each original names its holder (Bản chính số 1/2 for the wife, 2/2 for the husband)."""
    if ctx.get("original_for") not in SPOUSES:
        raise ValueError(f"original_for must be 'bride' or 'groom', got {ctx.get('original_for')!r}")


def certificate_variants(data: dict[str, Any], draft: bool) -> list[dict[str, Any]]:
    """One original for each spouse; a single draft for both to check."""
    if draft:
        return [{**draft_variant(), "original_for": "bride"}]
    return [
        {"suffix": f"ban_chinh_{i}", "copy": None, "original_for": who}
        for i, who in ((1, "bride"), (2, "groom"))
    ]


def sample(today: date) -> dict[str, Any]:
    """A counter dossier of two single persons of the demo registry, a first marriage each."""
    return {
        "channel": "counter",
        "data": {
            "requester": {"full_name": "Vũ Đức Anh", "personal_id": "001097067890", "relationship": "groom"},
            "copies": 0,
            "bride": {"personal_id": "001198056789", "full_name": "Đặng Thị Mai", "marriage_count": 1},
            "groom": {"personal_id": "001097067890", "full_name": "Vũ Đức Anh", "marriage_count": 1},
        },
    }


def extract_copies(data: dict[str, Any], draft: bool) -> list[dict[str, Any]]:
    """The copies of the Trích lục kết hôn the parties asked (and paid) for; there is no draft of them."""
    if draft:
        return []
    copies = int((data.get("dossier") or {}).get("copies") or 0)
    return [{"suffix": f"ban_sao_{i}", "copy": {"number": i}} for i in range(1, copies + 1)]


def sector_statistics(registered: list[Dossier]) -> dict[str, Any]:
    """Marriages registered in a period, for the Ministry report (domain.md §9.2): first marriages, ages."""
    ages: dict[str, list[int]] = {"groom": [], "bride": []}
    out: dict[str, Any] = {"total": 0, "first_marriages": 0}
    for d in registered:
        data = d.data or {}
        on = local_date(stored_moment((d.result or {}).get("resolved_at")) or d.received_at)
        out["total"] += 1
        firsts = 0
        for party in ("groom", "bride"):
            block = data.get(party) or {}
            if int(block.get("marriage_count") or 1) == 1:
                firsts += 1
                age = age_on(block.get("birth_date"), on)
                if age is not None:
                    ages[party].append(age)
        out["first_marriages"] += firsts == 2
    for party, label in (("groom", "male"), ("bride", "female")):
        values = ages[party]
        out[f"mean_age_first_marriage_{label}"] = round(sum(values) / len(values), 1) if values else None
    return out


PROCEDURE = Procedure(
    statistics=MinistryStatistics(
        sector_statistics,
        (
            Figure("total", ui_text("Tổng số cặp"), ui_text("Kết hôn")),
            Figure("first_marriages", ui_text("Kết hôn lần đầu"), ui_text("Kết hôn lần đầu")),
            Figure(
                "mean_age_first_marriage_male",
                ui_text("Tuổi TB kết hôn lần đầu (nam)"),
                ui_text("Tuổi trung bình kết hôn lần đầu — nam"),
            ),
            Figure(
                "mean_age_first_marriage_female",
                ui_text("Tuổi TB kết hôn lần đầu (nữ)"),
                ui_text("Tuổi trung bình kết hôn lần đầu — nữ"),
            ),
        ),
        heading=ui_text("Kết hôn"),
    ),
    sample=sample,
    sample_forms=sample_forms(
        marriage_handover={"bride_present": True, "groom_present": True, "voluntary_confirmed": True},
        verification_overdue={"decision": "examine"},
    ),
    checkpoints=(
        *DECISION_CHECKPOINTS,
        Checkpoint("marriage_handover", "officer", "Trao Giấy chứng nhận kết hôn (hai bên có mặt)"),
    ),
    key="marriage",
    process_key="marriage_registration",
    title=ui_text("Đăng ký kết hôn"),
    name="đăng ký kết hôn",
    book_name="kết hôn",
    form_title="Tờ khai đăng ký kết hôn",
    parties=PARTIES,
    lookup=lookup_with_family,
    evaluate=evaluate,
    subject_key=subject_key,
    existing_record=existing_record,
    party_id_paths=(("bride", "personal_id"), ("groom", "personal_id")),
    subject_name=subject_name,
    register=RegisterSpec(
        classify,
        summary,
        BOOK_COLUMNS,
        declarants=SPOUSES,
        classifications=MappingProxyType(
            {"ket_hon_lan_dau": "Kết hôn lần đầu", "ghi_chu_ket_hon": "Ghi chú kết hôn"}
        ),
    ),
    # Luật Hộ tịch Art. 11(1)(b): domestic marriage is exempt (the schedule's amount is 0 by default).
    fee=FeeRule(
        "kết hôn",
        "marriage",
        late_only=False,
        free_reason="domestic_marriage",
        copy_name="bản sao Trích lục kết hôn",
    ),
    # Luật Hộ tịch Art. 5(3), portal record 1.000894: 1 working day; Art. 18(2): at most 5 working days when
    # the conditions need verification. No registration period.
    limits=TimeLimits(1, 5, None),
    documents=(
        DocumentKind(
            "marriage_certificate",
            "Giấy chứng nhận kết hôn",
            "giay_chung_nhan_ket_hon",
            certificate_context,
            certificate_variants,
            resolves=True,
            companions=("marriage_extract",),
            check=check_original_for,
        ),
        # domain.md §5.4 step 10: copies of the extract (bản sao Trích lục kết hôn), charged under TT
        # 281/2016, printed with the certificates and signed with them
        DocumentKind(
            "marriage_extract", "Trích lục kết hôn", "trich_luc_ket_hon", certificate_context, extract_copies
        ),
    ),
    registry_operations=MappingProxyType(
        {
            "registry/register_marriage": RegistryOperation(
                register_in_registry, record_registry_outcome, label=ui_text("Cập nhật tình trạng hôn nhân")
            ),
            "registry/revoke_marriage": RegistryOperation(
                revoke_in_registry, keep_revocation, label=ui_text("Hủy cập nhật CSDL dân cư (kết hôn)")
            ),
        }
    ),
    # Luật Hộ tịch Art. 18(1): the declaration and the parties' identity papers; no authorisation (NĐ 123
    # Art. 6(2)), and the marital status is looked up, not submitted (domain.md §5.3.2)
    attachment_kinds=("declaration", "identity_document", "residence_proof", "other"),
    search_fields=(("requester", "full_name"), ("bride", "full_name"), ("groom", "full_name")),
    future_date_fields=(("bride", "birth_date"), ("groom", "birth_date")),
)
