"""Issued documents: an immutable data snapshot per document, rendered to PDF on demand and verifiable."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import select

from app.domain.calendar import local_date
from app.domain.fees import exemption_label
from app.engine.definition import canonical_json
from app.models import Attachment, Commune, Document, Dossier, db
from app.procedures import DocumentKind, DocumentSource
from app.procedures import get as get_procedure
from app.procedures.documents import signer
from app.services import locked_rows
from app.services.collaborators import collaborators
from app.services.errors import ServiceError


# -- the documents every procedure issues (their certificates and extracts live in app/procedures) ----------
def _slip_context(src: DocumentSource) -> dict[str, Any]:
    """Phiếu tiếp nhận và hẹn trả kết quả: the declaration and every attachment received (at submission and
    with each supplement), and the fee actually due: the registration fee or why it is waived, the copies."""
    acc = src.data.get("acceptance") or {}
    procedure = get_procedure(src.dossier.procedure)
    fee = dict(acc.get("fee") or {"amount": 0, "exempt_reason": None, "lines": []})
    if fee.get("exempt_reason"):
        fee["exempt_label"] = exemption_label(str(fee["exempt_reason"]), procedure.fee)
    return {
        "received_at": src.dossier.received_at.isoformat(),
        "due_at": acc.get("due_at", ""),
        "documents": [procedure.form_title, *received_attachments(src.dossier)],
        "fee": fee,
    }


def received_attachments(dossier: Dossier) -> list[str]:
    """Each attachment received with the dossier, by its Vietnamese kind and file name, in order."""
    locked = locked_rows.attachments(dossier)  # read with the dossier lock, in id order
    rows = (
        [(kind, filename) for _, kind, filename in locked]
        if locked is not None
        else db.session.execute(
            select(Attachment.kind, Attachment.filename)
            .where(Attachment.dossier_id == dossier.id)
            .order_by(Attachment.id)
        ).all()
    )
    kinds = collaborators().forms.definition("common", "defs", "attachment_kind").get("x-enum-labels") or {}
    return [f"{kinds.get(kind, kind)} (tệp {filename})" for kind, filename in rows]


def _supplement_context(src: DocumentSource) -> dict[str, Any]:
    examined = src.data.get("officer_examine") or {}
    from_ = examined if examined.get("decision") == "supplement" else src.data.get("reception_check") or {}
    return {
        "received_at": src.dossier.received_at.isoformat(),
        "missing": list(from_.get("missing") or from_.get("reasons") or []),
        "note": from_.get("note") or "",
    }


def _receipt_refusal_context(src: DocumentSource) -> dict[str, Any]:
    form = src.data.get("reception_check") or {}
    return {"reasons": list(form.get("missing") or []) + ([form["note"]] if form.get("note") else [])}


def _refusal_letter_context(src: DocumentSource) -> dict[str, Any]:
    chairman = src.data.get("chairman_sign") or {}
    if chairman.get("decision") == "refuse":  # refused at the signature, after the entry (voided)
        return {
            "reasons": [str(chairman.get("note") or "Người có thẩm quyền từ chối ký.")],
            "number": f"{src.dossier.code}/TC",
            "signer": signer(src.data, "chairman_sign"),
        }
    form = src.data.get("officer_examine") or {}
    return {
        "reasons": list(form.get("reasons") or []) + ([form["note"]] if form.get("note") else []),
        "number": f"{src.dossier.code}/TC",
        "signer": signer(src.data, "chairman_sign_refusal"),
    }


def _apology_context(src: DocumentSource) -> dict[str, Any]:
    dossier = src.dossier
    acc = src.data.get("acceptance") or {}
    new_due = src.data.get("new_due_at") or collaborators().calendar.due_at(src.now, 1).isoformat()
    verified = bool((dossier.result.get("verification") or {}).get("requests"))
    return {
        "received_at": dossier.received_at.isoformat(),
        "original_due_at": dossier.result.get("original_due_at") or acc.get("due_at", ""),
        "new_due_at": new_due,
        "reason": (
            "Hồ sơ phải xác minh tình trạng hôn nhân tại Ủy ban nhân dân cấp xã nơi cư trú."
            if verified
            else WAITING_REASONS.get(dossier.status, "Hồ sơ cần thêm thời gian xác minh, thẩm tra.")
        ),
    }


# why the result is not ready, by the step the dossier waits at when the apology slip goes out
WAITING_REASONS = {
    "awaiting_confirmation": "Hồ sơ đang chờ ông/bà xác nhận bản dự thảo điện tử.",
    "awaiting_signature": "Hồ sơ đang chờ lãnh đạo Ủy ban nhân dân ký.",
}


SHARED_KINDS = (
    DocumentKind("appointment_slip", "Phiếu tiếp nhận hồ sơ và hẹn trả kết quả", "phieu_hen", _slip_context),
    DocumentKind(
        "supplement_request",
        "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ",
        "yeu_cau_bo_sung",
        _supplement_context,
    ),
    DocumentKind(
        "receipt_refusal",
        "Phiếu từ chối tiếp nhận, giải quyết hồ sơ",
        "tu_choi_tiep_nhan",
        _receipt_refusal_context,
    ),
    DocumentKind(
        "refusal_letter", "Văn bản từ chối đăng ký", "van_ban_tu_choi", _refusal_letter_context, resolves=True
    ),
    DocumentKind(
        "apology_slip", "Phiếu xin lỗi và hẹn lại ngày trả kết quả", "phieu_xin_loi", _apology_context
    ),
)


def document_kind(procedure: str, kind: str) -> DocumentKind:
    """A shared kind, or one of the procedure's own; LookupError for a kind the procedure does not issue."""
    found = get_procedure(procedure).document(kind) or next((k for k in SHARED_KINDS if k.kind == kind), None)
    if found is None:
        raise LookupError(f"procedure {procedure!r} issues no document {kind!r}")
    return found


def resolves_dossier(procedure: str, kind: str) -> bool:
    """Issuing this kind settles the dossier (the certificate, extract or refusal letter)."""
    return document_kind(procedure, kind.removesuffix("_draft")).resolves


def issue_documents(dossier: Dossier, kind: str, data: dict[str, Any], now: datetime) -> list[str]:
    """Create the document rows of `kind` (original and copies); returns their names."""
    draft = kind.endswith("_draft")
    base_kind = kind.removesuffix("_draft")
    spec = document_kind(dossier.procedure, base_kind)
    ctx = _context(dossier, spec, data, now)
    taken = locked_rows.document_names(dossier)  # read with the dossier lock (+ this session's own)
    if taken is None:
        taken = set(db.session.scalars(select(Document.name).where(Document.dossier_id == dossier.id)))
    names: list[str] = []
    for variant in spec.variants(data, draft):
        name = spec.file_name + (f"_{variant['suffix']}" if variant["suffix"] else "")
        n = 2
        unique = name
        while unique in taken:
            unique, n = f"{name}_{n}", n + 1
        token = secrets.token_urlsafe(16)
        copy = {**variant["copy"], "name": spec.copy_name, "of": spec.title} if variant["copy"] else None
        doc_ctx = {
            **ctx,
            "copy": copy,
            "electronic": bool(variant.get("electronic")),
            "draft": bool(variant.get("draft")),
            "verify_token": token,
            "verify_url": f"{collaborators().verify_base_url}/verify/{token}",
        }
        if "original_for" in variant:
            doc_ctx["original_for"] = variant["original_for"]
        title = (
            f"{spec.copy_name} số {variant['copy']['number']}"
            if variant["copy"]
            else spec.title + (" (dự thảo)" if draft else "")
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
    if not draft:
        for companion in spec.companions:
            names += issue_documents(dossier, companion, data, now)
    return names


def sign_issued(dossier: Dossier, kind: str, signer_block: dict[str, str] | None, now: datetime) -> list[str]:
    """Put the signer on the printed documents of `kind` and its companions (not drafts); their names."""
    kinds = [kind, *document_kind(dossier.procedure, kind).companions]
    docs = db.session.scalars(
        select(Document)
        .where(Document.dossier_id == dossier.id, Document.kind.in_(kinds))
        .order_by(Document.id)
    ).all()
    names = []
    for doc in docs:
        if (doc.context or {}).get("draft"):
            continue
        ctx = {**doc.context, "signer": signer_block, "signed_at": now.isoformat()}
        doc.context = ctx
        doc.content_sha256 = hashlib.sha256(canonical_json(ctx).encode()).hexdigest()
        names.append(doc.name)
    return names


def issuer_of(commune_code: str) -> dict[str, str]:
    commune = db.session.get(Commune, commune_code)
    if commune is None:
        return {"commune_name": commune_code, "province_name": "", "place_name": ""}
    place = commune.province_name.removeprefix("Thành phố ").removeprefix("Tỉnh ")
    return {"commune_name": commune.name, "province_name": commune.province_name, "place_name": place}


def _context(dossier: Dossier, spec: DocumentKind, data: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The header every document prints, then what its kind's builder adds."""

    requester = (data.get("dossier") or {}).get("requester") or {}
    header: dict[str, Any] = {
        "issuer": issuer_of(dossier.commune_code),
        "issued_on": local_date(now).isoformat(),
        "dossier_code": dossier.code,
        "procedure_name": get_procedure(dossier.procedure).title,
        "requester": {"full_name": requester.get("full_name", ""), "phone": requester.get("phone")},
        "signer": None,
        "receiver_name": (data.get("actors") or {}).get("reception_check", {}).get("full_name", ""),
    }
    process_key = get_procedure(dossier.procedure).process_key
    source = DocumentSource(
        dossier, data, now, header, lambda path, code: choice_label(process_key, path, code)
    )
    return {**header, **spec.build(source)}


def choice_label(process_key: str, path: str, code: Any) -> str:
    """The Vietnamese label of a choice in the procedure's submission form ("requester.relationship",
    "relative") -> "Họ hàng"; the code itself only when the form declares no label for it."""
    node: Any = collaborators().forms.schema(process_key, "submission")
    for name in path.split("."):
        node = (node.get("properties") or {}).get(name) if isinstance(node, dict) else None
    labels = node.get("x-enum-labels") if isinstance(node, dict) else None
    return str((labels or {}).get(code, code or ""))


class DocumentTampered(ServiceError):
    status, code = 409, "document_tampered"


def render_document(doc: Document) -> bytes:
    """The PDF of an issued document; refused when its stored content no longer matches its hash."""
    from app.documents import render_pdf
    from app.services.audit import document_intact

    if not document_intact(doc):
        raise DocumentTampered("Nội dung giấy tờ không khớp mã kiểm tra đã ghi khi cấp: không thể in.")

    from flask import current_app

    from app.training import WATERMARK

    return render_pdf(doc.kind, doc.context, WATERMARK if current_app.config.get("TRAINING") else None)
