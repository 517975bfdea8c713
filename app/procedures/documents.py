"""What the certificate and extract contexts share: person blocks, signer, register reference."""

from __future__ import annotations

from typing import Any

from app.procedures.record import DocumentSource, draft_variant


def person_block(p: dict[str, Any] | None, lookup: dict[str, Any] | None) -> dict[str, Any] | None:
    """A person as a certificate prints them: the declared values, else the registry record's."""
    if not p and not lookup:
        return None
    p, lookup = p or {}, lookup or {}
    birth = p.get("birth_date") or lookup.get("birth_date") or ""
    return {
        "full_name": p.get("full_name") or lookup.get("full_name", ""),
        "birth_date": birth,
        "birth_year": p.get("birth_year") or (str(birth)[:4] if birth else ""),
        "ethnicity": p.get("ethnicity") or lookup.get("ethnicity", ""),
        "nationality": p.get("nationality") or lookup.get("nationality", ""),
        "residence": p.get("residence") or lookup.get("residence_commune_code") or "",
        "personal_id": p.get("personal_id") or lookup.get("personal_id", ""),
    }


def signer(data: dict[str, Any], task: str) -> dict[str, str] | None:
    """Who signed at `task` (the chairman's form and actor), None before it was done."""
    form = data.get(task) or {}
    actor = (data.get("actors") or {}).get(task) or {}
    if not form:
        return None
    return {"name": actor.get("full_name", ""), "title": form.get("signer_title") or "chu_tich"}


def registration(src: DocumentSource) -> dict[str, Any]:
    """The register reference, date, place and signer every certificate and extract prints."""
    issuer = src.header["issuer"]
    register = src.data.get("register_entry") or {}
    return {
        "register": {"book": register.get("book", ""), "number": register.get("number", "")},
        "registered_on": register.get("registered_on", src.header["issued_on"]),
        "registration_place": f"UBND {issuer['commune_name']}, {issuer['province_name']}",
        "signer": signer(src.data, "chairman_sign"),
    }


def with_copies(data: dict[str, Any], draft: bool) -> list[dict[str, Any]]:
    """The original plus the extra copies the requester asked for (`copies`), or the electronic draft."""
    if draft:
        return [draft_variant()]
    copies = int((data.get("dossier") or {}).get("copies") or 0)
    return [{"suffix": "", "copy": None}] + [
        {"suffix": f"ban_sao_{i}", "copy": {"number": i}} for i in range(1, copies + 1)
    ]
