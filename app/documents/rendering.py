"""Jinja2 → HTML → PDF (WeasyPrint) for every official document; nothing is fetched from outside."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, FunctionLoader, StrictUndefined
from weasyprint import HTML
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from app import procedures
from app.documents.formats import FILTERS
from app.documents.verification import check_verify_url, qr_svg_data_uri

TEMPLATES_DIR = Path(__file__).parent / "templates"

# the documents every procedure issues; each procedure's own (certificates, extracts) are in its record
SHARED_KINDS: tuple[str, ...] = (
    "appointment_slip",
    "supplement_request",
    "receipt_refusal",
    "refusal_letter",
    "apology_slip",
    "register_book",
)


def kinds() -> tuple[str, ...]:
    """Every document kind there is a template for: the shared ones, then the registered procedures'."""
    own = tuple(d.kind for p in procedures.all_procedures() for d in p.documents)
    return SHARED_KINDS + own


def _record_template(name: str) -> tuple[str, str, Callable[[], bool]] | None:
    """The template of a procedure's document kept outside app/documents/templates (DocumentKind.template)."""
    found = procedures.document_kind(name.removesuffix(".html")) if name.endswith(".html") else None
    if found is None or found.template is None:
        return None
    path = found.template
    mtime = path.stat().st_mtime
    return path.read_text(encoding="utf-8"), str(path), lambda: path.stat().st_mtime == mtime


_ENV = Environment(
    loader=ChoiceLoader([FileSystemLoader(TEMPLATES_DIR), FunctionLoader(_record_template)]),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_ENV.filters.update(FILTERS)


class ExternalResourceRefused(RuntimeError):
    """A document tried to load something that is not an inline data: URI (network, local file)."""


class DataOnlyURLFetcher(URLFetcher):
    """WeasyPrint URL fetcher that serves only inline data: URIs and stops the rendering on anything else."""

    def __init__(self) -> None:
        # fail_on_errors turns a refusal into FatalURLFetchingError instead of a logged, skipped image.
        super().__init__(allowed_protocols=("data",), allow_redirects=False, fail_on_errors=True)

    def fetch(self, url: str, headers: Mapping[str, str] | None = None) -> URLFetcherResponse:
        """Return the decoded data: URI; refuse every other scheme (http, https, file, ftp …)."""
        if not url.lower().startswith("data:"):
            raise ExternalResourceRefused(f"refused to fetch {url!r}: documents may only embed data: URIs")
        return super().fetch(url, headers)


def _nfc(value: Any) -> Any:
    """Deep-copy the context with every string in NFC, so decomposed input prints as composed Vietnamese."""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, Mapping):
        return {key: _nfc(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_nfc(item) for item in value]
    return value


def _check_context(kind: str, ctx: Mapping[str, Any]) -> None:
    """Fail early on values a template could silently misprint; missing keys are caught by StrictUndefined."""
    check_verify_url(ctx["verify_url"], ctx["verify_token"])
    copy = ctx["copy"]
    if copy is not None and (not isinstance(copy.get("number"), int) or copy["number"] < 1):
        raise ValueError(f"copy must be None or {{'number': n >= 1}}, got {copy!r}")
    record_kind = procedures.document_kind(kind)
    if record_kind is not None and record_kind.check is not None:
        record_kind.check(ctx)
    if kind == "register_book":
        book = ctx["book"]
        if book["kind"] not in procedures.keys():
            raise ValueError(f"unknown register book kind {book['kind']!r}")
        if book["closed_on"] and not book["totals"]:
            raise ValueError("a closed register book must state its totals (pages, events)")


def render_html(kind: str, ctx: Mapping[str, Any], watermark: str | None = None) -> str:
    """Render one document as a self-contained HTML page (styles inline, QR as a data: URI); `watermark`
    (the training space's "MẪU TẬP HUẤN …") is printed across every page."""
    if kind not in kinds():
        raise ValueError(f"unknown document kind {kind!r}; expected one of {kinds()}")
    data = _nfc(ctx)
    _check_context(kind, data)
    if kind == "register_book":  # the book prints its procedure's columns (RegisterSpec.columns)
        record = procedures.get(data["book"]["kind"])
        columns = [asdict(c) for c in record.register.columns]
        data["book"] = {**data["book"], "event_name": record.book_name, "columns": columns}
    doc = {"kind": kind, "qr_data_uri": qr_svg_data_uri(data["verify_url"])}
    html = _ENV.get_template(f"{kind}.html").render({**data, "doc": doc})
    if watermark:
        html = html.replace(
            "</body>", _ENV.get_template("watermark.html").render(text=watermark) + "</body>", 1
        )
    return html


def render_pdf(kind: str, ctx: Mapping[str, Any], watermark: str | None = None) -> bytes:
    """Render one document to PDF bytes (A4; the register book in landscape)."""
    html = render_html(kind, ctx, watermark)
    document = HTML(string=html, base_url=TEMPLATES_DIR.as_uri() + "/", url_fetcher=DataOnlyURLFetcher())
    try:
        pdf = document.write_pdf()
    except FatalURLFetchingError as error:
        raise ExternalResourceRefused(str(error.__cause__ or error)) from error
    if not isinstance(pdf, bytes):  # write_pdf() without a target returns the bytes
        raise TypeError(f"WeasyPrint returned {type(pdf).__name__}, expected bytes")
    return pdf
