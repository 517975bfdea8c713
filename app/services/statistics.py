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
from app.domain.calendar import LOCAL_TZ, local_date
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


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def resolution(dossier: Dossier) -> str | None:
    """ "early" (before the due day), "on_time" (on the due day, by the due time), "late", or None."""
    result = dossier.result or {}
    resolved, due = _moment(result.get("resolved_at")), _moment(result.get("original_due_at"))
    if resolved is None:
        return None
    if due is None:  # resolved without a deadline (refused at receipt): not late by any yardstick
        return "on_time"
    if resolved > due:
        return "late"
    return "early" if local_date(resolved) < local_date(due) else "on_time"


def _counters(dossiers: Iterable[Dossier], period: Period) -> dict[str, Any]:
    out: dict[str, Any] = dict.fromkeys(COUNTER_KEYS, 0)
    for d in dossiers:
        if period.holds(d.received_at):
            out["received"] += 1
            out["online_received"] += d.channel == "online"
        if period.holds(_moment((d.result or {}).get("resolved_at"))):
            kind = resolution(d)
            out["resolved"] += 1
            out[
                {"early": "resolved_early", "on_time": "resolved_on_time"}.get(kind or "", "resolved_late")
            ] += 1
    done = out["resolved_early"] + out["resolved_on_time"]
    out["on_time_rate"] = round(100 * done / out["resolved"], 1) if out["resolved"] else None
    return out


def _service_extras(dossiers: Iterable[Dossier], period: Period) -> dict[str, int]:
    """The QĐ 766 counters beyond the contract's keys: supplements, apologies, refusals, fees exempted."""
    out = {"supplement_requests": 0, "apologies": 0, "refused": 0, "fee_exempted": 0, "withdrawn": 0}
    for d in dossiers:
        result = d.result or {}
        if period.holds(_moment((result.get("apology") or {}).get("issued_at"))):
            out["apologies"] += 1
        if period.holds(_moment(result.get("resolved_at"))) and result.get("refused"):
            out["refused"] += 1
        if period.holds(_moment((result.get("withdrawn") or {}).get("at"))):
            out["withdrawn"] += 1
        if period.holds(d.received_at) and (result.get("fee") or {}).get("exempt_reason"):
            out["fee_exempted"] += 1
    return out


def _supplement_counts(dossier_ids: list[int], period: Period) -> int:
    from app.models import Document

    if not dossier_ids:
        return 0
    query = select(Document.issued_at).where(
        Document.dossier_id.in_(dossier_ids), Document.kind == "supplement_request"
    )
    return sum(1 for at in db.session.scalars(query) if period.holds(at))


# ---- Ministry of Justice civil-status statistics (domain.md §9.2), per procedure key ----


def _registered(dossiers: Iterable[Dossier], period: Period) -> list[Dossier]:
    return [
        d
        for d in dossiers
        if period.holds(_moment((d.result or {}).get("resolved_at"))) and not (d.result or {}).get("refused")
    ]


def _age(born: Any, on: date) -> int | None:
    if isinstance(born, int) or (isinstance(born, str) and len(born) == 4 and born.isdigit()):
        return on.year - int(born)
    if not isinstance(born, str):
        return None
    try:
        b = date.fromisoformat(born[:10])
    except ValueError:
        return None
    return on.year - b.year - ((on.month, on.day) < (b.month, b.day))


def _birth_sector(registered: list[Dossier]) -> dict[str, Any]:
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


def _death_sector(registered: list[Dossier]) -> dict[str, Any]:
    out: dict[str, Any] = {"total": 0, "male": 0, "female": 0, "on_time": 0, "late": 0}
    out["age_groups"] = {"under_1": 0, "1_to_4": 0, "5_and_over": 0, "unknown": 0}
    for d in registered:
        data = d.data or {}
        deceased = data.get("deceased") or {}
        died = _moment((data.get("death") or {}).get("at"))
        out["total"] += 1
        out["male" if deceased.get("sex") == "male" else "female"] += 1
        out["late" if d.late else "on_time"] += 1
        born = deceased.get("birth_date") or deceased.get("birth_year")
        age = _age(born, local_date(died)) if died else None
        group = "unknown" if age is None else "under_1" if age < 1 else "1_to_4" if age < 5 else "5_and_over"
        out["age_groups"][group] += 1
    return out


def _marriage_sector(registered: list[Dossier]) -> dict[str, Any]:
    ages: dict[str, list[int]] = {"groom": [], "bride": []}
    out: dict[str, Any] = {"total": 0, "first_marriages": 0}
    for d in registered:
        data = d.data or {}
        on = local_date(_moment((d.result or {}).get("resolved_at")) or d.received_at)
        out["total"] += 1
        firsts = 0
        for party in ("groom", "bride"):
            block = data.get(party) or {}
            if int(block.get("marriage_count") or 1) == 1:
                firsts += 1
                age = _age(block.get("birth_date"), on)
                if age is not None:
                    ages[party].append(age)
        out["first_marriages"] += firsts == 2
    for party, label in (("groom", "male"), ("bride", "female")):
        values = ages[party]
        out[f"mean_age_first_marriage_{label}"] = round(sum(values) / len(values), 1) if values else None
    return out


SECTOR_STATISTICS: dict[str, Callable[[list[Dossier]], dict[str, Any]]] = {
    "birth": _birth_sector,
    "death": _death_sector,
    "marriage": _marriage_sector,
}


def compute(user: User, commune_code: str | None, raw_from: str | None, raw_to: str | None) -> dict[str, Any]:
    """GET /statistics: the contract's counters for the chosen communes, overall and per procedure."""
    period = parse_period(raw_from, raw_to)
    communes = select_communes(user, commune_code)
    rows = _dossiers(communes, period)
    body: dict[str, Any] = {
        "from": period.start.isoformat(),
        "to": period.end.isoformat(),
        "communes": communes,
    }
    body.update(_counters(rows, period))
    body["by_procedure"] = {
        key: _counters([d for d in rows if d.procedure == key], period) for key in procedures.keys()
    }
    return body


def report(user: User, commune_code: str | None, raw_from: str | None, raw_to: str | None) -> dict[str, Any]:
    """The periodic report: the counters, QĐ 766 extras and MoJ figures overall and per commune."""
    period = parse_period(raw_from, raw_to)
    communes = select_communes(user, commune_code)
    rows = _dossiers(communes, period)
    names = dict(
        db.session.execute(select(Commune.code, Commune.name).where(Commune.code.in_(communes))).all()
    )

    def section(subset: list[Dossier]) -> dict[str, Any]:
        out: dict[str, Any] = _counters(subset, period)
        out.update(_service_extras(subset, period))
        out["supplement_requests"] = _supplement_counts([d.id for d in subset], period)
        out["by_procedure"] = {
            key: _counters([d for d in subset if d.procedure == key], period) for key in procedures.keys()
        }
        registered = _registered(subset, period)
        out["civil_status"] = {
            key: SECTOR_STATISTICS[key]([d for d in registered if d.procedure == key])
            for key in procedures.keys()
            if key in SECTOR_STATISTICS
        }
        return out

    return {
        "from": period.start.isoformat(),
        "to": period.end.isoformat(),
        "communes": [
            {"code": c, "name": names.get(c, c), **section([d for d in rows if d.commune_code == c])}
            for c in communes
        ],
        "total": section(rows),
    }


def drilldown_codes(
    user: User, commune_code: str | None, raw_from: str | None, raw_to: str | None, measure: str
) -> list[str]:
    """The dossier codes behind one number (only for roles that may read those dossiers)."""
    from app.services.access import can_read

    period = parse_period(raw_from, raw_to)
    rows = _dossiers(select_communes(user, commune_code), period)
    pick: dict[str, Callable[[Dossier], bool]] = {
        "received": lambda d: period.holds(d.received_at),
        "online_received": lambda d: period.holds(d.received_at) and d.channel == "online",
        "resolved": lambda d: period.holds(_moment((d.result or {}).get("resolved_at"))),
        "resolved_early": lambda d: (
            period.holds(_moment((d.result or {}).get("resolved_at"))) and resolution(d) == "early"
        ),
        "resolved_on_time": lambda d: (
            period.holds(_moment((d.result or {}).get("resolved_at"))) and resolution(d) == "on_time"
        ),
        "resolved_late": lambda d: (
            period.holds(_moment((d.result or {}).get("resolved_at"))) and resolution(d) == "late"
        ),
    }
    if measure not in pick:
        raise BadRequest(
            "Chỉ tiêu không hợp lệ.", code="validation_failed", fields={"measure": "Không rõ chỉ tiêu."}
        )
    return [d.code for d in rows if pick[measure](d) and can_read(user, d)]
