"""The periodic statistics report for the City People's Committee and the Ministry of Justice, as PDF
(WeasyPrint, same data-only fetcher as the dossier documents) and XLSX (openpyxl), with the commune roll-up.

Both formats print the same tables from one column list, so they cannot disagree."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from weasyprint import HTML

from app import procedures
from app.documents.formats import vn_date
from app.documents.rendering import _ENV, TEMPLATES_DIR, DataOnlyURLFetcher, _nfc
from app.domain.calendar import LOCAL_TZ


@dataclass(frozen=True)
class Column:
    path: str  # dotted key into a report section
    header: str


SERVICE_COLUMNS = (
    Column("carried_over", "Tồn kỳ trước"),
    Column("received", "Tiếp nhận mới"),
    Column("received_counter", "Trực tiếp"),
    Column("online_received", "Trực tuyến"),
    Column("received_post", "Bưu chính"),
    Column("online_rate", "Tỷ lệ trực tuyến (%)"),
    Column("resolved", "Đã giải quyết"),
    Column("resolved_early", "Trước hạn"),
    Column("resolved_on_time", "Đúng hạn"),
    Column("resolved_late", "Quá hạn"),
    Column("on_time_rate", "Tỷ lệ đúng hạn (%)"),
    Column("in_progress", "Đang giải quyết"),
    Column("in_progress_overdue", "Trong đó quá hạn"),
    Column("refused", "Từ chối giải quyết"),
    Column("receipt_refused", "Từ chối tiếp nhận"),
    Column("withdrawn", "Rút hồ sơ"),
    Column("supplement_requests", "Yêu cầu bổ sung"),
    Column("apologies", "Phiếu xin lỗi"),
    Column("fee_exempted", "Miễn lệ phí"),
    Column("fees_collected", "Lệ phí đã thu (đồng)"),
)
_ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X")


def tables() -> tuple[tuple[str, tuple[Column, ...]], ...]:
    """The report's tables: the QĐ 766 service figures, then each procedure's Ministry section (its record's
    figures, in registration order), numbered I, II, …"""
    sections = [
        (p.title, tuple(Column(f"civil_status.{p.key}.{f.key}", f.heading) for f in p.statistics.figures))
        for p in procedures.all_procedures()
        if p.statistics
    ]
    titled = [("Chỉ số giải quyết thủ tục hành chính (QĐ 766/QĐ-TTg)", SERVICE_COLUMNS), *sections]
    return tuple((f"{_roman(n)}. {title}", columns) for n, (title, columns) in enumerate(titled, 1))


def _roman(n: int) -> str:
    return _ROMAN[n - 1] if n <= len(_ROMAN) else str(n)


PROCEDURE_COLUMNS = tuple(c for c in SERVICE_COLUMNS if c.path not in ("carried_over",))


def value_at(section: Mapping[str, Any], path: str) -> Any:
    got: Any = section
    for part in path.split("."):
        got = got.get(part) if isinstance(got, Mapping) else None
    return got


def shown(value: Any) -> str:
    """Vietnamese number format: 1.234 and 83,3; an undefined rate is "–"."""
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.1f}".replace(".", ",")
    return f"{int(value):,}".replace(",", ".")


def period_label(report: Mapping[str, Any]) -> str:
    start, end = date.fromisoformat(report["from"]), date.fromisoformat(report["to"])
    span = f"từ {vn_date(start, numeric=True)} đến {vn_date(end, numeric=True)}"
    if start.day == 1 and start.year == end.year:
        next_day = date.fromordinal(end.toordinal() + 1)
        months = (next_day.year - start.year) * 12 + next_day.month - start.month
        if next_day.day == 1 and months == 1:
            return f"Tháng {start.month:02d}/{start.year} ({span})"
        if next_day.day == 1 and months == 3 and start.month % 3 == 1:
            return f"Quý {(start.month + 2) // 3}/{start.year} ({span})"
        if next_day.day == 1 and months == 12 and start.month == 1:
            return f"Năm {start.year} ({span})"
    return span.capitalize()


def _rows(report: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    return [(f"{c['name']} ({c['code']})", c) for c in report["communes"]] + [("Tổng cộng", report["total"])]


def render_report_pdf(report: Mapping[str, Any]) -> bytes:
    generated = datetime.fromisoformat(report["generated_at"]).astimezone(LOCAL_TZ)
    numbered = tables()
    html = _ENV.get_template("statistics_report.html").render(
        report=_nfc(dict(report)),
        label=period_label(report),
        generated=generated.strftime("%H:%M %d/%m/%Y"),
        tables=numbered,
        by_procedure_title=f"{_roman(len(numbered) + 1)}. Theo thủ tục",
        rows=_rows(report),
        procedure_columns=PROCEDURE_COLUMNS,
        procedure_rows=[
            (procedures.get(key).title, report["total"]["by_procedure"][key]) for key in procedures.keys()
        ],
        value_at=value_at,
        shown=shown,
    )
    document = HTML(string=html, base_url=TEMPLATES_DIR.as_uri() + "/", url_fetcher=DataOnlyURLFetcher())
    pdf = document.write_pdf()
    if not isinstance(pdf, bytes):
        raise TypeError(f"WeasyPrint returned {type(pdf).__name__}, expected bytes")
    return pdf


def render_report_xlsx(report: Mapping[str, Any]) -> bytes:
    """One sheet per table (communes in rows, the total last), plus the by-procedure sheet."""
    book = Workbook()
    book.remove(book.active)
    bold = Font(bold=True)
    numbered = tables()
    sheets = [(title, columns, _rows(report)) for title, columns in numbered]
    sheets.append(
        (
            f"{_roman(len(numbered) + 1)}. Theo thủ tục",
            PROCEDURE_COLUMNS,
            [(procedures.get(k).title, report["total"]["by_procedure"][k]) for k in procedures.keys()],
        )
    )
    for title, columns, rows in sheets:
        sheet = book.create_sheet(title.split(".")[0] + ". " + title.split(". ", 1)[1][:24])
        sheet.append([title])
        sheet.append([f"Kỳ báo cáo: {period_label(report)}"])
        sheet.append(["Đơn vị", *[c.header for c in columns]])
        for cell in (*sheet[1], *sheet[3]):
            cell.font = bold
        for name, section in rows:
            sheet.append([name, *[value_at(section, c.path) for c in columns]])
        sheet[sheet.max_row][0].font = bold
        sheet.column_dimensions["A"].width = 30
        for i in range(2, len(columns) + 2):
            sheet.column_dimensions[get_column_letter(i)].width = 14
            sheet.cell(3, i).alignment = Alignment(wrap_text=True, vertical="top")
    out = BytesIO()
    book.save(out)
    return out.getvalue()
