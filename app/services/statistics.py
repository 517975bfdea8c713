"""QĐ 766/QĐ-TTg service indicators and Ministry of Justice civil-status statistics per commune and period.

Counted from the dossiers' records: received = `received_at` in the period; resolved = a certificate/extract
issued or a refusal decided in the period (`result.resolved_at`), judged against `result.original_due_at`
(an apology slip moves the appointment, never the yardstick). Everything is computed in Python from plain
columns, so SQLite and PostgreSQL give the same figures.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select

from app import procedures
from app.domain.calendar import LOCAL_TZ, local_date, stored_moment
from app.extensions import db
from app.models import Commune, Dossier, User
from app.services.access import OFFICIAL_ROLES
from app.services.collaborators import collaborators
from app.services.errors import BadRequest, Forbidden, NotFound

STATISTICS_ROLES = (*OFFICIAL_ROLES, "auditor", "department")
COUNTER_KEYS = (
    "received",
    "resolved",
    "resolved_early",
    "resolved_on_time",
    "resolved_late",
    "on_time_rate",
    "online_received",
)
_COMMUNE_RE = re.compile(r"^\d{5}$")


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    @property
    def start_utc(self) -> datetime:
        return datetime.combine(self.start, time.min, LOCAL_TZ).astimezone(UTC)

    @property
    def end_utc(self) -> datetime:
        return datetime.combine(self.end + timedelta(days=1), time.min, LOCAL_TZ).astimezone(UTC)

    def holds(self, moment: datetime | None) -> bool:
        return moment is not None and self.start <= local_date(moment) <= self.end


def department_province() -> str:
    return str(current_app.config.get("HOTICH_DEPARTMENT_PROVINCE", "01"))


def statistics_communes(user: User) -> list[str]:
    """The communes whose figures `user` may read (403 for roles that never read statistics)."""
    if not user.has_role(*STATISTICS_ROLES):
        raise Forbidden("Vai trò của bạn không được xem số liệu thống kê.")
    if user.has_role(*OFFICIAL_ROLES):
        return [user.commune_code] if user.commune_code else []
    query = select(Commune.code).order_by(Commune.code)
    if user.has_role("department"):
        query = query.where(Commune.province_code == department_province())
    codes = list(db.session.scalars(query))
    return [c for c in codes if c in user.scope] if user.scope else codes


def parse_period(raw_from: str | None, raw_to: str | None) -> Period:
    """`from`/`to` as YYYY-MM-DD; defaults: the first of the current month to today (Hà Nội)."""
    today = local_date(collaborators().clock.now())
    fields: dict[str, str] = {}
    values: dict[str, date] = {}
    for name, raw, default in (("from", raw_from, today.replace(day=1)), ("to", raw_to, today)):
        if raw in (None, ""):
            values[name] = default
            continue
        try:
            values[name] = date.fromisoformat(str(raw)) if len(str(raw)) == 10 else _bad_date()
        except ValueError:
            fields[name] = f"Trường '{name}' phải là ngày dạng YYYY-MM-DD."
    if not fields and values["from"] > values["to"]:
        fields["from"] = "Ngày bắt đầu ('from') phải trước hoặc bằng ngày kết thúc ('to')."
    if fields:
        raise BadRequest("Tham số thống kê không hợp lệ.", code="validation_failed", fields=fields)
    return Period(values["from"], values["to"])


def _bad_date() -> date:
    raise ValueError("not YYYY-MM-DD")


def select_communes(user: User, commune_code: str | None) -> list[str]:
    allowed = statistics_communes(user)
    if commune_code in (None, ""):
        return allowed
    if not _COMMUNE_RE.match(str(commune_code)):
        raise BadRequest(
            "Mã xã không hợp lệ.",
            code="validation_failed",
            fields={"commune_code": "Trường 'commune_code' phải gồm 5 chữ số."},
        )
    if commune_code not in allowed:
        raise NotFound("Không tìm thấy xã/phường.")
    return [str(commune_code)]


def _dossiers(communes: list[str], period: Period) -> list[Dossier]:
    if not communes:
        return []
    query = select(Dossier).where(Dossier.commune_code.in_(communes), Dossier.received_at < period.end_utc)
    return list(db.session.scalars(query.order_by(Dossier.id)))


def resolution(dossier: Dossier) -> str | None:
    """ "early" (before the due day), "on_time" (on the due day, by the due time), "late", or None."""
    result = dossier.result or {}
    resolved, due = stored_moment(result.get("resolved_at")), stored_moment(result.get("original_due_at"))
    if resolved is None:
        return None
    if due is None:  # resolved without a deadline (refused at receipt): not late by any yardstick
        return "on_time"
    if resolved > due:
        return "late"
    return "early" if local_date(resolved) < local_date(due) else "on_time"


@dataclass(frozen=True)
class Facts:
    """What happened to one dossier and when: the records (result) and events (documents, withdrawal)."""

    dossier: Dossier
    resolved: datetime | None
    resolution: str | None
    refused: bool
    due: datetime | None
    apology: datetime | None
    supplements: tuple[datetime, ...]
    receipt_refused: datetime | None
    withdrawn: datetime | None
    fee_amount: int
    fee_exempt: bool

    def closed_before(self, moment: datetime) -> bool:
        return any(
            at is not None and at < moment for at in (self.resolved, self.receipt_refused, self.withdrawn)
        )


def _facts(rows: list[Dossier]) -> list[Facts]:
    """One Facts per dossier; documents and withdrawal events are read in two queries for all of them."""
    from app.models import AuditEvent, Document

    ids = [d.id for d in rows]
    docs: dict[int, list[tuple[str, datetime]]] = {}
    withdrawn: dict[int, datetime] = {}
    for chunk in (ids[i : i + 500] for i in range(0, len(ids), 500)):
        query = select(Document.dossier_id, Document.kind, Document.issued_at).where(
            Document.dossier_id.in_(chunk), Document.kind.in_(("supplement_request", "receipt_refusal"))
        )
        for dossier_id, kind, at in db.session.execute(query):
            docs.setdefault(dossier_id, []).append((kind, at))
        events = select(AuditEvent.dossier_id, AuditEvent.at).where(
            AuditEvent.dossier_id.in_(chunk), AuditEvent.type == "withdrawn"
        )
        withdrawn.update({dossier_id: at for dossier_id, at in db.session.execute(events)})
    out = []
    for d in rows:
        result = d.result or {}
        fee = result.get("fee") or {}
        mine = docs.get(d.id, [])
        refusals = sorted(at for kind, at in mine if kind == "receipt_refusal")
        out.append(
            Facts(
                dossier=d,
                resolved=stored_moment(result.get("resolved_at")),
                resolution=resolution(d),
                refused=bool(result.get("refused")),
                due=stored_moment(result.get("original_due_at")),
                apology=stored_moment((result.get("apology") or {}).get("issued_at")),
                supplements=tuple(sorted(at for kind, at in mine if kind == "supplement_request")),
                receipt_refused=refusals[0] if refusals else None,
                withdrawn=withdrawn.get(d.id) or stored_moment((result.get("withdrawn") or {}).get("at")),
                fee_amount=int(fee.get("amount") or 0),
                fee_exempt=bool(fee.get("exempt_reason")),
            )
        )
    return out


def _in_progress(f: Facts, period: Period) -> bool:
    """Open at the end of the period: received by then, not resolved, refused at receipt or withdrawn."""
    return f.dossier.received_at < period.end_utc and not f.closed_before(period.end_utc)


def _overdue_at_end(f: Facts, period: Period) -> bool:
    until = min(period.end_utc, collaborators().clock.now())
    return _in_progress(f, period) and f.due is not None and f.due < until


# Every number the dashboard shows, as "how much does this dossier add" (drill-down: the dossiers adding > 0).
MEASURES: dict[str, Callable[[Facts, Period], int]] = {
    "received": lambda f, p: p.holds(f.dossier.received_at),
    "received_counter": lambda f, p: p.holds(f.dossier.received_at) and f.dossier.channel == "counter",
    "online_received": lambda f, p: p.holds(f.dossier.received_at) and f.dossier.channel == "online",
    "received_post": lambda f, p: p.holds(f.dossier.received_at) and f.dossier.channel == "post",
    "carried_over": lambda f, p: f.dossier.received_at < p.start_utc and not f.closed_before(p.start_utc),
    "resolved": lambda f, p: p.holds(f.resolved),
    "resolved_early": lambda f, p: p.holds(f.resolved) and f.resolution == "early",
    "resolved_on_time": lambda f, p: p.holds(f.resolved) and f.resolution == "on_time",
    "resolved_late": lambda f, p: p.holds(f.resolved) and f.resolution == "late",
    "refused": lambda f, p: p.holds(f.resolved) and f.refused,
    "receipt_refused": lambda f, p: p.holds(f.receipt_refused),
    "withdrawn": lambda f, p: p.holds(f.withdrawn),
    "in_progress": _in_progress,
    "in_progress_overdue": _overdue_at_end,
    "supplement_requests": lambda f, p: sum(1 for at in f.supplements if p.holds(at)),
    "apologies": lambda f, p: p.holds(f.apology),
    "fee_exempted": lambda f, p: p.holds(f.dossier.received_at) and f.fee_exempt,
}
EXTRA_KEYS = tuple(k for k in MEASURES if k not in COUNTER_KEYS) + ("online_rate", "fees_collected")


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _counters(facts: Iterable[Facts], period: Period, keys: Iterable[str] = COUNTER_KEYS) -> dict[str, Any]:
    facts = list(facts)
    out: dict[str, Any] = {}
    for key in keys:
        if key in MEASURES:
            out[key] = sum(int(MEASURES[key](f, period)) for f in facts)
    resolved = sum(int(MEASURES["resolved"](f, period)) for f in facts)
    done = sum(int(MEASURES[k](f, period)) for f in facts for k in ("resolved_early", "resolved_on_time"))
    received = sum(int(MEASURES["received"](f, period)) for f in facts)
    online = sum(int(MEASURES["online_received"](f, period)) for f in facts)
    rates = {
        "on_time_rate": _rate(done, resolved),
        "online_rate": _rate(online, received),
        "fees_collected": sum(f.fee_amount for f in facts if period.holds(f.dossier.received_at)),
    }
    out.update({k: v for k, v in rates.items() if k in keys})
    return {k: out[k] for k in keys}


# ---- Ministry of Justice civil-status statistics (domain.md §9.2), per procedure key ----


def _registered(dossiers: Iterable[Dossier], period: Period) -> list[Dossier]:
    return [
        d
        for d in dossiers
        if period.holds(stored_moment((d.result or {}).get("resolved_at")))
        and not (d.result or {}).get("refused")
    ]


def _by_procedure(facts: list[Facts], period: Period, keys: Iterable[str]) -> dict[str, Any]:
    keys = tuple(keys)
    return {
        key: _counters([f for f in facts if f.dossier.procedure == key], period, keys)
        for key in procedures.keys()
    }


def compute(user: User, commune_code: str | None, raw_from: str | None, raw_to: str | None) -> dict[str, Any]:
    """GET /statistics: the contract's counters for the chosen communes, overall and per procedure."""
    period = parse_period(raw_from, raw_to)
    communes = select_communes(user, commune_code)
    facts = _facts(_dossiers(communes, period))
    body: dict[str, Any] = {
        "from": period.start.isoformat(),
        "to": period.end.isoformat(),
        "communes": communes,
    }
    body.update(_counters(facts, period))
    body["by_procedure"] = _by_procedure(facts, period, COUNTER_KEYS)
    return body


def _civil_status(facts: list[Facts], period: Period) -> dict[str, Any]:
    registered = _registered([f.dossier for f in facts], period)
    return {
        p.key: p.statistics.compute([d for d in registered if d.procedure == p.key])
        for p in procedures.all_procedures()
        if p.statistics is not None
    }


def _section(facts: list[Facts], period: Period) -> dict[str, Any]:
    keys = (*COUNTER_KEYS, *EXTRA_KEYS)
    out: dict[str, Any] = _counters(facts, period, keys)
    out["by_procedure"] = _by_procedure(facts, period, keys)
    out["civil_status"] = _civil_status(facts, period)
    return out


def report(user: User, commune_code: str | None, raw_from: str | None, raw_to: str | None) -> dict[str, Any]:
    """The periodic report: the counters, QĐ 766 extras and MoJ figures overall and per commune."""
    period = parse_period(raw_from, raw_to)
    communes = select_communes(user, commune_code)
    facts = _facts(_dossiers(communes, period))
    rows = db.session.execute(
        select(Commune.code, Commune.name, Commune.province_name).where(Commune.code.in_(communes))
    ).all()
    names = {code: name for code, name, _ in rows}
    return {
        "from": period.start.isoformat(),
        "to": period.end.isoformat(),
        "province_name": rows[0][2] if rows else "",
        "generated_at": collaborators().clock.now().isoformat(),
        "communes": [
            {
                "code": c,
                "name": names.get(c, c),
                **_section([f for f in facts if f.dossier.commune_code == c], period),
            }
            for c in communes
        ],
        "total": _section(facts, period),
    }


def named_period(raw: str) -> tuple[str, str]:
    """A report period "YYYY-MM" (month), "YYYY-Qn" (quarter) or "YYYY" (year) as (from, to) dates."""
    m = re.fullmatch(r"(\d{4})(?:-(\d{2})|-Q([1-4]))?", raw.strip())
    if not m or not 2000 <= int(m.group(1)) <= 2100 or (m.group(2) and not 1 <= int(m.group(2)) <= 12):
        raise BadRequest(
            "Kỳ báo cáo không hợp lệ.",
            code="validation_failed",
            fields={"period": "Kỳ báo cáo phải có dạng YYYY-MM (tháng), YYYY-Qn (quý) hoặc YYYY (năm)."},
        )
    year = int(m.group(1))
    first, last = (1, 12)
    if m.group(2):
        first = last = int(m.group(2))
    elif m.group(3):
        first = 3 * int(m.group(3)) - 2
        last = first + 2
    end = (date(year + 1, 1, 1) if last == 12 else date(year, last + 1, 1)) - timedelta(days=1)
    return date(year, first, 1).isoformat(), end.isoformat()


def _civil_value(measure: str) -> Callable[[Dossier], Any] | None:
    """`civil.<procedure>.<key>[.<sub>]`: the MoJ figure a single registered dossier contributes."""
    parts = measure.split(".")
    if len(parts) not in (3, 4) or parts[0] != "civil" or parts[1] not in procedures.keys():
        return None
    sector = procedures.get(parts[1]).statistics
    if sector is None or sector.figure(".".join(parts[2:])) is None:
        return None

    def value(d: Dossier) -> Any:
        got: Any = sector.compute([d]) if d.procedure == parts[1] else {}
        for part in parts[2:]:
            got = got.get(part) if isinstance(got, dict) else None
        return got

    return value


def drilldown(
    user: User,
    commune_code: str | None,
    raw_from: str | None,
    raw_to: str | None,
    measure: str,
    procedure: str | None = None,
) -> list[dict[str, Any]]:
    """The dossiers behind one number (of one procedure, if given): codes, procedure, commune and dates, never
    personal data; `readable` says whether `user` may open the dossier (the department never may)."""
    from app.services.access import can_read

    period = parse_period(raw_from, raw_to)
    if procedure and procedure not in procedures.keys():
        raise BadRequest(
            "Thủ tục không hợp lệ.", code="validation_failed", fields={"procedure": "Không rõ thủ tục."}
        )
    rows = _dossiers(select_communes(user, commune_code), period)
    facts = _facts([d for d in rows if not procedure or d.procedure == procedure])
    civil = _civil_value(measure)
    if measure in MEASURES:
        picked = [f for f in facts if MEASURES[measure](f, period)]
    elif civil is not None:
        registered = {d.id for d in _registered([f.dossier for f in facts], period)}
        picked = [f for f in facts if f.dossier.id in registered and civil(f.dossier) not in (None, 0, False)]
    else:
        raise BadRequest(
            "Chỉ tiêu không hợp lệ.", code="validation_failed", fields={"measure": "Không rõ chỉ tiêu."}
        )
    return [
        {
            "code": f.dossier.code,
            "procedure": f.dossier.procedure,
            "commune_code": f.dossier.commune_code,
            "channel": f.dossier.channel,
            "status": f.dossier.status,
            "received_at": f.dossier.received_at.isoformat(),
            "resolved_at": f.resolved.isoformat() if f.resolved else None,
            "resolution": f.resolution,
            "readable": can_read(user, f.dossier),
        }
        for f in picked
    ]
