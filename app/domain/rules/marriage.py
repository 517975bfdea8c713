"""Marriage registration rules KH-01…KH-14 (domain.md §5.7), HN&GĐ 2014 Art. 5 and 8.

domain.md gives no severities for KH rules; chosen here: conditions of Art. 5 and 8 and the no-representation
rule → `block`; a registry that cannot confirm marital status → `route` (verification, NĐ 07/2025); another
commune or a foreign party → `route`; a marriage count that disagrees with the registry → `warn`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from app.domain.findings import Finding
from app.domain.kinship import relationship
from app.domain.provinces import commune_named
from app.domain.rules.context import RuleContext
from app.domain.rules.fields import block, get, is_vietnamese, member, parse_date, text
from app.domain.rules.persons import (
    ROLE_LABELS,
    SEX_LABELS,
    age_on,
    identity_findings,
    officer_conflicts,
    requester_findings,
    required_text,
)
from app.domain.text import nfc

PARTIES = ("bride", "groom")
# HN&GĐ Art. 8(1)(a): man from full 20 years, woman from full 18 years.
MINIMUM_AGE = {"groom": 20, "bride": 18}
EXPECTED_SEX = {"bride": "female", "groom": "male"}
MARITAL_OK = frozenset({"single", "divorced", "widowed"})
# HN&GĐ Art. 5(2)(d), each relation named as the law names it; in-law, step and adoptive relations bar the
# marriage even after the marriage or adoption that made them ended ("người đã từng là ...").
KINSHIP_VI = {
    "self": "là cùng một người",
    "direct_line": "có cùng dòng máu về trực hệ",
    "within_three_generations": "có họ trong phạm vi ba đời",
    "adoptive": "là cha, mẹ nuôi với con nuôi (hoặc đã từng là cha, mẹ nuôi với con nuôi)",
    "parent_in_law": "là (hoặc đã từng là) cha chồng với con dâu, mẹ vợ với con rể, kể cả khi hôn nhân "
    "đã chấm dứt do vợ/chồng chết hoặc ly hôn",
    "step_parent": "là (hoặc đã từng là) cha dượng với con riêng của vợ, mẹ kế với con riêng của chồng, "
    "kể cả khi hôn nhân đã chấm dứt do vợ/chồng chết hoặc ly hôn",
}


def _other(role: str) -> str:
    return "groom" if role == "bride" else "bride"


def evaluate_marriage(data: Mapping[str, Any], ctx: RuleContext) -> list[Finding]:
    """All marriage findings for a submission; missing or garbled fields become findings, never exceptions."""
    data = nfc(dict(data)) if isinstance(data, Mapping) else {}
    out: list[Finding] = []
    for role in PARTIES:
        label = ROLE_LABELS[role]
        if block(data, role) is None:
            out.append(Finding("C10", "block", f"Thiếu thông tin của {label}.", role))
        # what the registry holds needs not be typed (api.md: looked-up values prefill the declaration)
        record = ctx.record(role) or {}
        out += required_text(
            data,
            [
                (f"{role}.{key}", f"{what} của {label}")
                for key, what in (("full_name", "họ, chữ đệm, tên"), ("nationality", "quốc tịch"))
                if not (isinstance(record.get(key), str) and record[key].strip())
            ],
        )
        out += identity_findings(
            role, block(data, role), ctx, format_rule="C2", registry_rule="C11", registry_severity="warn"
        )
    out += requester_findings(data, ctx)
    for role in PARTIES:
        out += _age(data, ctx, role)
        out += _capacity(ctx, role)
        out += _marital_status(data, ctx, role)
    out += _kinship(data, ctx)
    out += _sexes(ctx)
    out += _competence(ctx)
    out += _nationality(data, ctx)
    out += _foreign_divorce(data)
    out += _requester(data)
    out += officer_conflicts("KH-12", ctx, [(r, text(data, f"{r}.personal_id")) for r in PARTIES])
    for role in PARTIES:
        out += _marriage_count(data, ctx, role)
    return out


def _age(data: Mapping[str, Any], ctx: RuleContext, role: str) -> list[Finding]:
    """KH-01 (HN&GĐ Art. 8(1)(a)): full age on the registration date; the birthday itself counts."""
    label, fld = ROLE_LABELS[role], f"{role}.birth_date"
    record = ctx.record(role)
    born = parse_date(record.get("birth_date")) if record else None
    born = born or parse_date(get(data, fld))
    if born is None:
        raw = get(data, fld)
        why = "Thiếu" if raw in (None, "") else "Không đọc được"
        return [Finding("KH-01", "block", f"{why} ngày sinh của {label}.", fld)]
    age, minimum = age_on(born, ctx.registration_date), MINIMUM_AGE[role]
    if age < minimum:
        return [
            Finding(
                "KH-01",
                "block",
                f"{label.capitalize()} sinh ngày {born:%d/%m/%Y}, đến ngày đăng ký "
                f"{ctx.registration_date:%d/%m/%Y} mới {age} tuổi, chưa đủ {minimum} tuổi.",
                fld,
            )
        ]
    return []


def _capacity(ctx: RuleContext, role: str) -> list[Finding]:
    """KH-03 (HN&GĐ Art. 8(1)(c)): no loss of civil act capacity; a deceased person cannot marry either.

    Reads the optional registry keys `legal_capacity_lost` (bool), `deceased_on` and `civil_status_locked`
    (LHT Art. 34(2): a registered death locks the person's civil-status record against new registrations).
    """
    record, label = ctx.record(role), ROLE_LABELS[role]
    if record is None:
        return []
    if record.get("deceased_on") or record.get("civil_status_locked") is True:
        died_on = parse_date(record.get("deceased_on"))
        when = f" ngày {died_on:%d/%m/%Y}" if died_on else ""
        return [
            Finding(
                "KH-03",
                "block",
                f"Cơ sở dữ liệu dân cư ghi {label} đã chết{when} (thông tin hộ tịch đã khóa).",
                f"{role}.personal_id",
            )
        ]
    # Art. 8(1)(c) bars only "mất năng lực hành vi dân sự" (BLDS 2015 Art. 22, by court decision); restricted
    # capacity (Art. 24) and difficulty in cognition (Art. 23) are not a bar, so "limited" passes.
    if record.get("legal_capacity") == "lost" or record.get("legal_capacity_lost") is True:
        return [
            Finding(
                "KH-03",
                "block",
                f"Cơ sở dữ liệu dân cư ghi {label} bị Tòa án tuyên bố mất năng lực hành vi dân sự: "
                "không đủ điều kiện kết hôn (Điều 8 khoản 1 điểm c Luật Hôn nhân và gia đình).",
                f"{role}.personal_id",
            )
        ]
    return []


def _marital_status(data: Mapping[str, Any], ctx: RuleContext, role: str) -> list[Finding]:
    """KH-04 (HN&GĐ Art. 5(2)(c)): neither party is married; unknown status → verification (`route`).

    Once the commune of residence has answered the verification request (NĐ 123 Art. 3 as amended by
    NĐ 07/2025), its answer settles a status the registry could not establish.
    """
    label, fld = ROLE_LABELS[role], f"{role}.personal_id"
    verify = (
        f"Chưa xác định được tình trạng hôn nhân của {label} qua tra cứu; gửi xác minh tới UBND xã "
        "nơi thường trú (trả lời trong 3 ngày làm việc, không tính vào thời hạn giải quyết)."
    )
    pid = text(data, fld)
    if pid is None:
        return [Finding("KH-04", "route", verify, fld)]
    registered = _registered_marriage(data, ctx, role, pid)
    if registered:
        return registered
    if not ctx.is_looked_up(role):
        return []
    record = ctx.record(role)
    status = record.get("marital_status") if record else None
    if status == "married":
        spouse = record.get("spouse_personal_id") if record else None
        if spouse and spouse == text(data, f"{_other(role)}.personal_id"):
            return [Finding("KH-04", "block", "Hai bên đã được đăng ký kết hôn với nhau.", fld)]
        return [
            Finding(
                "KH-04",
                "block",
                f"{label.capitalize()} đang có vợ hoặc chồng (tình trạng hôn nhân: đã kết "
                "hôn); phải có ghi nhận ly hôn, hủy kết hôn hoặc vợ/chồng đã chết.",
                fld,
            )
        ]
    if not member(status, MARITAL_OK):
        reply = ctx.marital_verification
        if reply is not None and reply.get("confirmed_single") is True:
            return []
        if reply is not None and reply.get("confirmed_single") is False:
            note = f" ({reply['note']})" if isinstance(reply.get("note"), str) and reply["note"] else ""
            return [
                Finding(
                    "KH-04",
                    "block",
                    f"UBND xã nơi cư trú không xác nhận {label} đang không có vợ hoặc chồng{note}.",
                    fld,
                )
            ]
        return [Finding("KH-04", "route", verify, fld)]
    return []


def _registered_marriage(data: Mapping[str, Any], ctx: RuleContext, role: str, pid: str) -> list[Finding]:
    """KH-04 against the civil-status DB: a marriage of this party registered in another dossier, which the
    registry lookup (made at submission) may not show yet; it stands unless the registry records it ended
    (the other spouse is a former one)."""
    label, fld = ROLE_LABELS[role], f"{role}.personal_id"
    record = ctx.record(role) or {}
    ended = {p for p in record.get("former_spouse_personal_ids") or [] if isinstance(p, str)}
    if record.get("marital_status") in ("divorced", "widowed") and isinstance(
        record.get("spouse_personal_id"), str
    ):
        ended.add(record["spouse_personal_id"])
    for marriage in ctx.existing_marriages:
        ids = (marriage.get("bride_personal_id"), marriage.get("groom_personal_id"))
        if pid not in ids:
            continue
        spouse = ids[1] if ids[0] == pid else ids[0]
        if spouse in ended:
            continue
        where = f" (hồ sơ {marriage['code']})" if marriage.get("code") else ""
        if spouse == text(data, f"{_other(role)}.personal_id"):
            message = f"Hai bên đã được đăng ký kết hôn với nhau{where}; mỗi sự kiện chỉ đăng ký một lần."
        else:
            message = (
                f"{label.capitalize()} đã được đăng ký kết hôn với người khác{where}, sau lần tra cứu Cơ sở "
                "dữ liệu dân cư của hồ sơ này: đang có vợ hoặc chồng."
            )
        return [Finding("KH-04", "block", message, fld)]
    return []


def _kinship(data: Mapping[str, Any], ctx: RuleContext) -> list[Finding]:
    """KH-05 (HN&GĐ Art. 5(2)(d), 3(17)-(18)): no marriage between close kin, adoptive or in-law relations."""
    bride, groom = text(data, "bride.personal_id"), text(data, "groom.personal_id")
    if ctx.kinship is None or not bride or not groom:
        return []
    found = relationship(bride, groom, ctx.kinship)
    if found is None or found == "spouse":
        return []
    return [
        Finding(
            "KH-05",
            "block",
            f"Hai bên {KINSHIP_VI[found]}: cấm kết hôn theo Điều 5 khoản 2 điểm d Luật Hôn nhân và gia đình.",
            "groom.personal_id",
        )
    ]


def _sexes(ctx: RuleContext) -> list[Finding]:
    """KH-07 (HN&GĐ Art. 8(2)): one man and one woman, by the sex recorded in the registry."""
    sexes = {role: (ctx.record(role) or {}).get("sex") for role in PARTIES}
    if not all(member(s, SEX_LABELS) for s in sexes.values()):
        return []
    if sexes["bride"] == sexes["groom"]:
        return [
            Finding(
                "KH-07",
                "block",
                "Nhà nước không thừa nhận hôn nhân giữa những người cùng giới tính "
                f"(cả hai bên đều là {SEX_LABELS[str(sexes['bride'])]}).",
                "bride.personal_id",
            )
        ]
    if sexes["bride"] != EXPECTED_SEX["bride"]:
        return [
            Finding(
                "KH-07",
                "block",
                "Cơ sở dữ liệu dân cư ghi bên nữ là nam và bên nam là nữ; khai lại đúng bên nam, bên nữ.",
                "bride.personal_id",
            )
        ]
    return []


def _competence(ctx: RuleContext) -> list[Finding]:
    """KH-08 (LHT Art. 17(1)): a party resides in the commune; otherwise route to a commune of residence."""
    codes = [(ctx.record(role) or {}).get("residence_commune_code") for role in PARTIES]
    if not all(codes) or ctx.commune_code in codes:
        return []
    return [
        Finding(
            "KH-08",
            "route",
            f"Không bên nào cư trú tại xã/phường tiếp nhận ({commune_named(ctx.commune_code)}); chuyển "
            f"hồ sơ đến UBND xã nơi cư trú của một bên ({'; '.join(commune_named(c) for c in codes)}).",
            "bride.residence",
        )
    ]


def _nationality(data: Mapping[str, Any], ctx: RuleContext) -> list[Finding]:
    """KH-09 (LHT Art. 7, 37): both Vietnamese citizens, else the foreign-element procedure 2.000806."""
    out: list[Finding] = []
    for role in PARTIES:
        values = [text(data, f"{role}.nationality"), (ctx.record(role) or {}).get("nationality")]
        foreign = next((v for v in values if isinstance(v, str) and v and not is_vietnamese(v)), None)
        if foreign:
            out.append(
                Finding(
                    "KH-09",
                    "route",
                    f"Quốc tịch của {ROLE_LABELS[role]} là '{foreign}': chuyển sang thủ "
                    "tục đăng ký kết hôn có yếu tố nước ngoài (2.000806).",
                    f"{role}.nationality",
                )
            )
    return out


def _foreign_divorce(data: Mapping[str, Any]) -> list[Finding]:
    """KH-10: a divorce granted abroad must first be recorded (ghi chú ly hôn)."""
    return [
        Finding(
            "KH-10",
            "block",
            f"Việc ly hôn ở nước ngoài của {ROLE_LABELS[role]} chưa được ghi chú vào sổ hộ "
            "tịch; phải làm thủ tục ghi chú ly hôn trước.",
            f"{role}.foreign_divorce_recorded",
        )
        for role in PARTIES
        if get(data, f"{role}.foreign_divorce_recorded") is False
    ]


def _requester(data: Mapping[str, Any]) -> list[Finding]:
    """KH-11 (LHT Art. 6(2), 18(1)): a party submits in person; no representation for marriage."""
    fld = "requester.relationship"
    relation = get(data, fld)
    if relation not in PARTIES:
        return [
            Finding(
                "KH-11",
                "block",
                "Người nộp hồ sơ đăng ký kết hôn phải là bên nam hoặc bên nữ "
                f"(requester.relationship = {relation!r}); không được ủy quyền.",
                fld,
            )
        ]
    requester_id, party_id = text(data, "requester.personal_id"), text(data, f"{relation}.personal_id")
    if requester_id and party_id and requester_id != party_id:
        return [
            Finding(
                "KH-11",
                "block",
                f"Số định danh của người nộp khác số định danh của "
                f"{ROLE_LABELS[str(relation)]}; không được ủy quyền đăng ký kết hôn.",
                "requester.personal_id",
            )
        ]
    return []


def _marriage_count(data: Mapping[str, Any], ctx: RuleContext, role: str) -> list[Finding]:
    """KH-14 [design]: "kết hôn lần thứ mấy" agrees with the marital history in the registry."""
    fld, label = f"{role}.marriage_count", ROLE_LABELS[role]
    count = get(data, fld)
    if isinstance(count, str) and count.strip().isdigit():
        count = int(count.strip())
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        return [Finding("C10", "block", f"Lần kết hôn của {label} phải là số nguyên từ 1 trở lên.", fld)]
    status = (ctx.record(role) or {}).get("marital_status")
    if count == 1 and status in ("divorced", "widowed"):
        return [
            Finding(
                "KH-14",
                "warn",
                f"{label.capitalize()} khai kết hôn lần đầu nhưng Cơ sở dữ liệu ghi đã "
                f"{'ly hôn' if status == 'divorced' else 'góa'}.",
                fld,
            )
        ]
    if count > 1 and status == "single":
        return [
            Finding(
                "KH-14",
                "warn",
                f"{label.capitalize()} khai kết hôn lần thứ {count} nhưng Cơ sở dữ liệu ghi "
                "chưa kết hôn lần nào.",
                fld,
            )
        ]
    return []


def evaluate_handover(data: Mapping[str, Any]) -> list[Finding]:
    """KH-02 and KH-11 at the handover task: both parties present and marrying voluntarily."""
    out = [
        Finding(
            "KH-11",
            "block",
            f"{ROLE_LABELS[role].capitalize()} phải có mặt khi trao Giấy chứng nhận kết hôn "
            f"({role}_present).",
            f"{role}_present",
        )
        for role in PARTIES
        if get(data, f"{role}_present") is not True
    ]
    if get(data, "voluntary_confirmed") is not True:
        out.append(
            Finding(
                "KH-02",
                "block",
                "Hai bên phải xác nhận việc kết hôn là tự nguyện.",
                "voluntary_confirmed",
            )
        )
    return out


def check_registered_marriage(
    bride: Mapping[str, Any] | None, groom: Mapping[str, Any] | None, married_on: date | None = None
) -> list[Finding]:
    """KH-13 (LHT Art. 5(6)): after registration the registry shows both parties married to each other."""
    out: list[Finding] = []
    for role, me, other in (("bride", bride, groom), ("groom", groom, bride)):
        ok = (
            me is not None
            and other is not None
            and me.get("marital_status") == "married"
            and me.get("spouse_personal_id") == other.get("personal_id")
        )
        if not ok:
            when = f" sau ngày {married_on:%d/%m/%Y}" if married_on else ""
            out.append(
                Finding(
                    "KH-13",
                    "block",
                    f"Cơ sở dữ liệu dân cư chưa ghi {ROLE_LABELS[role]} đã kết hôn với bên kia{when}.",
                    f"{role}.personal_id",
                )
            )
    return out
