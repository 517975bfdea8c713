"""The QĐ 766 counters beyond the contract, the drill-down behind each number, and the periodic report read
back from its PDF and XLSX, against the hand-computed fixture of test_statistics.py plus three dossiers whose
figures come from events: a refusal at receipt, two supplement requests and a withdrawal."""

from __future__ import annotations

from datetime import UTC, datetime
from io import BytesIO
from typing import Any

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, Document, Dossier, ProcessVersion
from tests.api_client import Api
from tests.department.test_statistics import MARCH, figures  # noqa: F401  (the fixture)


def _at(day: str, hour: int = 2) -> datetime:
    return datetime.fromisoformat(f"{day}T{hour:02d}:00:00").replace(tzinfo=UTC)


@pytest.fixture
def events(app: Any, figures: None) -> None:  # noqa: F811
    """E1 refused at receipt (23/03), E2 online with two supplement requests then withdrawn (26/03),
    E3 received 20/02 and still open: carried over, and overdue once the clock passes its due date."""
    with app.app_context():
        version = db.session.scalars(select(ProcessVersion.id)).first()
        rows = {
            "E1": ("counter", _at("2026-03-23"), "receipt_refused", {}),
            "E2": (
                "online",
                _at("2026-03-24"),
                "withdrawn",
                {"original_due_at": _at("2026-03-27").isoformat()},
            ),
            "E3": (
                "post",
                _at("2026-02-20"),
                "processing",
                {"original_due_at": _at("2026-02-23").isoformat()},
            ),
        }
        made = {}
        for code, (channel, received, status, result) in rows.items():
            made[code] = Dossier(
                code=code,
                procedure="birth",
                commune_code="00070",
                channel=channel,
                status=status,
                data={},
                findings=[],
                result={**result, "fee": {"amount": 8000, "exempt_reason": None, "lines": []}},
                late=False,
                received_at=received,
                process_version_id=version,
                state="",
                submitted_by="fixture",
            )
        db.session.add_all(made.values())
        db.session.flush()
        docs = [("E1", "receipt_refusal", "2026-03-23"), ("E2", "supplement_request", "2026-03-24")]
        docs.append(("E2", "supplement_request", "2026-03-25"))
        for n, (code, kind, day) in enumerate(docs):
            db.session.add(
                Document(
                    dossier_id=made[code].id,
                    name=f"{kind}_{n}",
                    kind=kind,
                    title=kind,
                    context={},
                    verify_token=f"tok{n}",
                    content_sha256="0" * 64,
                    issued_at=_at(day, 4),
                )
            )
        db.session.add(
            AuditEvent(
                dossier_id=made["E2"].id,
                seq=1,
                at=_at("2026-03-26"),
                type="withdrawn",
                actor="portal",
                task=None,
                data={},
                prev_hash="",
                hash="x",
            )
        )
        db.session.commit()
        db.session.remove()


def _report(app: Any, period: tuple[str, str] = ("2026-03-01", "2026-03-31")) -> dict[str, Any]:
    from app.models import User
    from app.services.statistics import report

    with app.app_context():
        user = db.session.scalars(select(User).where(User.username == "department")).one()
        return report(user, None, *period)


def test_service_indicators_beyond_the_contract(app: Any, events: None) -> None:
    hk = next(c for c in _report(app)["communes"] if c["code"] == "00070")
    # received in March: S1 S2 S3 S4 S5 S7 (fixture) + E1 E2; counter S1 S3 S5 S7 E1, online S2 S4 E2
    assert (hk["received"], hk["received_counter"], hk["online_received"], hk["received_post"]) == (
        8,
        5,
        3,
        0,
    )
    assert hk["online_rate"] == 37.5
    assert hk["carried_over"] == 2  # S6 (resolved 02/03) and E3, open on 01/03
    assert hk["in_progress"] == 2  # S7 and E3 at the end of March; E1 refused at receipt, E2 withdrawn
    assert (hk["receipt_refused"], hk["withdrawn"], hk["supplement_requests"]) == (1, 1, 2)
    assert (hk["refused"], hk["apologies"], hk["fee_exempted"]) == (1, 1, 1)
    assert hk["fees_collected"] == 16_000  # E1 and E2: 8.000 đồng each; the fixture's fees are 0
    assert hk["in_progress_overdue"] == 1  # E3 (due 23/02); the clock stands at 10/03, before S7's due date
    assert _report(app)["total"]["received"] == 9  # + S9 in Ba Đình


def test_overdue_follows_the_clock(app: Any, clock: Any, events: None) -> None:
    clock.advance(days=30)  # 09/04: S7 (due 26/03) is overdue at the end of March too
    hk = next(c for c in _report(app)["communes"] if c["code"] == "00070")
    assert (hk["in_progress"], hk["in_progress_overdue"]) == (2, 2)


def test_named_periods() -> None:
    from app.services.errors import BadRequest
    from app.services.statistics import named_period

    assert named_period("2026-03") == ("2026-03-01", "2026-03-31")
    assert named_period("2024-02") == ("2024-02-01", "2024-02-29")
    assert named_period("2026-Q4") == ("2026-10-01", "2026-12-31")
    assert named_period("2026") == ("2026-01-01", "2026-12-31")
    for bad in ("2026-13", "2026-Q5", "26-03", "1999", "03/2026"):
        with pytest.raises(BadRequest):
            named_period(bad)


@pytest.mark.parametrize(
    ("user", "measure", "codes", "readable"),
    [
        ("officer.hoankiem", "resolved_late", ["S3"], True),
        ("officer.hoankiem", "apologies", ["S3"], True),
        ("officer.hoankiem", "supplement_requests", ["E2"], True),
        ("officer.hoankiem", "civil.birth.male", ["S1", "S6"], True),
        ("officer.hoankiem", "civil.death.age_groups.under_1", ["S3"], True),
        ("auditor", "online_received", ["S2", "S4", "S9", "E2"], True),
        ("department", "resolved_late", ["S3"], False),
        ("department", "resolved_early", ["S1", "S4", "S5", "S9"], False),
        ("department", "carried_over", ["S6", "E3"], False),
    ],
)
def test_drilldown_lists_the_dossiers_behind_a_number(
    client: Any, events: None, user: str, measure: str, codes: list[str], readable: bool
) -> None:
    body = Api(client).get(
        user, f"{MARCH}&measure={measure}".replace("/statistics?", "/statistics/drilldown?")
    )
    assert body.status_code == 200, body.get_json()
    items = body.get_json()["items"]
    assert [i["code"] for i in items] == codes
    assert all(i["readable"] is readable for i in items)
    assert all(
        set(i)
        <= {
            "code",
            "procedure",
            "commune_code",
            "channel",
            "status",
            "received_at",
            "resolved_at",
            "resolution",
            "readable",
        }
        for i in items
    )  # no personal data


def test_drilldown_of_one_procedure(client: Any, events: None) -> None:
    url = "/statistics/drilldown?from=2026-03-01&to=2026-03-31&measure=online_received&procedure=marriage"
    assert [i["code"] for i in Api(client).get("auditor", url).get_json()["items"]] == ["S4"]
    assert Api(client).get("auditor", url.replace("marriage", "divorce")).status_code == 400


def test_drilldown_unknown_measure_is_400(client: Any) -> None:
    resp = Api(client).get("department", "/statistics/drilldown?measure=salary")
    assert resp.status_code == 400 and resp.get_json()["error"]["fields"]["measure"]


def test_report_pdf_reads_back(client: Any, events: None) -> None:
    from pypdf import PdfReader

    resp = Api(client).get("department", "/statistics/report?period=2026-03&format=pdf")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    assert "attachment" in resp.headers["Content-Disposition"]
    text = " ".join((p.extract_text() or "") for p in PdfReader(BytesIO(resp.data)).pages)
    text = " ".join(text.split())
    assert "Tháng 03/2026" in text and "Bộ Tư pháp" in text
    assert "Phường Hoàn Kiếm (00070)" in text and "Phường Ba Đình (00004)" in text and "Tổng cộng" in text
    assert "Dưới 1 tuổi" in text and "Tuổi TB kết hôn lần đầu (nam)" in text
    assert "85,7" in text  # the city's on-time rate: 6 of 7 resolved (S3 late)


def test_report_xlsx_reads_back(client: Any, events: None) -> None:
    from openpyxl import load_workbook

    resp = Api(client).get("department", "/statistics/report?period=2026-Q1&format=xlsx")
    assert resp.status_code == 200 and resp.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(BytesIO(resp.data))
    service = book.worksheets[0]
    headers = [c.value for c in service[3]]
    rows = {r[0]: dict(zip(headers, r, strict=True)) for r in service.iter_rows(min_row=4, values_only=True)}
    assert set(rows) == {"Phường Ba Đình (00004)", "Phường Hoàn Kiếm (00070)", "Tổng cộng"}
    hk, total = rows["Phường Hoàn Kiếm (00070)"], rows["Tổng cộng"]
    # Q1 adds what arrived in February: S6 and E3
    assert (hk["Tiếp nhận mới"], hk["Bưu chính"], hk["Tồn kỳ trước"], hk["Rút hồ sơ"]) == (10, 1, 0, 1)
    assert (total["Đã giải quyết"], total["Quá hạn"], total["Tỷ lệ đúng hạn (%)"]) == (7, 1, 85.7)
    sheets = {sheet["A1"].value.split(". ", 1)[1]: sheet for sheet in book.worksheets}
    births = sheets["Đăng ký khai sinh"]
    b_headers = [c.value for c in births[3]]
    b_total = dict(
        zip(b_headers, list(births.iter_rows(min_row=births.max_row, values_only=True))[0], strict=True)
    )
    assert (b_total["Tổng số"], b_total["Nam"], b_total["Nữ"], b_total["Quá hạn"]) == (
        3,
        2,
        1,
        1,
    )  # S1 S2 S6; S5 refused
    marriages = sheets["Đăng ký kết hôn"]
    m_total = list(marriages.iter_rows(min_row=marriages.max_row, values_only=True))[0]
    assert m_total[1:] == (1, 1, 29.0, 26.0)


@pytest.mark.parametrize(
    ("user", "query", "status"),
    [
        ("officer.hoankiem", "?period=2026-03&format=pdf", 200),
        ("officer.hoankiem", "?period=2026-03&format=xlsx&commune_code=00004", 404),
        ("analyst", "?period=2026-03&format=pdf", 403),
        (None, "?period=2026-03&format=pdf", 401),
        ("department", "?period=2026-3&format=pdf", 400),
        ("department", "?period=2026-03&format=doc", 400),
    ],
)
def test_report_access(client: Any, user: str | None, query: str, status: int) -> None:
    resp = Api(client).get(user, "/statistics/report" + query)
    assert resp.status_code == status
