"""The statistics dashboard (department, auditors, officials of their own commune): period and commune
filters, SVG charts, every number a link to the dossiers behind it, and the periodic report downloads."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from app import procedures
from app.documents.statistics_report import value_at
from app.domain.calendar import local_date
from app.services import statistics as svc
from app.services.collaborators import collaborators
from app.web.api.statistics import report_response
from app.web.charts import Series, stacked_bars
from app.web.forms_render import parse_date
from app.web.pages import pages
from app.web.pages.access import require_roles

RESOLUTION_SERIES = (
    ("resolved_early", "chart--early"),
    ("resolved_on_time", "chart--on-time"),
    ("resolved_late", "chart--late"),
)
CHANNEL_SERIES = (
    ("received_counter", "chart--counter"),
    ("online_received", "chart--online"),
    ("received_post", "chart--post"),
)


def typed_date(raw: str | None) -> str | None:
    """A date typed dd/mm/yyyy (or ISO) as YYYY-MM-DD; anything else as it came, for the service's 400."""
    parsed = parse_date(raw or "") if raw else None
    return parsed.isoformat() if parsed else raw


def _period_args() -> tuple[str | None, str | None]:
    args = request.args
    if args.get("period"):
        return svc.named_period(args["period"])
    return typed_date(args.get("from")), typed_date(args.get("to"))


def _quick_periods(today: date) -> list[tuple[str, str]]:
    quarter = (today.month + 2) // 3
    previous = today.replace(day=1) - timedelta(days=1)
    return [
        (_("Tháng này"), f"{today.year}-{today.month:02d}"),
        (_("Tháng trước"), f"{previous.year}-{previous.month:02d}"),
        (_("Quý này"), f"{today.year}-Q{quarter}"),
        (_("Năm nay"), str(today.year)),
    ]


@pages.get("/statistics/")
@login_required
def statistics_dashboard() -> Any:
    from app.web import labels

    user = require_roles(*svc.STATISTICS_ROLES)
    start, end = _period_args()
    commune = request.args.get("commune_code") or None
    rep = svc.report(user, commune, start, end)
    allowed = svc.statistics_communes(user)
    base = {"from": rep["from"], "to": rep["to"]}

    def link(measure: str, commune_code: str | None = None, procedure: str | None = None) -> str:
        scope = (
            {"commune_code": commune_code} if commune_code else ({"commune_code": commune} if commune else {})
        )
        if procedure:
            scope["procedure"] = procedure
        return url_for("pages.statistics_drilldown", measure=measure, **base, **scope)

    def chart(
        title: str,
        series: tuple[tuple[str, str], ...],
        rows: list[tuple[str, Any, str | None, str | None]],
    ) -> Any:
        return stacked_bars(
            title,
            [Series(k, str(labels.MEASURES[k]), css) for k, css in series],
            [
                (label, [section[k] for k, _css in series], [link(k, code, proc) for k, _css in series])
                for label, section, code, proc in rows
            ],
        )

    commune_rows = [(c["name"], c, c["code"], None) for c in rep["communes"]]
    today = local_date(collaborators().clock.now())
    return render_template(
        "statistics.html",
        rep=rep,
        commune=commune,
        allowed=allowed,
        link=link,
        value_at=value_at,
        civil_sections=[p for p in procedures.all_procedures() if p.statistics],
        resolution_chart=chart(_("Kết quả giải quyết theo xã/phường"), RESOLUTION_SERIES, commune_rows),
        channel_chart=chart(
            _("Hồ sơ tiếp nhận theo thủ tục và kênh"),
            CHANNEL_SERIES,
            [
                (str(labels.PROCEDURES[k]), rep["total"]["by_procedure"][k], None, k)
                for k in procedures.keys()
            ],
        ),
        quick=_quick_periods(today),
        report_query={**base, **({"commune_code": commune} if commune else {})},
    )


@pages.get("/statistics/drilldown")
@login_required
def statistics_drilldown() -> Any:
    user = require_roles(*svc.STATISTICS_ROLES)
    start, end = _period_args()
    measure = request.args.get("measure", "")
    commune = request.args.get("commune_code") or None
    procedure = request.args.get("procedure") or None
    items = svc.drilldown(user, commune, start, end, measure, procedure)
    period = svc.parse_period(start, end)
    return render_template(
        "statistics_drilldown.html",
        items=items,
        measure=measure,
        commune=commune,
        procedure=procedure,
        period=period,
        back=url_for(
            "pages.statistics_dashboard",
            **{"from": period.start.isoformat(), "to": period.end.isoformat()},
            **({"commune_code": commune} if commune else {}),
        ),
    )


@pages.get("/statistics/report.<fmt>")
@login_required
def statistics_report_file(fmt: str) -> Any:
    """The periodic report as a download (PDF for printing and sending, XLSX for the city's spreadsheets)."""
    user = require_roles(*svc.STATISTICS_ROLES)
    return report_response(user, {**request.args.to_dict(), "format": fmt})
