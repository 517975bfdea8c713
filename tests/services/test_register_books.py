"""Register books (Luật Hộ tịch Art. 58, C14): gap-free numbering under concurrent approvals (the entry
follows the examination, Art. 16(2)), the printable book, and the year-end closing after which no entry is
accepted."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

from tests.api_client import Api, birth_submission
from tests.services.procedures import (
    CHAIRMAN,
    OFFICER,
    RECEPTION,
    accept,
    complete,
    dossier,
    jobs,
    submit,
)

PARALLEL = 6


APPROVE = {"decision": "approve"}


def awaiting_examination(api: Api, app: Any, n: int) -> list[str]:
    codes = []
    for i in range(n):
        payload = birth_submission()
        payload["data"]["child"]["full_name"] = f"Nguyễn Thị Bé {chr(ord('A') + i)}"
        code = submit(api, app, payload)
        accept(api, code)
        codes.append(code)
    return codes


def test_concurrent_approvals_number_the_book_without_gaps_or_duplicates(app: Any, client: Any) -> None:
    api = Api(client)
    codes = awaiting_examination(api, app, PARALLEL)
    token = api.token(OFFICER)
    task_ids = {code: api.task(OFFICER, code, "officer_examine")["id"] for code in codes}
    barrier = threading.Barrier(PARALLEL)
    statuses: dict[str, int] = {}

    def sign(code: str) -> None:
        with app.app_context():
            worker = app.test_client()
            barrier.wait()
            resp = worker.post(
                f"/api/v1/tasks/{task_ids[code]}/complete",
                json={"data": APPROVE},
                headers={"Authorization": f"Bearer {token}"},
            )
            statuses[code] = resp.status_code

    threads = [threading.Thread(target=sign, args=(code,)) for code in codes]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert statuses == {code: 200 for code in codes}
    numbers = sorted(dossier(api, code)["result"]["register"]["number"] for code in codes)
    assert numbers == list(range(1, PARALLEL + 1))
    book = api.get(OFFICER, "/register-books/birth/2026").get_json()
    assert [e["number"] for e in book["entries"]] == list(range(1, PARALLEL + 1))
    assert book["book"]["last_number"] == PARALLEL and book["book"]["closed_on"] is None


def test_the_year_end_closing_refuses_further_entries(app: Any, client: Any, clock: Any) -> None:
    api = Api(client)
    first, late = awaiting_examination(api, app, 2)
    complete(api, OFFICER, first, "officer_examine", APPROVE)
    jobs(app)
    refused = api.post(CHAIRMAN, "/register-books/birth/2026/close")
    assert refused.status_code == 409  # C14: closed on the last day of the year, not before
    assert api.post(RECEPTION, "/register-books/birth/2026/close").status_code == 403
    clock.at = datetime(2026, 12, 31, 9, 0, tzinfo=UTC)  # 31/12/2026 16:00 in Hà Nội
    api.tokens.clear()
    resp = api.post(CHAIRMAN, "/register-books/birth/2026/close")
    assert resp.status_code == 200, resp.get_json()
    book = resp.get_json()["book"]
    assert book["closed_on"] == "2026-12-31" and book["closed_by"] == CHAIRMAN
    assert book["totals"] == {
        "events": 1,
        "pages": 1,
        "by_classification": {"dung_han": 1},
        "last_number": 1,
    }
    assert api.post(OFFICER, "/register-books/birth/2026/close").status_code == 409  # already closed
    printed = api.get(OFFICER, "/register-books/birth/2026.pdf")
    assert printed.status_code == 200 and printed.data.startswith(b"%PDF")
    # an approval that would enter the closed book is refused with a clear error; nothing moves
    resp = api.complete(OFFICER, late, "officer_examine", APPROVE)
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "register_book_closed"
    assert "đã khóa sổ" in resp.get_json()["error"]["message"]
    assert dossier(api, late)["status"] == "processing"
    # the next year opens a new book
    clock.at = datetime(2027, 1, 4, 2, 0, tzinfo=UTC)
    api.tokens.clear()
    complete(api, OFFICER, late, "officer_examine", APPROVE)
    result = dossier(api, late)["result"]["register"]
    assert result == {"book": "01/2027", "number": 1}


def test_books_are_per_commune_and_readable_by_scope(app: Any, client: Any) -> None:
    api = Api(client)
    code = awaiting_examination(api, app, 1)[0]
    complete(api, OFFICER, code, "officer_examine", APPROVE)
    jobs(app)
    assert api.get("officer.badinh", "/register-books/birth/2026").get_json()["entries"] == []
    assert len(api.get("auditor", "/register-books/birth/2026?commune=00070").get_json()["entries"]) == 1
    assert api.get("auditor", "/register-books/birth/2026").status_code == 422
    assert api.get("portal", "/register-books/birth/2026").status_code == 403
    assert api.get(OFFICER, "/register-books/divorce/2026").status_code == 404
    empty = api.get(OFFICER, "/register-books/death/2026.pdf")
    assert empty.status_code == 200 and empty.data.startswith(b"%PDF")
    printed = api.get(OFFICER, "/register-books/birth/2026.pdf")
    assert printed.status_code == 200
