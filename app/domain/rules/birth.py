"""Birth registration rules KS-01…KS-16 (domain.md §4.7) plus dossier completeness (C10)."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from app.domain.date_words import date_in_words, matches_date
from app.domain.deadlines import BIRTH_REGISTRATION_DAYS
from app.domain.findings import Finding
from app.domain.kinship import relationship
from app.domain.provinces import commune_named, mentions_current_province
from app.domain.rules.context import RuleContext
from app.domain.rules.fields import (
    block,
    get,
    is_vietnamese,
    member,
    parse_date,
    parse_moment,
    parse_year,
    same_folded,
    text,
)
from app.domain.rules.persons import (
    age_on,
    copies_findings,
    identity_findings,
    officer_conflicts,
    record_birth_year,
    required_text,
)
from app.domain.text import fold, nfc, same_name

SPECIAL_CASES = frozenset({"father_unknown", "abandoned", "surrogacy", "parents_unknown"})
NO_PARENT_CASES = frozenset({"abandoned", "parents_unknown"})
# Luật Hộ tịch Art. 15(1): parents; grandparents and relatives need no authorisation; carers register too.
RELATIONSHIPS_WITHOUT_AUTHORISATION = frozenset({"father", "mother", "grandparent", "relative", "carer"})
RELATIONSHIPS = RELATIONSHIPS_WITHOUT_AUTHORISATION | {"authorized"}
MIN_PARENT_AGE = 12  # KS-05 plausibility threshold [design]
MAX_NAME_WORDS = 6  # KS-07 "not too long or hard to use" [design]
MAX_NAME_CHARS = 50
TWO_LEVEL_ADDRESSES_FROM = date(2025, 7, 1)  # NĐ 120/2025: provinces and communes only, 34 provinces
NAME_PUNCTUATION = frozenset(" '-’")
ROLE_VI = {"mother": "mẹ", "father": "cha"}


@dataclass(frozen=True)
class _Parent:
    """What is known about one parent, from the declaration and the registry."""

    role: str
    declared: bool
    block: Mapping[str, Any] | None
    record: Mapping[str, Any] | None

    def value(self, key: str) -> Any:
        """Registry value when known (it prevails), else the typed value."""
        if self.record is not None and self.record.get(key) not in (None, ""):
            return self.record.get(key)
        return self.block.get(key) if self.block is not None else None

    @property
    def personal_id(self) -> str | None:
        value = self.block.get("personal_id") if self.block else None
        return value if isinstance(value, str) and value else None

    @property
    def name(self) -> str | None:
        value = self.value("full_name")
        return value if isinstance(value, str) and value else None

    @property
    def birth_date(self) -> date | None:
        return parse_date(self.record.get("birth_date")) if self.record else None

    @property
    def birth_year(self) -> int | None:
        year = record_birth_year(self.record)
        return year if year else parse_year(self.block.get("birth_year") if self.block else None)


def _parent(data: Mapping[str, Any], role: str, ctx: RuleContext) -> _Parent:
    found = block(data, role)
    declared = found is not None and any(found.get(k) not in (None, "") for k in ("personal_id", "full_name"))
    has_id = found is not None and found.get("personal_id") not in (None, "")
    return _Parent(role, declared, found, ctx.record(role) if has_id else None)


def evaluate_birth(data: Mapping[str, Any], ctx: RuleContext) -> list[Finding]:
    """All birth findings for a submission; missing or garbled fields become findings, never exceptions."""
    data = nfc(dict(data)) if isinstance(data, Mapping) else {}
    parents = [_parent(data, "mother", ctx), _parent(data, "father", ctx)]
    special = get(data, "special_case")
    special = special if special is None or member(special, SPECIAL_CASES) else "invalid"
    born = parse_date(get(data, "child.birth_date"))
    out: list[Finding] = []
    out += _completeness(data, parents, special, born, ctx)
    out += _competence(ctx, parents, special)
    out += _birth_date(data, ctx, born)
    out += _parents_declared(parents, special)
    out += _parent_sexes(parents)
    out += _parent_ages(parents, born)
    out += _follows_parents(data, parents, special)
    out += _child_name(data)
    out += _requester(data, parents, ctx)
    for role in ("mother", "father", "requester"):
        person = block(data, role)
        out += identity_findings(
            role,
            person,
            ctx,
            format_rule="KS-09",
            registry_rule="KS-09",
            registry_severity="warn",
            structure_rule="KS-09",
        )
    out += _duplicate(data, ctx, born, parents[0])
    out += _parents_marriage(data, ctx)
    out += _date_in_words(data, born)
    out += _foreign_element(data, parents)
    out += _requester_age(data, ctx)
    out += _requester_family_link(data, parents, ctx)
    out += officer_conflicts("KS-14", ctx, [(p.role, p.personal_id) for p in parents])
    out += _birth_place(data, born)
    out += _newborn_death(data, born)
    return out


def _completeness(
    data: Mapping[str, Any], parents: list[_Parent], special: Any, born: date | None, ctx: RuleContext
) -> list[Finding]:
    """C10: required content of the declaration and the birth evidence (Luật Hộ tịch Art. 16(1)), and the
    documents of the special cases (domain.md §4.3.2) when the attachments are known."""
    out = required_text(
        data,
        [
            ("child.full_name", "họ, chữ đệm, tên của trẻ"),
            ("child.ethnicity", "dân tộc của trẻ"),
            ("child.nationality", "quốc tịch của trẻ"),
            ("child.home_town", "quê quán của trẻ"),
            ("requester.full_name", "họ tên người yêu cầu"),
        ],
    )
    if not isinstance(get(data, "child"), Mapping):
        out.append(Finding("C10", "block", "Thiếu thông tin về trẻ được khai sinh.", "child"))
    if get(data, "child.sex") not in ("male", "female"):
        out.append(Finding("C10", "block", "Giới tính của trẻ phải là nam hoặc nữ.", "child.sex"))
    if special == "invalid":
        out.append(
            Finding(
                "C10",
                "block",
                f"Trường hợp đặc biệt không hợp lệ: {get(data, 'special_case')!r}.",
                "special_case",
            )
        )
    for p in parents:
        raw = get(data, p.role)
        if raw is not None and not isinstance(raw, Mapping):
            out.append(Finding("C10", "block", f"Thông tin về {ROLE_VI[p.role]} không đúng dạng.", p.role))
        elif p.block and not p.declared and any(v not in (None, "") for v in p.block.values()):
            out.append(
                Finding(
                    "C10",
                    "block",
                    f"Thiếu họ tên hoặc số định danh cá nhân của {ROLE_VI[p.role]}.",
                    f"{p.role}.full_name",
                )
            )
        if (
            p.block
            and p.block.get("birth_year") not in (None, "")
            and parse_year(p.block["birth_year"]) is None
        ):
            out.append(
                Finding(
                    "C10",
                    "block",
                    f"Năm sinh của {ROLE_VI[p.role]} không hợp lệ.",
                    f"{p.role}.birth_year",
                )
            )
    out += _special_documents(special, ctx)
    certificate = get(data, "birth_certificate")
    if certificate is None:
        witnessed = get(data, "witness_or_undertaking_attached") is True or ctx.has_attachment(
            "witness_statement", "birth_undertaking"
        )
        if special not in NO_PARENT_CASES and not witnessed:
            out.append(
                Finding(
                    "C10",
                    "block",
                    "Không có Giấy chứng sinh thì phải nộp văn bản "
                    "của người làm chứng hoặc giấy cam đoan về việc sinh.",
                    "birth_certificate",
                )
            )
    elif not isinstance(certificate, Mapping):
        out.append(
            Finding(
                "C10",
                "block",
                "Thông tin Giấy chứng sinh không đúng dạng.",
                "birth_certificate",
            )
        )
    else:
        issued_raw = certificate.get("issued_on")
        issued = parse_date(issued_raw)
        if issued_raw not in (None, "") and issued is None:
            out.append(
                Finding(
                    "C10",
                    "block",
                    "Ngày cấp Giấy chứng sinh không phải là ngày hợp lệ.",
                    "birth_certificate.issued_on",
                )
            )
        elif issued and born and issued < born:
            out.append(
                Finding(
                    "KS-02",
                    "block",
                    f"Ngày cấp Giấy chứng sinh ({issued:%d/%m/%Y}) trước ngày sinh của "
                    f"trẻ ({born:%d/%m/%Y}).",
                    "birth_certificate.issued_on",
                )
            )
    out += copies_findings(data)
    return out


def _special_documents(special: Any, ctx: RuleContext) -> list[Finding]:
    """C10 (domain.md §4.3.2): an abandoned child's record; the health facility's surrogacy confirmation."""
    if ctx.attachments is None:
        return []
    needed = {
        "abandoned": (
            "abandoned_child_record",
            "Trẻ bị bỏ rơi: phải nộp biên bản xác nhận việc trẻ bị bỏ rơi.",
        ),
        "surrogacy": (
            "surrogacy_confirmation",
            "Sinh con theo phương pháp mang thai hộ: phải nộp văn bản xác nhận của cơ sở y tế đã thực "
            "hiện kỹ thuật hỗ trợ sinh sản.",
        ),
    }
    if special not in needed or ctx.has_attachment(needed[special][0]):
        return []
    kind, message = needed[special]
    return [Finding("C10", "block", message, "attachments")]


def _competence(ctx: RuleContext, parents: list[_Parent], special: Any) -> list[Finding]:
    """KS-01 (Luật Hộ tịch Art. 13): commune of residence of the father or mother.

    `route` when the parents' registered residence is another commune (NĐ 120/2025: help file it there);
    `block` when no residence of either parent can be established at all.
    """
    if special in NO_PARENT_CASES:
        return []  # NĐ 123 Art. 14–15: competence follows where the child was found or lives
    declared = [p for p in parents if p.declared]
    codes = [
        str(p.record["residence_commune_code"])
        for p in declared
        if p.record and p.record.get("residence_commune_code")
    ]
    if codes:
        if ctx.commune_code in codes:
            return []
        return [
            Finding(
                "KS-01",
                "route",
                f"Cha, mẹ không cư trú tại xã/phường tiếp nhận ({commune_named(ctx.commune_code)}); "
                "chuyển hồ sơ đến UBND xã nơi cư trú "
                f"({'; '.join(commune_named(c) for c in sorted(set(codes)))}).",
                "mother.residence",
            )
        ]
    pending = [p for p in declared if p.personal_id and not ctx.is_looked_up(p.role)]
    typed = [
        p for p in declared if p.block and isinstance(p.block.get("residence"), str) and p.block["residence"]
    ]
    if declared and not pending and not typed:
        return [
            Finding(
                "KS-01",
                "block",
                "Không xác định được nơi cư trú của cha hoặc mẹ để xác định thẩm quyền đăng ký khai sinh.",
                "mother.residence",
            )
        ]
    return []


def _birth_date(data: Mapping[str, Any], ctx: RuleContext, born: date | None) -> list[Finding]:
    """KS-02 (date of birth present, valid, not after registration) and KS-03 (late flag, LHT Art. 15)."""
    raw = get(data, "child.birth_date")
    if raw in (None, ""):
        return [
            Finding(
                "KS-02",
                "block",
                "Thiếu ngày, tháng, năm sinh của trẻ.",
                "child.birth_date",
            )
        ]
    if born is None:
        return [
            Finding(
                "KS-02",
                "block",
                f"Ngày sinh của trẻ «{raw}» không phải là ngày hợp lệ.",
                "child.birth_date",
            )
        ]
    if born > ctx.registration_date:
        return [
            Finding(
                "KS-02",
                "block",
                f"Ngày sinh của trẻ ({born:%d/%m/%Y}) sau ngày đăng ký ({ctx.registration_date:%d/%m/%Y}).",
                "child.birth_date",
            )
        ]
    calendar = ctx.working_calendar
    deadline = calendar.registration_deadline(born, BIRTH_REGISTRATION_DAYS)
    if ctx.registered_by > deadline:
        return [
            Finding(
                "KS-03",
                "flag",
                f"Đăng ký khai sinh quá hạn: hạn 60 ngày kể từ ngày sinh "
                f'({born:%d/%m/%Y}) đã hết ngày {deadline:%d/%m/%Y}; ghi "Quá hạn" và áp '
                "dụng lệ phí.",
                "child.birth_date",
            )
        ]
    return []


def _parents_declared(parents: list[_Parent], special: Any) -> list[Finding]:
    """KS-04: at least one parent; a blank father needs the "father not identified" path."""
    mother, father = parents
    if special in NO_PARENT_CASES:
        return []
    if not mother.declared and not father.declared:
        return [
            Finding(
                "KS-04", "block", "Phải khai thông tin của ít nhất cha hoặc mẹ (mother/father).", "mother"
            )
        ]
    out: list[Finding] = []
    if not father.declared and special != "father_unknown":
        out.append(
            Finding(
                "KS-04",
                "block",
                "Phần khai về cha để trống: phải chọn trường hợp chưa xác "
                "định được cha (special_case = father_unknown).",
                "father",
            )
        )
    if father.declared and special == "father_unknown":
        out.append(
            Finding(
                "KS-04",
                "block",
                "Đã chọn trường hợp chưa xác định được cha nhưng vẫn khai thông tin về cha.",
                "father",
            )
        )
    if not mother.declared:
        out.append(
            Finding(
                "KS-04",
                "block",
                "Phần khai về mẹ để trống: trường hợp chưa xác định được mẹ "
                "phải làm thủ tục đăng ký khai sinh kết hợp nhận cha, mẹ, con "
                "(1.000689).",
                "mother",
            )
        )
    return out


def _parent_ages(parents: list[_Parent], born: date | None) -> list[Finding]:
    """KS-05: a parent is born before the child (block) and was at least 12 at the birth (warn)."""
    if born is None:
        return []
    out: list[Finding] = []
    for p in parents:
        if not p.declared:
            continue
        label, fld = ROLE_VI[p.role], f"{p.role}.birth_year"
        if p.birth_date is not None:
            if p.birth_date >= born:
                out.append(
                    Finding(
                        "KS-05",
                        "block",
                        f"Ngày sinh của {label} ({p.birth_date:%d/%m/%Y}) không trước "
                        f"ngày sinh của trẻ ({born:%d/%m/%Y}).",
                        fld,
                    )
                )
            elif age_on(p.birth_date, born) < MIN_PARENT_AGE:
                out.append(
                    Finding(
                        "KS-05",
                        "warn",
                        f"{label.capitalize()} mới {age_on(p.birth_date, born)} tuổi khi "
                        f"sinh con (dưới {MIN_PARENT_AGE} tuổi); kiểm tra lại.",
                        fld,
                    )
                )
        elif p.birth_year is not None:
            if p.birth_year >= born.year:
                out.append(
                    Finding(
                        "KS-05",
                        "block",
                        f"Năm sinh của {label} ({p.birth_year}) không trước năm sinh của trẻ ({born.year}).",
                        fld,
                    )
                )
            elif born.year - p.birth_year < MIN_PARENT_AGE:
                out.append(
                    Finding(
                        "KS-05",
                        "warn",
                        f"{label.capitalize()} khoảng {born.year - p.birth_year} tuổi "
                        f"khi sinh con (dưới {MIN_PARENT_AGE} tuổi); kiểm tra lại.",
                        fld,
                    )
                )
    return out


def _surname(name: str) -> str:
    return name.split()[0] if name.split() else ""


def _follows_parents(data: Mapping[str, Any], parents: list[_Parent], special: Any) -> list[Finding]:
    """KS-06 (LHT Art. 4(8), BLDS Art. 26–29): surname, ethnicity, quê quán follow the father or mother.

    `block` when the father is not identified and the child does not follow the mother; `warn` when the child
    follows neither parent (custom may justify it; the officer decides).
    """
    if special in NO_PARENT_CASES:
        return []
    mother, father = parents
    only_mother = special == "father_unknown" or not father.declared
    known = [p for p in ([mother] if only_mother else [mother, father]) if p.declared]
    if not known:
        return []
    severity: Any = "block" if only_mother else "warn"
    whom = "mẹ" if only_mother else "cha hoặc mẹ"
    out: list[Finding] = []
    child_name = text(data, "child.full_name")
    names = [n for n in (p.name for p in known) if n]
    if child_name and len(names) == len(known):
        if not any(same_name(_surname(child_name), _surname(n)) for n in names):
            out.append(
                Finding(
                    "KS-06",
                    severity,
                    f"Họ của trẻ ('{_surname(child_name)}') không theo họ của {whom}.",
                    "child.full_name",
                )
            )
    for key, label in (("ethnicity", "Dân tộc"), ("home_town", "Quê quán")):
        child_value = text(data, f"child.{key}")
        values = [v for v in (p.value(key) for p in known) if isinstance(v, str) and v]
        if child_value and len(values) == len(known):
            if not any(same_folded(child_value, v) for v in values):
                out.append(
                    Finding(
                        "KS-06",
                        severity,
                        f"{label} của trẻ ('{child_value}') không theo {label.lower()} của {whom}.",
                        f"child.{key}",
                    )
                )
    return out


def _child_name(data: Mapping[str, Any]) -> list[Finding]:
    """KS-07: the name suits Vietnamese law and culture, is not too long, and is in Vietnamese script."""
    name = text(data, "child.full_name")
    if name is None:
        return []
    problems: list[str] = []
    words = name.split()
    if len(words) < 2:
        problems.append("chỉ có một từ (thiếu họ hoặc tên)")
    if len(words) > MAX_NAME_WORDS or len(name) > MAX_NAME_CHARS:
        problems.append(f"quá dài ({len(words)} từ, {len(name)} ký tự)")
    bad = sorted({ch for ch in name if not (ch in NAME_PUNCTUATION or _is_vietnamese_letter(ch))})
    if bad:
        problems.append(f"có ký tự không thuộc chữ Việt: {' '.join(bad)}")
    if not problems:
        return []
    return [
        Finding(
            "KS-07",
            "warn",
            f"Họ, chữ đệm, tên của trẻ '{name}' {'; '.join(problems)}; công chức xem xét.",
            "child.full_name",
        )
    ]


def _is_vietnamese_letter(ch: str) -> bool:
    base = unicodedata.normalize("NFD", ch)[0]
    return ch in "đĐ" or (base.isascii() and base.isalpha())


def _requester(data: Mapping[str, Any], parents: list[_Parent], ctx: RuleContext) -> list[Finding]:
    """KS-08 (LHT Art. 15, C16): who may register; anyone else needs a certified authorisation.

    A requester whom the registry records as dead cannot register (LHT Art. 34(2): the record is locked).
    """
    relationship = get(data, "requester.relationship")
    fld = "requester.relationship"
    record = ctx.record("requester") if text(data, "requester.personal_id") else None
    if record and (record.get("deceased_on") or record.get("civil_status_locked") is True):
        return [
            Finding(
                "KS-08",
                "block",
                "Cơ sở dữ liệu dân cư ghi người yêu cầu đã chết (thông tin hộ tịch đã khóa); người khác "
                "phải đi đăng ký khai sinh.",
                "requester.personal_id",
            )
        ]
    if relationship in (None, ""):
        return [Finding("KS-08", "block", "Thiếu quan hệ của người yêu cầu với trẻ.", fld)]
    if not member(relationship, RELATIONSHIPS):
        return [
            Finding(
                "KS-08",
                "block",
                f"Quan hệ với trẻ không hợp lệ: {relationship!r}.",
                fld,
            )
        ]
    if relationship == "authorized":
        if get(data, "authorization_attached") is not True and not ctx.has_attachment("authorization"):
            return [
                Finding(
                    "KS-08",
                    "block",
                    "Người được ủy quyền đi đăng ký khai sinh phải nộp văn bản ủy quyền được chứng thực.",
                    "authorization_attached",
                )
            ]
        return []
    if relationship in ("mother", "father"):
        parent = parents[0] if relationship == "mother" else parents[1]
        label = ROLE_VI[relationship]
        if not parent.declared:
            return [
                Finding(
                    "KS-08",
                    "block",
                    f"Người yêu cầu khai là {label} của trẻ nhưng phần khai về {label} "
                    f"({relationship}) để trống.",
                    fld,
                )
            ]
        req_id, req_name = text(data, "requester.personal_id"), text(data, "requester.full_name")
        if req_id and parent.personal_id and req_id != parent.personal_id:
            return [
                Finding(
                    "KS-08",
                    "block",
                    f"Số định danh của người yêu cầu khác số định danh của {label}; người "
                    "khác đi đăng ký thì phải có văn bản ủy quyền.",
                    fld,
                )
            ]
        if (
            not (req_id and parent.personal_id)
            and req_name
            and parent.name
            and not same_name(req_name, parent.name)
        ):
            return [
                Finding(
                    "KS-08",
                    "block",
                    f"Họ tên người yêu cầu khác họ tên {label}; người khác đi đăng ký thì "
                    "phải có văn bản ủy quyền.",
                    fld,
                )
            ]
    return []


def _duplicate(
    data: Mapping[str, Any], ctx: RuleContext, born: date | None, mother: _Parent
) -> list[Finding]:
    """KS-10 (LHT Art. 5(4)): no existing birth record for the same name, date of birth and mother."""
    name = text(data, "child.full_name")
    if name is None or born is None:
        return []
    for existing in (*ctx.existing_births, *ctx.registry_births):
        other_name, other_mother = existing.get("full_name"), existing.get("mother_personal_id")
        if not (isinstance(other_name, str) and same_name(other_name, name)):
            continue
        if parse_date(existing.get("birth_date")) != born:
            continue
        if other_mother and mother.personal_id and other_mother != mother.personal_id:
            continue
        where = (
            f" (Cơ sở dữ liệu dân cư: số định danh {existing['personal_id']})"
            if existing.get("personal_id")
            else f" (hồ sơ {existing['code']})"
            if existing.get("code")
            else ""
        )
        return [
            Finding(
                "KS-10",
                "block",
                f"Trẻ '{name}' sinh ngày {born:%d/%m/%Y} đã được đăng ký khai sinh{where}; mỗi "
                "sự kiện hộ tịch chỉ đăng ký một lần.",
                "child.full_name",
            )
        ]
    return []


def _parents_marriage(data: Mapping[str, Any], ctx: RuleContext) -> list[Finding]:
    """KS-11: a declared marriage of the parents must be confirmed by the lookup (warn)."""
    marriage = get(data, "parents_marriage")
    if marriage is None:
        return []
    if not isinstance(marriage, Mapping):
        return [
            Finding(
                "KS-11",
                "warn",
                "Thông tin đăng ký kết hôn của cha mẹ không đúng dạng.",
                "parents_marriage",
            )
        ]
    out: list[Finding] = []
    raw = marriage.get("date")
    if raw not in (None, "") and parse_date(raw) is None:
        out.append(
            Finding(
                "KS-11",
                "warn",
                "Ngày đăng ký kết hôn của cha mẹ không phải là ngày hợp lệ.",
                "parents_marriage.date",
            )
        )
    if ctx.is_looked_up("parents_marriage") and ctx.record("parents_marriage") is None:
        number = marriage.get("number") or "?"
        out.append(
            Finding(
                "KS-11",
                "warn",
                f"Tra cứu không thấy việc kết hôn số {number} của cha mẹ; cần xác minh hoặc bổ sung.",
                "parents_marriage.number",
            )
        )
    return out


def _date_in_words(data: Mapping[str, Any], born: date | None) -> list[Finding]:
    """KS-12: the date written in words matches the numeric date of birth."""
    words = get(data, "child.birth_date_in_words")
    if words in (None, "") or born is None:
        return []
    if isinstance(words, str) and matches_date(words, born):
        return []
    return [
        Finding(
            "KS-12",
            "block",
            f'Ngày sinh ghi bằng chữ không khớp ngày {born:%d/%m/%Y}; đúng là: "{date_in_words(born)}".',
            "child.birth_date_in_words",
        )
    ]


def _foreign_element(data: Mapping[str, Any], parents: list[_Parent]) -> list[Finding]:
    """KS-13 (LHT Art. 35): a foreign child or parent routes to the foreign-element procedure 2.000528."""
    out: list[Finding] = []
    abroad = _born_abroad(data)
    if abroad:
        out.append(
            Finding(
                "KS-13",
                "route",
                f"Trẻ sinh ở nước ngoài ({abroad}): thủ tục trong nước không giải quyết; chuyển sang thủ tục "
                "đăng ký khai sinh có yếu tố nước ngoài (2.000528).",
                "child.birth_place",
            )
        )
    child_nat = text(data, "child.nationality")
    if child_nat and not is_vietnamese(child_nat):
        out.append(
            Finding(
                "KS-13",
                "route",
                f"Quốc tịch của trẻ là '{child_nat}': chuyển sang thủ tục đăng ký khai "
                "sinh có yếu tố nước ngoài (2.000528).",
                "child.nationality",
            )
        )
    for p in parents:
        nat = p.value("nationality") if p.declared else None
        if isinstance(nat, str) and nat and not is_vietnamese(nat):
            out.append(
                Finding(
                    "KS-13",
                    "route",
                    f"Quốc tịch của {ROLE_VI[p.role]} là '{nat}': chuyển sang thủ tục "
                    "đăng ký khai sinh có yếu tố nước ngoài (2.000528).",
                    f"{p.role}.nationality",
                )
            )
    return out


def _birth_place(data: Mapping[str, Any], born: date | None) -> list[Finding]:
    """KS-15: place of birth given; for births from 01/07/2025 it names one of the 34 current provinces."""
    place = text(data, "child.birth_place")
    if place is None:
        return [Finding("KS-15", "warn", "Thiếu nơi sinh của trẻ.", "child.birth_place")]
    if born and born >= TWO_LEVEL_ADDRESSES_FROM and not mentions_current_province(place):
        return [
            Finding(
                "KS-15",
                "warn",
                f"Nơi sinh '{place}' không ghi tỉnh/thành phố theo danh mục 34 tỉnh, thành phố hiện hành.",
                "child.birth_place",
            )
        ]
    return []


def _newborn_death(data: Mapping[str, Any], born: date | None) -> list[Finding]:
    """KS-16 (BLDS Art. 30): a child who lived ≥ 24 h and died needs both birth and death registration."""
    raw = get(data, "child.died_at")
    if raw in (None, "") or born is None:
        return []
    moment = parse_moment(raw)
    if moment is None:
        return [
            Finding(
                "KS-16",
                "info",
                "Thời điểm trẻ chết không phải là thời điểm hợp lệ.",
                "child.died_at",
            )
        ]
    lived_days = (moment[0] - born).days
    if lived_days >= 2:
        return [
            Finding(
                "KS-16",
                "info",
                "Trẻ sống từ 24 giờ trở lên rồi chết: phải đăng ký khai sinh và đăng ký khai tử.",
                "child.died_at",
            )
        ]
    if lived_days == 1:
        return [
            Finding(
                "KS-16",
                "info",
                "Trẻ chết ngày hôm sau ngày sinh: nếu trẻ sống từ 24 giờ trở lên thì phải "
                "đăng ký khai sinh và đăng ký khai tử.",
                "child.died_at",
            )
        ]
    return [
        Finding(
            "KS-16",
            "info",
            "Trẻ chết trong ngày sinh (sống dưới 24 giờ): không bắt buộc đăng ký khai sinh, "
            "khai tử trừ khi cha mẹ yêu cầu.",
            "child.died_at",
        )
    ]


# LHT Art. 35 / NĐ 123 Art. 35: a birth abroad is a foreign element (procedure 2.000528).
# The place of birth is free text; these are the countries Vietnamese children are most often born in,
# matched on the place's last part, plus an explicit `child.born_abroad`.
FOREIGN_COUNTRIES = frozenset(
    fold(c)
    for c in (
        "Hoa Kỳ",
        "Mỹ",
        "USA",
        "Nhật Bản",
        "Hàn Quốc",
        "Trung Quốc",
        "Đài Loan",
        "Pháp",
        "Đức",
        "Anh",
        "Úc",
        "Australia",
        "Canada",
        "Nga",
        "Lào",
        "Campuchia",
        "Thái Lan",
        "Singapore",
        "Malaysia",
        "Séc",
        "Ba Lan",
        "Japan",
        "Korea",
        "China",
        "Taiwan",
        "France",
        "Germany",
        "United Kingdom",
    )
)


def _born_abroad(data: Mapping[str, Any]) -> str | None:
    """The place abroad where the child was born, or None (KS-13)."""
    place = text(data, "child.birth_place")
    if get(data, "child.born_abroad") is True:
        return place or "nước ngoài"
    if place and fold(place.split(",")[-1]).strip() in FOREIGN_COUNTRIES:
        return place
    return None


PARENT_SEX = {"mother": "female", "father": "male"}


def _parent_sexes(parents: list[_Parent]) -> list[Finding]:
    """KS-04: the mother is a woman and the father a man by the sex the population registry records."""
    out: list[Finding] = []
    for p in parents:
        sex = p.record.get("sex") if p.record else None
        if member(sex, ("male", "female")) and sex != PARENT_SEX[p.role]:
            label = ROLE_VI[p.role]
            recorded = "nam" if sex == "male" else "nữ"
            out.append(
                Finding(
                    "KS-04",
                    "block",
                    f"Cơ sở dữ liệu dân cư ghi người khai là {label} (số định danh {p.personal_id}) có giới "
                    f"tính {recorded}; {label} của trẻ phải là {'nữ' if p.role == 'mother' else 'nam'}.",
                    f"{p.role}.personal_id",
                )
            )
    return out


ADULT_AGE = 18  # BLDS 2015 Art. 20–21: a person under 18 is a minor and acts through a legal representative


def _requester_age(data: Mapping[str, Any], ctx: RuleContext) -> list[Finding]:
    """KS-08 (C18; LHT Art. 6(3), BLDS Art. 21): a minor cannot declare the birth alone."""
    record = ctx.record("requester") if text(data, "requester.personal_id") else None
    born = parse_date(record.get("birth_date")) if record else None
    born = born or parse_date(get(data, "requester.birth_date"))
    if born is None or age_on(born, ctx.registration_date) >= ADULT_AGE:
        return []
    return [
        Finding(
            "KS-08",
            "block",
            f"Người yêu cầu sinh ngày {born:%d/%m/%Y}, đến ngày đăng ký {ctx.registration_date:%d/%m/%Y} "
            f"chưa đủ {ADULT_AGE} tuổi: người chưa thành niên không tự mình đi đăng ký khai sinh, phải do "
            "người đại diện theo pháp luật thực hiện.",
            "requester.personal_id",
        )
    ]


LINK_VI = {
    "direct_line": "có quan hệ trực hệ với",
    "within_three_generations": "có họ trong phạm vi ba đời với",
    "adoptive": "là cha/mẹ nuôi hoặc con nuôi của",
    "parent_in_law": "là cha/mẹ vợ (chồng) hoặc con dâu (rể) của",
    "step_parent": "là cha dượng/mẹ kế hoặc con riêng của",
    "spouse": "là vợ/chồng (hoặc đã từng) của",
}


def _requester_family_link(
    data: Mapping[str, Any], parents: list[_Parent], ctx: RuleContext
) -> list[Finding]:
    """KS-08 (LHT Art. 15(1)): a requester declared as grandparent or relative, checked against the registry.

    The link the registry shows is given to the official as `warn` (a grandparent confirmed as a parent of the
    mother or father, or the relative's actual link); `block` when the registry holds the parents of everyone
    involved and no family link connects the requester with the child's parents.
    """
    relation = get(data, "requester.relationship")
    requester = text(data, "requester.personal_id")
    if relation not in ("grandparent", "relative") or not requester or ctx.kinship is None:
        return []
    requester_record = ctx.record("requester")
    known = [p for p in parents if p.declared and p.personal_id and p.record is not None]
    if requester_record is None or not known:
        return []
    fld = "requester.relationship"
    for p in known:
        record = p.record or {}
        mother_id, father_id = record.get("mother_personal_id"), record.get("father_personal_id")
        if requester in (mother_id, father_id):
            who = "mẹ" if requester == mother_id else "cha"
            if relation == "grandparent":
                return [
                    Finding(
                        "KS-08",
                        "warn",
                        f"Cơ sở dữ liệu dân cư ghi người yêu cầu là {who} của {ROLE_VI[p.role]} trẻ "
                        "(ông/bà của trẻ).",
                        fld,
                    )
                ]
            return [
                Finding(
                    "KS-08",
                    "warn",
                    f"Cơ sở dữ liệu dân cư ghi người yêu cầu là {who} của {ROLE_VI[p.role]} trẻ: là ông/bà, "
                    "không phải người thân thích khác.",
                    fld,
                )
            ]
    links = [(p, relationship(requester, str(p.personal_id), ctx.kinship)) for p in known]
    found = [(p, link) for p, link in links if link not in (None, "self")]
    if found:
        p, link = found[0]
        what = "ông/bà" if relation == "grandparent" else "người thân thích"
        return [
            Finding(
                "KS-08",
                "warn",
                f"Người yêu cầu khai là {what} của trẻ; Cơ sở dữ liệu dân cư ghi người yêu cầu "
                f"{LINK_VI.get(str(link), 'có quan hệ với')} {ROLE_VI[p.role]} trẻ.",
                fld,
            )
        ]
    complete = all(
        r.get("mother_personal_id") and r.get("father_personal_id")
        for r in [requester_record, *(p.record for p in known if p.record is not None)]
    )
    if not complete:
        return []
    what = "ông/bà" if relation == "grandparent" else "người thân thích"
    return [
        Finding(
            "KS-08",
            "block",
            f"Người yêu cầu khai là {what} của trẻ, nhưng Cơ sở dữ liệu dân cư không ghi nhận quan hệ "
            "gia đình nào giữa người yêu cầu và cha, mẹ của trẻ; người khác đi đăng ký phải có văn bản "
            "ủy quyền.",
            fld,
        )
    ]
