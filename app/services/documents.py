"""Issued documents: an immutable data snapshot per document, rendered to PDF on demand and verifiable."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import select

from app.engine.definition import canonical_json
from app.models import Commune, Document, Dossier, db
from app.services.runtime import runtime

PROCEDURE_NAMES = {"birth": "Đăng ký khai sinh", "marriage": "Đăng ký kết hôn", "death": "Đăng ký khai tử"}
TITLES = {
    "appointment_slip": "Phiếu tiếp nhận hồ sơ và hẹn trả kết quả",
    "supplement_request": "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ",
    "receipt_refusal": "Phiếu từ chối tiếp nhận, giải quyết hồ sơ",
    "refusal_letter": "Văn bản từ chối đăng ký",
    "apology_slip": "Phiếu xin lỗi và hẹn lại ngày trả kết quả",
    "birth_certificate": "Giấy khai sinh",
    "marriage_certificate": "Giấy chứng nhận kết hôn",
    "death_extract": "Trích lục khai tử",
}
BASE_NAMES = {
    "appointment_slip": "phieu_hen",
    "supplement_request": "yeu_cau_bo_sung",
    "receipt_refusal": "tu_choi_tiep_nhan",
    "refusal_letter": "van_ban_tu_choi",
    "apology_slip": "phieu_xin_loi",
    "birth_certificate": "giay_khai_sinh",
    "marriage_certificate": "giay_chung_nhan_ket_hon",
    "death_extract": "trich_luc_khai_tu",
}


def issue_documents(dossier: Dossier, kind: str, data: dict[str, Any], now: datetime) -> list[str]:
    """Create the document rows of `kind` (original and copies); returns their names."""
    draft = kind.endswith("_draft")
    base_kind = kind.removesuffix("_draft")
    ctx = _context(dossier, base_kind, data, now)
    taken = set(db.session.scalars(select(Document.name).where(Document.dossier_id == dossier.id)))
    names: list[str] = []
    variants: list[dict[str, Any]]
    if draft:
        variants = [{"suffix": "du_thao", "copy": None, "electronic": True, "draft": True}]
        if base_kind == "marriage_certificate":
            variants[0]["original_for"] = "bride"  # one draft for both parties to check
    elif base_kind == "marriage_certificate":
        variants = [
            {"suffix": f"ban_chinh_{i}", "copy": None, "original_for": who}
            for i, who in ((1, "bride"), (2, "groom"))
        ]
    elif base_kind in ("birth_certificate", "death_extract"):
        copies = int((data.get("dossier") or {}).get("copies") or 0)
        variants = [{"suffix": "", "copy": None}] + [
            {"suffix": f"ban_sao_{i}", "copy": {"number": i}} for i in range(1, copies + 1)
        ]
    else:
        variants = [{"suffix": "", "copy": None}]
    for variant in variants:
        name = BASE_NAMES[base_kind] + (f"_{variant['suffix']}" if variant["suffix"] else "")
        n = 2
        unique = name
        while unique in taken:
            unique, n = f"{name}_{n}", n + 1
        token = secrets.token_urlsafe(16)
        doc_ctx = {
            **ctx,
            "copy": variant["copy"],
            "electronic": bool(variant.get("electronic")),
            "draft": bool(variant.get("draft")),
            "verify_token": token,
            "verify_url": f"{runtime().verify_base_url}/verify/{token}",
        }
        if "original_for" in variant:
            doc_ctx["original_for"] = variant["original_for"]
        title = (
            TITLES[base_kind]
            + (" (dự thảo)" if draft else "")
            + (f" — bản sao số {variant['copy']['number']}" if variant["copy"] else "")
        )
        db.session.add(
            Document(
                dossier_id=dossier.id,
                name=unique,
                kind=base_kind,
                title=title,
                context=doc_ctx,
                verify_token=token,
                issued_at=now,
                content_sha256=hashlib.sha256(canonical_json(doc_ctx).encode()).hexdigest(),
            )
        )
        taken.add(unique)
        names.append(unique)
    return names


def issuer_of(commune_code: str) -> dict[str, str]:
    commune = db.session.get(Commune, commune_code)
    if commune is None:
        return {"commune_name": commune_code, "province_name": "", "place_name": ""}
    place = commune.province_name.removeprefix("Thành phố ").removeprefix("Tỉnh ")
    return {"commune_name": commune.name, "province_name": commune.province_name, "place_name": place}


def _signer(data: dict[str, Any], task: str) -> dict[str, str] | None:
    form = data.get(task) or {}
    actor = (data.get("actors") or {}).get(task) or {}
    if not form:
        return None
    return {"name": actor.get("full_name", ""), "title": form.get("signer_title") or "chu_tich"}


def _person_block(p: dict[str, Any] | None, lookup: dict[str, Any] | None) -> dict[str, Any] | None:
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


def _context(dossier: Dossier, kind: str, data: dict[str, Any], now: datetime) -> dict[str, Any]:
    d = data.get("dossier") or {}
    lookups = data.get("lookups") or {}
    requester = d.get("requester") or {}
    issuer = issuer_of(dossier.commune_code)
    from app.services.operations import local_date

    ctx: dict[str, Any] = {
        "issuer": issuer,
        "issued_on": local_date(now).isoformat(),
        "dossier_code": dossier.code,
        "procedure_name": PROCEDURE_NAMES[dossier.procedure],
        "requester": {"full_name": requester.get("full_name", ""), "phone": requester.get("phone")},
        "signer": None,
        "receiver_name": (data.get("actors") or {}).get("reception_check", {}).get("full_name", ""),
    }
    registration_place = f"UBND {issuer['commune_name']}, {issuer['province_name']}"
    register = data.get("register_entry") or {}
    if kind == "appointment_slip":
        acc = data.get("acceptance") or {}
        ctx.update(
            received_at=dossier.received_at.isoformat(),
            due_at=acc.get("due_at", ""),
            documents=[a.get("kind", "") for a in d.get("attachments_meta", [])] or ["Tờ khai"],
            fee=acc.get("fee") or {"amount": 0, "exempt_reason": None, "lines": []},
        )
    elif kind == "supplement_request":
        examined = data.get("officer_examine") or {}
        src = examined if examined.get("decision") == "supplement" else data.get("reception_check") or {}
        ctx.update(
            received_at=dossier.received_at.isoformat(),
            missing=list(src.get("missing") or src.get("reasons") or []),
            note=src.get("note") or "",
        )
    elif kind == "receipt_refusal":
        src = data.get("reception_check") or {}
        ctx.update(reasons=list(src.get("missing") or []) + ([src["note"]] if src.get("note") else []))
    elif kind == "refusal_letter":
        src = data.get("officer_examine") or {}
        ctx.update(
            reasons=list(src.get("reasons") or []) + ([src["note"]] if src.get("note") else []),
            number=f"{dossier.code}/TC",
            signer=_signer(data, "chairman_sign_refusal"),
        )
    elif kind == "apology_slip":
        acc = data.get("acceptance") or {}
        new_due = data.get("new_due_at") or runtime().calendar.due_at(now, 1).isoformat()
        verified = bool((dossier.result.get("verification") or {}).get("requests"))
        ctx.update(
            received_at=dossier.received_at.isoformat(),
            original_due_at=dossier.result.get("original_due_at") or acc.get("due_at", ""),
            new_due_at=new_due,
            reason=(
                "Hồ sơ phải xác minh tình trạng hôn nhân tại Ủy ban nhân dân cấp xã nơi cư trú."
                if verified
                else "Hồ sơ cần thêm thời gian xác minh, thẩm tra."
            ),
        )
    elif kind == "birth_certificate":
        child = dict(d.get("child") or {})
        child["personal_id"] = (data.get("registration") or {}).get("personal_id", "")
        from app.domain.date_words import date_in_words
        from app.domain.rules.fields import parse_date

        born = parse_date(child.get("birth_date"))
        child.setdefault("birth_date_in_words", date_in_words(born) if born else "")
        ctx.update(
            register={"book": register.get("book", ""), "number": register.get("number", "")},
            child=child,
            mother=_person_block(d.get("mother"), lookups.get("mother")),
            father=None if d.get("father") is None else _person_block(d.get("father"), lookups.get("father")),
            declarant={
                "full_name": requester.get("full_name", ""),
                "id_document": requester.get("personal_id", ""),
            },
            registered_on=register.get("registered_on", local_date(now).isoformat()),
            registration_place=registration_place,
            signer=_signer(data, "chairman_sign"),
            officer_name=(data.get("actors") or {}).get("officer_examine", {}).get("full_name", ""),
        )
    elif kind == "marriage_certificate":
        ctx.update(
            register={"book": register.get("book", ""), "number": register.get("number", "")},
            bride=_person_block(d.get("bride"), lookups.get("bride")),
            groom=_person_block(d.get("groom"), lookups.get("groom")),
            registered_on=register.get("registered_on", local_date(now).isoformat()),
            registration_place=registration_place,
            signer=_signer(data, "chairman_sign"),
        )
    elif kind == "death_extract":
        ctx.update(
            register={"book": register.get("book", ""), "number": register.get("number", "")},
            deceased={
                **(_person_block(d.get("deceased"), lookups.get("deceased")) or {}),
                "sex": (d.get("deceased") or {}).get("sex", ""),
                "last_residence": (d.get("deceased") or {}).get("last_residence", ""),
            },
            death=d.get("death") or {},
            death_notice=d.get("death_notice") or {},
            declarant={
                "full_name": requester.get("full_name", ""),
                "id_document": requester.get("personal_id", ""),
                "relationship": requester.get("relationship", ""),
            },
            registered_on=register.get("registered_on", local_date(now).isoformat()),
            registration_place=registration_place,
            signer=_signer(data, "chairman_sign"),
        )
    return ctx


def render_document(doc: Document) -> bytes:
    from app.documents import render_pdf

    return render_pdf(doc.kind, doc.context)
