"""The verification QR code printed on every document, as an inline SVG data URI (nothing fetched)."""

from __future__ import annotations

from functools import lru_cache

import segno


def check_verify_url(verify_url: str, verify_token: str) -> None:
    """Refuse a URL not ending in '/verify/<token>': the printed token must match what the QR encodes."""
    if not verify_token or not verify_url.endswith(f"/verify/{verify_token}"):
        raise ValueError(f"verify_url {verify_url!r} does not end with '/verify/{verify_token}'")


@lru_cache(maxsize=256)
def qr_svg_data_uri(verify_url: str) -> str:
    """Encode the URL as a QR code (error correction M, 4-module quiet zone) in a data: URI."""
    qr = segno.make(verify_url, error="m", micro=False, boost_error=False)
    return qr.svg_data_uri(dark="#000", light="#fff", omitsize=True)
