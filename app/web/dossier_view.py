"""How a dossier reads on a page: its declaration laid out like the form, registry lookups, the timeline."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app import procedures
from app.procedures.registry_calls import LOOKUP_EXTRAS
from app.services.collaborators import collaborators
from app.web import labels
from app.web.forms_render import FormSpec, ReadGroup, build_form, display_value, get_path, read_only

LOOKUP_FIELDS = (
    ("full_name", _l("Họ, chữ đệm, tên")),
    ("birth_date", _l("Ngày sinh")),
    ("sex", _l("Giới tính")),
    ("ethnicity", _l("Dân tộc")),
    ("nationality", _l("Quốc tịch")),
    ("residence_commune_code", _l("Nơi cư trú")),
    ("marital_status", _l("Tình trạng hôn nhân")),
    ("deceased_on", _l("Ngày chết")),
    # issue 8 §2: the links the marriage bars (KH-03, KH-05) read, shown where the registry has them
    ("spouse_personal_id", _l("Vợ/chồng (số định danh)")),
    ("former_spouse_personal_ids", _l("Vợ/chồng trước đây (số định danh)")),
    ("adoptive_mother_personal_id", _l("Mẹ nuôi (số định danh)")),
    ("adoptive_father_personal_id", _l("Cha nuôi (số định danh)")),
    ("legal_capacity", _l("Năng lực hành vi dân sự")),
)
LEGAL_CAPACITY = {"lost": _l("Mất năng lực hành vi dân sự"), "limited": _l("Hạn chế năng lực hành vi dân sự")}


def submission_spec(procedure: str) -> FormSpec | None:
    key = procedures.get(procedure).process_key
    forms = collaborators().forms
    if not forms.exists(key, "submission"):
        return None
    return build_form(forms, key, "submission")


def field_labels(procedure: str) -> dict[str, str]:
    """{data path: label} of the procedure's declaration, to name the field a finding is about."""
    spec = submission_spec(procedure)
    return {**spec.containers, **{f.path: f.label for f in spec.fields}} if spec else {}


def declaration(procedure: str, data: dict[str, Any]) -> list[ReadGroup]:
    spec = submission_spec(procedure)
    return read_only(spec, data) if spec else []


@dataclass
class SummaryRow:
    label: str
    value: str
    from_registry: bool = False


def summary_rows(
    procedure: str, data: dict[str, Any], lookups: dict[str, Any], paths: list[str]
) -> list[SummaryRow]:
    """The x-ui "summary" of a task form: dossier values, falling back to the registry record."""
    spec = submission_spec(procedure)
    subject_block = procedures.get(procedure).subject_block if procedure in procedures.keys() else None
    rows = []
    for path in paths:
        f = spec.field(path) if spec else None
        value = get_path(data, path)
        from_registry = False
        if value in (None, "") and "." in path:
            party, _sep, name = path.partition(".")
            record = lookups.get(party)
            if isinstance(record, dict) and record.get(name) not in (None, ""):
                value, from_registry = record[name], True
        label = f.label if f else path
        block = spec.containers.get(f.group) if f and f.group and spec else None
        own = f is not None and f.group == subject_block
        if block and f and not own and block.lower() not in label.lower():
            label = f"{block}: {label[:1].lower()}{label[1:]}"
        if value in (None, ""):
            continue
        rows.append(SummaryRow(label, display_value(f, value), from_registry))
    return rows


@dataclass
class LookupCard:
    role: str
    title: str
    found: bool
    personal_id: str
    rows: list[tuple[str, str]]


def lookup_cards(lookups: dict[str, Any], data: dict[str, Any]) -> list[LookupCard]:
    """One card per person looked up in the population registry (found or not)."""
    cards = []
    for role, record in lookups.items():
        if role in LOOKUP_EXTRAS:
            continue
        pid = str(get_path(data, f"{role}.personal_id") or (record or {}).get("personal_id") or "")
        if not isinstance(record, dict):
            cards.append(LookupCard(role, labels.label(labels.PARTIES, role), False, pid, []))
            continue
        rows = []
        for key, title in LOOKUP_FIELDS:
            value = record.get(key)
            if value in (None, "", [], "full"):
                continue
            if key == "former_spouse_personal_ids":
                value = ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)
            elif key == "legal_capacity":
                value = LEGAL_CAPACITY.get(str(value), str(value))
            if key == "sex":
                value = labels.label(labels.SEXES, value)
            elif key == "marital_status":
                value = labels.label(labels.MARITAL, value)
            elif key == "residence_commune_code":
                value = labels.commune_name(value)
            elif key in ("birth_date", "deceased_on"):
                value = display_value(None, _iso_to_dmy(str(value)))
            rows.append((str(title), str(value)))
        cards.append(LookupCard(role, labels.label(labels.PARTIES, role), True, pid, rows))
    return cards


def _iso_to_dmy(value: str) -> str:
    parts = value[:10].split("-")
    return "/".join(reversed(parts)) if len(parts) == 3 else value


@dataclass
class TimelineEntry:
    seq: int
    at: str
    title: str
    actor: str
    detail: str
    kind: str


def timeline(
    events: list[dict[str, Any]],
    task_titles: dict[str, str],
    names: dict[str, str] | None = None,
    documents: dict[str, str] | None = None,
) -> list[TimelineEntry]:
    """The audit events in words: who did what, when (newest last, like the register)."""
    out = []
    for ev in events:
        data = ev.get("data") or {}
        kind = ev["type"]
        title = labels.label(labels.EVENTS, kind)
        detail = ""
        if kind in ("task_completed", "claimed", "released") and ev.get("task"):
            title = f"{title}: {task_titles.get(ev['task'], ev['task'])}"
        if kind == "task_completed":
            detail = _decision_text(data.get("form") or {})
        elif kind in ("external_result", "internal_result"):
            operation = data.get("operation") or ""
            title = labels.label(labels.OPERATIONS, operation) or title
            detail = _result_text(operation, data.get("result"), documents or {})
        elif kind == "migrated":
            detail = _(
                "Phiên bản %(old)s → %(new)s", old=data.get("from_version"), new=data.get("to_version")
            )
        elif kind == "submitted":
            detail = _("Kênh: %(channel)s", channel=labels.label(labels.CHANNELS, data.get("channel")))
        elif kind == "message":
            detail = labels.label(
                {"supplement": _("Bổ sung hồ sơ"), "draft_confirmation": _("Xác nhận dự thảo")},
                data.get("name"),
            )
        actor = (data.get("actor") or {}).get("full_name") if isinstance(data.get("actor"), dict) else None
        username = str(ev.get("actor") or "")
        actor = actor or (_("Hệ thống") if username == "system" else (names or {}).get(username, username))
        out.append(TimelineEntry(ev["seq"], labels.local_datetime(ev["at"]), title, actor, detail, kind))
    return out


DECISIONS = {
    "accept": _l("Tiếp nhận"),
    "supplement": _l("Yêu cầu bổ sung"),
    "refuse_receipt": _l("Từ chối tiếp nhận"),
    "approve": _l("Đủ điều kiện đăng ký"),
    "refuse": _l("Từ chối"),
    "sign": _l("Ký"),
}


def _decision_text(form: dict[str, Any]) -> str:
    parts = []
    if form.get("decision"):
        parts.append(labels.label(DECISIONS, form["decision"]))
    for key in ("missing", "reasons"):
        if form.get(key):
            parts.append("; ".join(str(x) for x in form[key]))
    if form.get("delivered_via"):
        parts.append(
            labels.label(
                {"counter": _("Trực tiếp"), "post": _("Bưu chính"), "electronic": _("Bản điện tử")},
                form["delivered_via"],
            )
        )
    if form.get("note"):
        parts.append(str(form["note"]))
    return " — ".join(parts)


def _result_text(operation: str, result: Any, documents: dict[str, str]) -> str:
    if not isinstance(result, dict):
        return ""
    if operation == "registry/lookup_parties":
        found = [labels.label(labels.PARTIES, k) for k, v in result.items() if k not in LOOKUP_EXTRAS and v]
        missing = [
            labels.label(labels.PARTIES, k) for k, v in result.items() if k not in LOOKUP_EXTRAS and not v
        ]
        text = _("Tìm thấy: %(names)s", names=", ".join(found)) if found else ""
        if missing:
            text += ("; " if text else "") + _("Không tìm thấy: %(names)s", names=", ".join(missing))
        return text
    if operation == "rules/evaluate":
        findings = result.get("findings") or []
        return str(_("%(n)s kết quả kiểm tra", n=len(findings)) if findings else _("Không có vướng mắc"))
    if operation == "dossier/accept" and result.get("due_at"):
        return str(_("Hẹn trả: %(when)s", when=labels.local_datetime(result["due_at"])))
    if operation == "register/enter":
        return str(
            _("Sổ %(book)s, số %(number)s", book=result.get("book", ""), number=result.get("number", ""))
        )
    if operation == "register/sign":
        mode = _("tại chỗ") if result.get("mode") == "in_person" else _("khi nhận kết quả")
        return str(
            _(
                "Người yêu cầu %(declarant)s và công chức %(officer)s ký sổ (%(mode)s), %(when)s",
                declarant=result.get("declarant", ""),
                officer=result.get("officer", ""),
                mode=mode,
                when=labels.local_datetime(result.get("at") or None),
            )
        )
    if operation == "register/void" and result.get("voided"):
        number, reason = result.get("number", ""), result.get("reason", "")
        return str(_("Số %(number)s đã hủy: %(reason)s", number=number, reason=reason))
    if operation.startswith("registry/revoke_"):
        return str(_("Đã hủy cập nhật") if result.get("revoked") else result.get("reason", ""))
    registry = procedures.registry_operation(operation)
    if registry and registry.shown_result and result.get(registry.shown_result[0]):
        key, title = registry.shown_result
        return f"{_(title)}: {result[key]}"
    if result.get("documents"):
        return "; ".join(documents.get(str(d), str(d)) for d in result["documents"])
    return ""
