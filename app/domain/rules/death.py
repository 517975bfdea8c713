"""Death registration rules KT-01…KT-12 (domain.md §6.7), Luật Hộ tịch Art. 32–34, NĐ 123/2015 Art. 4(2).

domain.md gives no severities for KT rules; chosen here: impossible dates, a duplicate, a missing or unfit
death notice, an unauthorised requester, an id contradicting the registry, a lunar date and a conflicted
official → `block`; late → `flag`; another commune or a foreigner → `route`; a newborn whose 24 hours cannot
be established from dates alone → `warn`; a newborn who lived under 24 hours → `info`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from app.domain.deadlines import DEATH_REGISTRATION_DAYS
from app.domain.findings import Finding
from app.domain.provinces import commune_named
from app.domain.rules.context import RuleContext
from app.domain.rules.fields import (
    block,
    get,
    is_vietnamese,
    member,
    parse_date,
    parse_moment,
    parse_year,
    text,
)
from app.domain.rules.persons import (
    copies_findings,
    identity_findings,
    officer_conflicts,
    record_birth_year,
    requester_findings,
    required_text,
)
from app.domain.text import nfc

# Luật Hộ tịch Art. 33(1): spouse, child, parent, other relative; else an agency/organisation representative.
RELATIONSHIPS_WITHOUT_AUTHORISATION = frozenset({"spouse", "child", "parent", "relative", "organization"})
RELATIONSHIPS = RELATIONSHIPS_WITHOUT_AUTHORISATION | {"authorized"}
# NĐ 123/2015 Art. 4(2)(a)–(đ): who issues the death notice or its substitute.
ISSUER_TYPES = {
    "health_facility": "Thủ trưởng cơ sở y tế (chết tại cơ sở y tế)",
    "execution_council": "Chủ tịch Hội đồng thi hành án tử hình",
    "court": "Bản án, quyết định của Tòa án (tuyên bố chết)",
    "police": "Cơ quan công an hoặc kết luận giám định pháp y",
    "commune": "UBND cấp xã nơi người đó chết",
}
NEWBORN_DAYS = 365  # KT-09 applies to infants only [design]


def evaluate_death(data: Mapping[str, Any], ctx: RuleContext) -> list[Finding]:
    """All death findings for a submission; missing or garbled fields become findings, never exceptions."""
    data = nfc(dict(data)) if isinstance(data, Mapping) else {}
    record = ctx.record("deceased") if text(data, "deceased.personal_id") else None
    moment = parse_moment(get(data, "death.at"))
    died = moment[0] if moment else None
    born = parse_date(record.get("birth_date")) if record else None
    born = born or parse_date(get(data, "deceased.birth_date"))
    out: list[Finding] = []
    out += _completeness(data, record)
    out += _competence(ctx, record)
    out += _death_date(data, ctx, died, born, record)
    out += _death_notice(data, ctx, died)
    out += _duplicate(ctx, record)
    out += _requester(data, ctx)
    out += identity_findings(
        "deceased",
        block(data, "deceased"),
        ctx,
        format_rule="KT-08",
        registry_rule="KT-08",
        registry_severity="block",
        structure_rule="KT-08",
    )
    out += requester_findings(data, ctx)
    out += _newborn(data, ctx, died, born, record)
    out += _foreign(data, record)
    if get(data, "death.calendar") == "lunar":
        out.append(
            Finding(
                "KT-11",
                "block",
                "Ngày chết phải ghi theo dương lịch; đổi ngày âm lịch sang dương lịch.",
                "death.at",
            )
        )
    out += officer_conflicts("KT-12", ctx, [("deceased", text(data, "deceased.personal_id"))])
    return out


def _completeness(data: Mapping[str, Any], record: Mapping[str, Any] | None) -> list[Finding]:
    """C10: the declaration's required content (domain.md §6.3.1).

    What the registry holds about a deceased given by personal id needs not be typed (api.md: looked-up
    values prefill the declaration).
    """
    known = record or {}
    out = required_text(
        data,
        [
            (path, label)
            for path, label in (
                ("deceased.full_name", "họ, chữ đệm, tên của người chết"),
                ("deceased.nationality", "quốc tịch của người chết"),
                ("requester.full_name", "họ tên người yêu cầu"),
            )
            if not (path.startswith("deceased.") and known.get(path.split(".")[1]))
        ],
    )
    if get(data, "deceased.sex") not in ("male", "female") and known.get("sex") not in ("male", "female"):
        out.append(Finding("C10", "block", "Giới tính của người chết phải là nam hoặc nữ.", "deceased.sex"))
    raw_birth, raw_year = get(data, "deceased.birth_date"), get(data, "deceased.birth_year")
    if raw_birth in (None, "") and raw_year in (None, "") and known.get("birth_date"):
        pass  # the registry gives the date of birth
    elif raw_birth in (None, "") and raw_year in (None, ""):
        out.append(
            Finding(
                "C10",
                "block",
                "Thiếu ngày sinh hoặc năm sinh của người chết.",
                "deceased.birth_date",
            )
        )
    elif raw_birth not in (None, "") and parse_date(raw_birth) is None:
        out.append(
            Finding(
                "C10",
                "block",
                "Ngày sinh của người chết không phải là ngày hợp lệ.",
                "deceased.birth_date",
            )
        )
    elif raw_birth in (None, "") and parse_year(raw_year) is None:
        out.append(
            Finding(
                "C10",
                "block",
                "Năm sinh của người chết không hợp lệ.",
                "deceased.birth_year",
            )
        )
    out += copies_findings(data)
    return out


def _competence(ctx: RuleContext, record: Mapping[str, Any] | None) -> list[Finding]:
    """KT-01 (LHT Art. 32): the commune of last residence; route when the registry shows another commune."""
    code = record.get("residence_commune_code") if record else None
    if not code or code == ctx.commune_code:
        return []
    return [
        Finding(
            "KT-01",
            "route",
            f"Nơi cư trú cuối cùng của người chết thuộc {commune_named(code)}, không phải xã "
            f"tiếp nhận ({commune_named(ctx.commune_code)}); chuyển hồ sơ đến UBND xã có thẩm quyền.",
            "deceased.last_residence",
        )
    ]


def _death_date(
    data: Mapping[str, Any],
    ctx: RuleContext,
    died: date | None,
    born: date | None,
    record: Mapping[str, Any] | None,
) -> list[Finding]:
    """KT-02 (death not after registration, not before birth) and KT-03 (late after 15 days, LHT Art. 33)."""
    raw = get(data, "death.at")
    if died is None:
        why = "Thiếu" if raw in (None, "") else "Không đọc được"
        return [Finding("KT-02", "block", f"{why} ngày, giờ chết.", "death.at")]
    if died > ctx.registration_date:
        return [
            Finding(
                "KT-02",
                "block",
                f"Ngày chết ({died:%d/%m/%Y}) sau ngày đăng ký ({ctx.registration_date:%d/%m/%Y}).",
                "death.at",
            )
        ]
    birth_year = (
        born.year if born else (record_birth_year(record) or parse_year(get(data, "deceased.birth_year")))
    )
    if (born and died < born) or (not born and birth_year and died.year < birth_year):
        shown = f"{born:%d/%m/%Y}" if born else str(birth_year)
        return [
            Finding(
                "KT-02",
                "block",
                f"Ngày chết ({died:%d/%m/%Y}) trước ngày sinh của người chết ({shown}).",
                "death.at",
            )
        ]
    deadline = ctx.working_calendar.registration_deadline(died, DEATH_REGISTRATION_DAYS)
    if ctx.registered_by > deadline:
        return [
            Finding(
                "KT-03",
                "flag",
                f"Đăng ký khai tử quá hạn: hạn 15 ngày kể từ ngày chết ({died:%d/%m/%Y}) "
                f'đã hết ngày {deadline:%d/%m/%Y}; ghi "Quá hạn" và áp dụng lệ phí.',
                "death.at",
            )
        ]
    return []


def _death_notice(data: Mapping[str, Any], ctx: RuleContext, died: date | None) -> list[Finding]:
    """KT-04 (the notice is the authority for time, place, cause); KT-05 (issuer type, NĐ 123 Art. 4(2))."""
    out = required_text(
        data, [("death.place", "nơi chết"), ("death.cause", "nguyên nhân chết")], rule="KT-04"
    )
    notice = get(data, "death_notice")
    if notice is None and ctx.has_attachment("death_evidence"):
        # domain.md §6.2: a death long ago with no notice is proved by other documents the officer weighs
        out.append(
            Finding(
                "KT-04",
                "warn",
                "Không có Giấy báo tử: xem xét giấy tờ, tài liệu chứng minh sự kiện chết đã nộp.",
                "death_notice",
            )
        )
        return out
    if not isinstance(notice, Mapping):
        out.append(Finding("KT-04", "block", "Thiếu Giấy báo tử hoặc giấy tờ thay thế.", "death_notice"))
        return out
    out += required_text(
        data,
        [("death_notice.number", "số Giấy báo tử"), ("death_notice.issuer", "cơ quan cấp Giấy báo tử")],
        rule="KT-04",
    )
    raw = notice.get("issued_on")
    issued = parse_date(raw)
    if issued is None:
        why = "Thiếu" if raw in (None, "") else "Không đọc được"
        out.append(
            Finding(
                "KT-04",
                "block",
                f"{why} ngày cấp Giấy báo tử.",
                "death_notice.issued_on",
            )
        )
    elif died and issued < died:
        out.append(
            Finding(
                "KT-04",
                "block",
                f"Giấy báo tử cấp ngày {issued:%d/%m/%Y}, trước ngày chết ({died:%d/%m/%Y}).",
                "death_notice.issued_on",
            )
        )
    elif issued > ctx.registration_date:
        out.append(
            Finding(
                "KT-04",
                "block",
                f"Giấy báo tử cấp ngày {issued:%d/%m/%Y}, sau ngày đăng ký.",
                "death_notice.issued_on",
            )
        )
    issuer_type = notice.get("issuer_type")
    if not member(issuer_type, ISSUER_TYPES):
        out.append(
            Finding(
                "KT-05",
                "block",
                f"Loại cơ quan cấp Giấy báo tử không hợp lệ: "
                f"{issuer_type!r}; phải là một trong các trường hợp a–đ Điều 4(2) "
                "Nghị định 123/2015.",
                "death_notice.issuer_type",
            )
        )
    return out


def _duplicate(ctx: RuleContext, record: Mapping[str, Any] | None) -> list[Finding]:
    """KT-06 (LHT Art. 5(4)): not already registered as dead (civil status DB, or locked in population DB)."""
    if ctx.existing_deaths:
        first = ctx.existing_deaths[0]
        where = f" (số {first.get('number')})" if first.get("number") else ""
        return [
            Finding(
                "KT-06",
                "block",
                f"Người này đã được đăng ký khai tử{where}; mỗi sự kiện chỉ đăng ký một lần.",
                "deceased.personal_id",
            )
        ]
    if record and (record.get("deceased_on") or record.get("civil_status_locked") is True):
        died_on = parse_date(record.get("deceased_on"))
        when = f" ngày {died_on:%d/%m/%Y}" if died_on else ""
        return [
            Finding(
                "KT-06",
                "block",
                f"Cơ sở dữ liệu dân cư đã ghi người này chết{when} (thông tin hộ tịch đã khóa).",
                "deceased.personal_id",
            )
        ]
    return []


def _requester(data: Mapping[str, Any], ctx: RuleContext) -> list[Finding]:
    """KT-07 (LHT Art. 33, C16): a relative or organisation, or an agent with a certified authorisation.

    A requester whom the registry records as dead cannot act (LHT Art. 34(2): the record is locked), nor can
    the deceased be their own requester.
    """
    fld = "requester.relationship"
    relation = get(data, fld)
    record = ctx.record("requester") if text(data, "requester.personal_id") else None
    if record and (record.get("deceased_on") or record.get("civil_status_locked") is True):
        return [
            Finding(
                "KT-07",
                "block",
                "Cơ sở dữ liệu dân cư ghi người yêu cầu đã chết (thông tin hộ tịch đã khóa).",
                "requester.personal_id",
            )
        ]
    requester_id = text(data, "requester.personal_id")
    if requester_id and requester_id == text(data, "deceased.personal_id"):
        return [
            Finding(
                "KT-07",
                "block",
                "Số định danh của người yêu cầu trùng số định danh của người chết; người đi đăng ký khai tử "
                "phải là người khác (vợ, chồng, con, cha, mẹ, người thân thích hoặc người được ủy quyền).",
                "requester.personal_id",
            )
        ]
    if relation in (None, ""):
        return [
            Finding(
                "KT-07",
                "block",
                "Thiếu quan hệ của người yêu cầu với người chết.",
                fld,
            )
        ]
    if not member(relation, RELATIONSHIPS):
        return [
            Finding(
                "KT-07",
                "block",
                f"Quan hệ với người chết không hợp lệ: {relation!r}.",
                fld,
            )
        ]
    if (
        relation == "authorized"
        and get(data, "authorization_attached") is not True
        and not ctx.has_attachment("authorization")
    ):
        return [
            Finding(
                "KT-07",
                "block",
                "Người được ủy quyền đi đăng ký khai tử phải nộp văn bản ủy quyền được chứng thực.",
                "authorization_attached",
            )
        ]
    return []


def _newborn(
    data: Mapping[str, Any],
    ctx: RuleContext,
    died: date | None,
    born: date | None,
    record: Mapping[str, Any] | None,
) -> list[Finding]:
    """KT-09 (BLDS Art. 30): a newborn who lived ≥ 24 h needs a birth registration first or alongside."""
    if died is None or born is None or not 0 <= (died - born).days < NEWBORN_DAYS:
        return []
    lived = (died - born).days
    if lived == 0:
        return [
            Finding(
                "KT-09",
                "info",
                "Trẻ chết trong ngày sinh (sống dưới 24 giờ): không bắt buộc đăng ký khai "
                "sinh, khai tử trừ khi cha mẹ yêu cầu.",
                "death.at",
            )
        ]
    registered = ctx.registry_birth_registered
    if registered is None and record is not None:
        registered = True  # a registry record with a personal id exists only after birth registration
    if registered:
        return []
    if registered is False and lived >= 2:
        return [
            Finding(
                "KT-09",
                "block",
                "Trẻ sống từ 24 giờ trở lên mới chết nhưng chưa được đăng ký khai sinh; "
                "phải đăng ký khai sinh trước hoặc đồng thời với khai tử.",
                "deceased",
            )
        ]
    return [
        Finding(
            "KT-09",
            "warn",
            "Trẻ sơ sinh chết: nếu trẻ sống từ 24 giờ trở lên thì phải có đăng ký khai sinh "
            "(kiểm tra giờ sinh, giờ chết và việc đăng ký khai sinh).",
            "deceased",
        )
    ]


def _foreign(data: Mapping[str, Any], record: Mapping[str, Any] | None) -> list[Finding]:
    """KT-10 (LHT Art. 51): a deceased foreigner routes to procedure 1.001766."""
    values = [text(data, "deceased.nationality"), record.get("nationality") if record else None]
    foreign = next((v for v in values if isinstance(v, str) and v and not is_vietnamese(v)), None)
    if foreign is None:
        return []
    return [
        Finding(
            "KT-10",
            "route",
            f"Quốc tịch của người chết là '{foreign}': chuyển sang thủ tục đăng ký khai tử "
            "có yếu tố nước ngoài (1.001766).",
            "deceased.nationality",
        )
    ]
