"""Data is escaped, nothing outside the document is fetched, and a bad context fails loudly."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jinja2
import pytest
from weasyprint import HTML
from weasyprint.urls import FatalURLFetchingError

from app.documents import DataOnlyURLFetcher, ExternalResourceRefused, render_html, render_pdf, rendering

Ctx = Callable[..., dict[str, Any]]
Text = Callable[[bytes], str]

PASSWD_IMG = '<img src="file:///etc/passwd">'


def test_html_in_data_is_escaped(doc_context: Ctx) -> None:
    ctx = doc_context("birth_certificate")
    ctx["child"]["full_name"] = "<script>alert('x')</script> Dương"
    html = render_html("birth_certificate", ctx)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; Dương" in html


def test_markup_in_data_prints_as_text_and_embeds_nothing(doc_context: Ctx, pdf_text: Text) -> None:
    ctx = doc_context("appointment_slip")
    ctx["requester"]["full_name"] = PASSWD_IMG
    html = render_html("appointment_slip", ctx)
    assert "file:///etc/passwd" in html and PASSWD_IMG not in html
    assert PASSWD_IMG in pdf_text(render_pdf("appointment_slip", ctx))


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/logo.png",
        "https://example.com/logo.png",
        "file:///etc/passwd",
        "ftp://example.com/x",
    ],
)
def test_fetcher_refuses_everything_but_data_uris(url: str) -> None:
    with pytest.raises(ExternalResourceRefused, match="refused to fetch"):
        DataOnlyURLFetcher().fetch(url)


def test_fetcher_serves_data_uris() -> None:
    response = DataOnlyURLFetcher().fetch("data:text/plain;charset=utf-8,xin%20ch%C3%A0o")
    assert response.read().decode() == "xin chào"


@pytest.mark.parametrize(
    "markup",
    [
        PASSWD_IMG,
        '<img src="http://127.0.0.1:9/tracker.png">',
        '<img src="documents.css">',  # relative: resolves to file:// under the templates folder
        '<link rel="stylesheet" href="https://example.com/x.css">',
        '<style>@import url("file:///etc/passwd");</style>',
        '<div style="background: url(http://example.com/bg.png)">x</div>',
        "<style>@font-face { font-family: X; src: url(file:///usr/share/fonts/x.ttf); }"
        " p { font-family: X; }</style><p>x</p>",
    ],
)
def test_a_template_reaching_outside_stops_the_pdf(
    markup: str, doc_context: Ctx, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Stand in for a (buggy or hostile) template: render_pdf must refuse, not embed or skip silently.
    monkeypatch.setattr(
        rendering, "render_html", lambda kind, ctx, watermark=None: f"<html><body>{markup}</body></html>"
    )
    with pytest.raises(ExternalResourceRefused):
        render_pdf("birth_certificate", doc_context("birth_certificate"))


def test_weasyprint_with_the_fetcher_never_reads_local_files() -> None:
    with pytest.raises(FatalURLFetchingError):
        HTML(string=f"<p>{PASSWD_IMG}</p>", url_fetcher=DataOnlyURLFetcher()).write_pdf()


def test_unknown_kind_is_rejected(doc_context: Ctx) -> None:
    with pytest.raises(ValueError, match="unknown document kind"):
        render_html("divorce_certificate", doc_context("birth_certificate"))


def test_missing_field_fails_loudly(doc_context: Ctx) -> None:
    ctx = doc_context("birth_certificate")
    del ctx["child"]["home_town"]
    with pytest.raises(jinja2.UndefinedError, match="home_town"):
        render_html("birth_certificate", ctx)


@pytest.mark.parametrize(
    ("kind", "change", "message"),
    [
        ("birth_certificate", {"verify_url": "https://hotich.hanoi.gov.vn/verify/other"}, "verify_url"),
        ("birth_certificate", {"copy": {"number": 0}}, "copy must be"),
        ("marriage_certificate", {"original_for": "witness"}, "original_for"),
        ("refusal_letter", {"signer": {"name": "A", "title": "bi_thu"}}, "unknown signer title"),
    ],
)
def test_inconsistent_context_is_rejected(
    kind: str, change: dict[str, Any], message: str, doc_context: Ctx
) -> None:
    with pytest.raises(ValueError, match=message):
        render_html(kind, doc_context(kind, **change))


def test_unknown_sex_code_is_rejected(doc_context: Ctx) -> None:
    ctx = doc_context("birth_certificate")
    ctx["child"]["sex"] = "M"
    with pytest.raises(ValueError, match="unknown sex code"):
        render_html("birth_certificate", ctx)


def test_closed_book_needs_totals(doc_context: Ctx) -> None:
    ctx = doc_context("register_book")
    ctx["book"]["totals"] = None
    with pytest.raises(ValueError, match="totals"):
        render_html("register_book", ctx)
