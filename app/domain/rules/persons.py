"""Person checks shared by the procedures: identity against the registry, age, officer conflicts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from app.domain import personal_id
from app.domain.findings import Finding, Severity
from app.domain.kinship import relationship
from app.domain.personal_id import Sex
from app.domain.rules.context import RuleContext
from app.domain.rules.fields import block, parse_date, parse_year, text
from app.domain.text import same_name

ROLE_LABELS: dict[str, str] = {
    "child": "trẻ",
    "mother": "mẹ",
    "father": "cha",
    "requester": "người yêu cầu",
    "bride": "bên nữ",
    "groom": "bên nam",
    "deceased": "người chết",
}
SEX_LABELS: dict[str, str] = {"male": "nam", "female": "nữ"}
# LHT Art. 12(1)(h): no official decides for self or a relative — birth, marriage, death
CONFLICT_RULES = frozenset({"KS-14", "KH-12", "KT-12"})


def age_on(born: date, on: date) -> int:
    """Full years of age on a date; the birthday itself counts (born 29 Feb: reached on 1 Mar)."""
    years = on.year - born.year
    if (on.month, on.day) < (born.month, born.day):
        years -= 1
    return years


def _sex(value: Any) -> Sex | None:
    return "male" if value == "male" else "female" if value == "female" else None


def record_birth_year(record: Mapping[str, Any] | None) -> int | None:
    """Year of birth from a registry record."""
    if record is None:
        return None
    born = parse_date(record.get("birth_date"))
    return born.year if born else parse_year(record.get("birth_year"))


def identity_findings(
    role: str,
    person: Mapping[str, Any] | None,
    ctx: RuleContext,
    *,
    format_rule: str,
    registry_rule: str,
    registry_severity: Severity,
    structure_rule: str | None = None,
) -> list[Finding]:
    """Check a declared person's personal id (format, found, same name/birth/sex) against the registry.

    format_rule fires as `block`; not-found and mismatches as `registry_severity`; the id's internal
    structure versus the registered sex and year (KS-09) as `warn` under structure_rule.
    """
    if person is None:
        return []
    label = ROLE_LABELS.get(role, role)
    raw_id = person.get("personal_id")
    if raw_id is None or raw_id == "":
        return []
    field = f"{role}.personal_id"
    if not personal_id.is_valid_format(raw_id):
        return [
            Finding(
                format_rule,
                "block",
                f"Số định danh cá nhân của {label} ({raw_id!r}) phải gồm đúng 12 chữ số.",
                field,
            )
        ]
    if not ctx.is_looked_up(role):
        return []
    record = ctx.record(role)
    if record is None:
        return [
            Finding(
                registry_rule,
                registry_severity,
                f"Không tìm thấy số định danh cá nhân {raw_id} của {label} trong Cơ sở dữ liệu quốc gia "
                "về dân cư; đề nghị bổ sung, điều chỉnh thông tin.",
                field,
            )
        ]
    out: list[Finding] = []
    typed_name, known_name = person.get("full_name"), record.get("full_name")
    if isinstance(typed_name, str) and typed_name and isinstance(known_name, str) and known_name:
        if not same_name(typed_name, known_name):
            out.append(
                Finding(
                    registry_rule,
                    registry_severity,
                    f"Họ tên của {label} khai là '{typed_name}', nhưng Cơ sở dữ liệu dân cư ghi "
                    f"'{known_name}'.",
                    f"{role}.full_name",
                )
            )
    known_birth = parse_date(record.get("birth_date"))
    typed_birth = parse_date(person.get("birth_date"))
    if typed_birth and known_birth and typed_birth != known_birth:
        out.append(
            Finding(
                registry_rule,
                registry_severity,
                f"Ngày sinh của {label} khai là {typed_birth:%d/%m/%Y}, nhưng Cơ sở dữ liệu dân cư ghi "
                f"{known_birth:%d/%m/%Y}.",
                f"{role}.birth_date",
            )
        )
    typed_year = parse_year(person.get("birth_year"))
    known_year = record_birth_year(record)
    if typed_year and known_year and typed_year != known_year:
        out.append(
            Finding(
                registry_rule,
                registry_severity,
                f"Năm sinh của {label} khai là {typed_year}, nhưng Cơ sở dữ liệu dân cư ghi {known_year}.",
                f"{role}.birth_year",
            )
        )
    typed_sex, known_sex = _sex(person.get("sex")), _sex(record.get("sex"))
    if typed_sex and known_sex and typed_sex != known_sex:
        out.append(
            Finding(
                registry_rule,
                registry_severity,
                f"Giới tính của {label} khai là {SEX_LABELS[typed_sex]}, nhưng Cơ sở dữ liệu dân cư "
                f"ghi {SEX_LABELS[known_sex]}.",
                f"{role}.sex",
            )
        )
    if structure_rule and known_sex and known_year:
        for problem in personal_id.consistency_problems(raw_id, known_sex, known_year):
            out.append(Finding(structure_rule, "warn", f"Số định danh cá nhân của {label}: {problem}", field))
    return out


def officer_conflicts(
    rule: str, ctx: RuleContext, persons: Iterable[tuple[str, str | None]]
) -> list[Finding]:
    """LHT Art. 12(1)(h): the deciding official may not decide for self or a relative (người thân thích)."""
    officer = ctx.officer_personal_id
    if not officer:
        return []
    out: list[Finding] = []
    for role, pid in persons:
        if not pid:
            continue
        label = ROLE_LABELS.get(role, role)
        if pid == officer:
            out.append(
                Finding(
                    rule,
                    "block",
                    f"Người giải quyết (công chức hoặc người ký) chính là {label} trong hồ sơ; phải "
                    "giao người khác giải quyết.",
                    f"{role}.personal_id",
                )
            )
        elif ctx.kinship is not None and relationship(officer, pid, ctx.kinship) is not None:
            out.append(
                Finding(
                    rule,
                    "block",
                    f"Người giải quyết (công chức hoặc người ký) là người thân thích của {label}; phải giao "
                    "người khác giải quyết.",
                    f"{role}.personal_id",
                )
            )
    return out


def required_text(
    data: Mapping[str, Any], paths: Iterable[tuple[str, str]], rule: str = "C10"
) -> list[Finding]:
    """A `block` finding for each required text field (path, Vietnamese label) that is missing or blank."""
    return [
        Finding(rule, "block", f"Thiếu {label} ({path}).", path)
        for path, label in paths
        if text(data, path) is None
    ]


def requester_findings(data: Mapping[str, Any], ctx: RuleContext) -> list[Finding]:
    """The requester's identity (C2: id format) against the registry (C11: a mismatch is a warning)."""
    return identity_findings(
        "requester",
        block(data, "requester"),
        ctx,
        format_rule="C2",
        registry_rule="C11",
        registry_severity="warn",
    )


def copies_findings(data: Mapping[str, Any]) -> list[Finding]:
    """C10: the number of extra copies requested must be a non-negative integer."""
    copies = data.get("copies")
    if copies is not None and (isinstance(copies, bool) or not isinstance(copies, int) or copies < 0):
        return [Finding("C10", "block", "Số bản sao đề nghị cấp phải là số nguyên không âm.", "copies")]
    return []
