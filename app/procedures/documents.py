"""What the certificate and extract contexts share: person blocks, signer, register reference."""

from __future__ import annotations

from typing import Any

from app.domain.provinces import commune_place
from app.domain.rules.fields import parse_date
from app.procedures.record import DocumentSource, draft_variant

# forms/common/defs.json "id_document.type" (Luật Căn cước 2023; NĐ 123/2015 Art. 2(1))
ID_DOCUMENT_TYPES = {
    "id_card": "Thẻ căn cước",
    "citizen_id_card": "Thẻ Căn cước công dân",
    "electronic_id": "Căn cước điện tử",
    "identity_certificate": "Giấy chứng nhận căn cước",
    "passport": "Hộ chiếu",
    "other": "Giấy tờ tùy thân",
}
# cards whose number is the personal id (Luật Căn cước 2023 Art. 12): the number may be left out
_NUMBERED_BY_PERSONAL_ID = frozenset({"id_card", "citizen_id_card", "electronic_id"})


def residence_text(declared: Any, lookup: dict[str, Any] | None) -> str:
    """Nơi cư trú as printed: the declared place, else the registry's commune as names, never its code."""
    if isinstance(declared, str) and declared.strip():
        return declared.strip()
    return commune_place((lookup or {}).get("residence_commune_code"))


def id_document_text(person: dict[str, Any] | None) -> str:
    """The identity document as the forms print it: 'Thẻ căn cước số 001095012345, do Bộ Công an cấp ngày
    20/11/2021' with what is known; only a personal id gives 'Số định danh cá nhân 001095012345'."""
    person = person or {}
    raw = person.get("id_document")
    doc: dict[str, Any] = raw if isinstance(raw, dict) else {}
    pid = str(person.get("personal_id") or "")
    kind = str(doc.get("type") or "")
    number = str(doc.get("number") or (pid if kind in _NUMBERED_BY_PERSONAL_ID else ""))
    if not kind:
        return f"Số định danh cá nhân {pid}" if pid else ""
    text = ID_DOCUMENT_TYPES.get(kind, ID_DOCUMENT_TYPES["other"]) + (f" số {number}" if number else "")
    issued = parse_date(doc.get("issued_on"))
    if doc.get("issuer"):
        text += f", do {doc['issuer']} cấp" + (f" ngày {issued:%d/%m/%Y}" if issued else "")
    elif issued:
        text += f", cấp ngày {issued:%d/%m/%Y}"
    return text


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
        "residence": residence_text(p.get("residence"), lookup),
        "personal_id": p.get("personal_id") or lookup.get("personal_id", ""),
        "id_document": id_document_text({"personal_id": lookup.get("personal_id"), **p}),
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
