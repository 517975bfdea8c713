"""Citizens' feedback (phản ánh, kiến nghị) on the three procedures, QĐ 766's "satisfaction" group.

Anyone may send feedback (the portal's JSON API, a public page per commune, the QR verification page), rate-
limited per sender address; officials read and answer the feedback on their own commune's dossiers; the
department categorises and compiles it for its province and proposes process changes (a proposal points at
the process version that carries the change, whose `deployed_at` says when it went live); analysts read it
per process and per diagram element. Analysts and the department read it with personal data masked.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator, Mapping
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import Select, func, select

from app import procedures
from app.domain.calendar import local_date
from app.domain.personal_data import mask_personal_data
from app.extensions import db
from app.models import Commune, Dossier, Feedback, FeedbackProposal, ProcessVersion, User
from app.services.access import OFFICIAL_ROLES
from app.services.collaborators import collaborators
from app.services.errors import Forbidden, Invalid, NotFound, RateLimited
from app.services.statistics import department_province, parse_period
from app.services.transaction import write

# Categories the department assigns (the QĐ 766 satisfaction criteria and the usual complaint subjects).
CATEGORIES: dict[str, str] = {
    "processing_time": "Thời gian giải quyết",
    "staff_attitude": "Thái độ, tác phong cán bộ",
    "documents_required": "Thành phần hồ sơ, giấy tờ",
    "procedure_steps": "Trình tự, cách thức thực hiện",
    "fees": "Phí, lệ phí",
    "online_service": "Dịch vụ công trực tuyến",
    "facilities": "Cơ sở vật chất nơi tiếp nhận",
    "other": "Khác",
}
SOURCES = ("portal", "public", "verify")
MAX_PER_WINDOW = 5
RATE_WINDOW = timedelta(minutes=10)
MAX_TEXT = 2000
REVIEW_ROLES = ("department", "analyst")
_ELEMENT_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,99}$")
_DOSSIER_CODE_RE = re.compile(r"^[A-Za-z0-9-]{1,40}$")


def client_hash(address: str) -> str:
    """A keyed hash of the sender's address: enough to rate-limit, not enough to identify anyone."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, f"feedback:{address}".encode(), hashlib.sha256).hexdigest()


def _nfc(value: Any) -> Any:
    return unicodedata.normalize("NFC", value).strip() if isinstance(value, str) else value


def _element_exists(procedure: str, element_id: str) -> bool:
    """The element id names an element of one of the procedure's deployed diagrams."""
    process_key = procedures.get(procedure).process_key
    pattern = f'id="{re.escape(element_id)}"'
    xmls = db.session.scalars(select(ProcessVersion.bpmn_xml).where(ProcessVersion.key == process_key))
    return any(re.search(pattern, xml) for xml in xmls)


def submit(payload: Any, address: str, source: str) -> int:
    """Validate and store one feedback; 422 naming the fields, 429 past MAX_PER_WINDOW per address."""
    if not isinstance(payload, Mapping):
        raise Invalid("Nội dung phản ánh phải là một đối tượng JSON.", fields={"": "Sai kiểu dữ liệu."})
    data = {k: _nfc(v) for k, v in payload.items()}
    fields: dict[str, str] = {}
    procedure, commune_code = data.get("procedure"), data.get("commune_code")
    if procedure not in procedures.keys():
        names = [p.book_name for p in procedures.all_procedures()]
        choice = f"{', '.join(names[:-1])} hoặc {names[-1]}" if len(names) > 1 else names[0]
        fields["procedure"] = f"Chọn thủ tục: {choice}."
    commune = db.session.get(Commune, commune_code) if isinstance(commune_code, str) else None
    if commune is None:
        fields["commune_code"] = "Mã xã/phường không đúng."
    rating = data.get("rating")
    if isinstance(rating, str) and rating.isdigit():
        rating = int(rating)
    if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 5:
        fields["rating"] = "Mức đánh giá phải là số từ 1 đến 5."
    text = data.get("text")
    if not isinstance(text, str) or not text:
        fields["text"] = "Nhập nội dung phản ánh, kiến nghị."
    elif len(text) > MAX_TEXT:
        fields["text"] = f"Nội dung tối đa {MAX_TEXT} ký tự."
    dossier = None
    code = data.get("dossier_code") or None
    if code is not None:
        if not isinstance(code, str) or not _DOSSIER_CODE_RE.match(code):
            fields["dossier_code"] = "Mã hồ sơ không hợp lệ."
        elif "procedure" not in fields and commune is not None:
            dossier = db.session.scalars(select(Dossier).where(Dossier.code == code)).first()
            # the same answer for an unknown code and another commune's: nothing is revealed
            if dossier is None or dossier.commune_code != commune.code or dossier.procedure != procedure:
                fields["dossier_code"] = "Không có hồ sơ này của thủ tục và xã/phường đã chọn."
    element_id = data.get("element_id") or None
    if element_id is not None and "procedure" not in fields:
        if not isinstance(element_id, str) or not _ELEMENT_RE.match(element_id):
            fields["element_id"] = "Mã bước quy trình không hợp lệ."
        elif not _element_exists(str(procedure), element_id):
            fields["element_id"] = "Quy trình của thủ tục này không có bước này."
    if fields:
        raise Invalid("Phản ánh chưa hợp lệ.", fields=fields)
    if source not in SOURCES:
        raise ValueError(f"unknown feedback source {source!r}")
    now = collaborators().clock.now()
    sender = client_hash(address)

    def work() -> int:
        # one sender's submissions count one at a time: SQLite's write lock already serialises them; on
        # PostgreSQL a transaction-scoped advisory lock on the sender does, so a burst cannot pass the limit
        if db.session.get_bind().dialect.name == "postgresql":
            db.session.execute(
                sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"), {"k": sender}
            )
        recent = db.session.scalar(
            select(func.count())
            .select_from(Feedback)
            .where(Feedback.client_hash == sender, Feedback.created_at >= now - RATE_WINDOW)
        )
        if (recent or 0) >= MAX_PER_WINDOW:
            raise RateLimited("Bạn đã gửi quá nhiều phản ánh. Vui lòng thử lại sau 10 phút.")
        row = Feedback(
            procedure=str(procedure),
            commune_code=commune.code if commune else "",
            dossier_id=dossier.id if dossier else None,
            rating=int(rating),  # type: ignore[arg-type]
            text=str(text),
            element_id=element_id,
            source=source,
            client_hash=sender,
            created_at=now,
        )
        db.session.add(row)
        db.session.flush()
        return row.id

    return write(work)


# ---- reading ----


def _masked(user: User) -> bool:
    return not user.has_role(*OFFICIAL_ROLES)


def _names_in(data: Any) -> Iterator[str]:
    if isinstance(data, Mapping):
        for key, value in data.items():
            if key == "full_name" and isinstance(value, str):
                yield value
            else:
                yield from _names_in(value)
    elif isinstance(data, list):
        for value in data:
            yield from _names_in(value)


def view(
    row: Feedback, user: User, dossier: Dossier | None = None, commune_names: Mapping[str, str] = {}
) -> dict[str, Any]:
    """One feedback as shown to `user`: masked for analysts and the department."""
    text, answer = row.text, row.answer
    if _masked(user):
        names = list(_names_in(dossier.data)) if dossier else []
        places = list(commune_names.values())
        text = mask_personal_data(row.text, names, places)
        answer = mask_personal_data(row.answer, names, places) if row.answer else None
    proposal = row.proposal
    version = proposal.process_version if proposal else None
    return {
        "id": row.id,
        "procedure": row.procedure,
        "commune_code": row.commune_code,
        "commune_name": commune_names.get(row.commune_code, row.commune_code),
        "dossier_code": dossier.code if dossier else None,
        "rating": row.rating,
        "text": text,
        "element_id": row.element_id,
        "source": row.source,
        "created_at": row.created_at.isoformat(),
        "category": row.category,
        "category_label": CATEGORIES.get(row.category or "", ""),
        "answer": answer,
        "answered_at": row.answered_at.isoformat() if row.answered_at else None,
        "proposal_id": row.proposal_id,
        "proposal_title": proposal.title if proposal else None,
        "change_version": f"{version.key} v{version.version}" if version else None,
        "change_live_at": version.deployed_at.isoformat() if version else None,
    }


def for_dossier(user: User, dossier: Dossier) -> list[dict[str, Any]]:
    """The feedback on one dossier the caller may read (the dossier page)."""
    rows = db.session.scalars(select(Feedback).where(Feedback.dossier_id == dossier.id).order_by(Feedback.id))
    return [view(r, user, dossier) for r in rows]


def answer(user: User, dossier: Dossier, feedback_id: int, text: Any) -> None:
    """An official of the dossier's commune answers a feedback on that dossier."""
    if not user.has_role(*OFFICIAL_ROLES) or user.commune_code != dossier.commune_code:
        raise Forbidden("Chỉ cán bộ của xã/phường giải quyết hồ sơ mới trả lời phản ánh.")
    body = _nfc(text)
    if not isinstance(body, str) or not body:
        raise Invalid("Nhập nội dung trả lời.", fields={"answer": "Nhập nội dung trả lời."})
    if len(body) > MAX_TEXT:
        raise Invalid("Nội dung trả lời quá dài.", fields={"answer": f"Tối đa {MAX_TEXT} ký tự."})
    now = collaborators().clock.now()

    def work() -> None:
        row = db.session.get(Feedback, feedback_id, with_for_update={"of": Feedback})
        if row is None or row.dossier_id != dossier.id:
            raise NotFound("Không tìm thấy phản ánh.")
        row.answer, row.answered_by, row.answered_at = body, user.username, now

    write(work)


def review_communes(user: User) -> list[str]:
    """The communes whose feedback `user` compiles: the department its province, analysts every commune."""
    if not user.has_role(*REVIEW_ROLES):
        raise Forbidden("Vai trò của bạn không được xem tổng hợp phản ánh.")
    query = select(Commune.code).order_by(Commune.code)
    if not user.has_role("analyst"):
        query = query.where(Commune.province_code == department_province())
    return list(db.session.scalars(query))


def _filtered(user: User, filters: Mapping[str, Any]) -> Select[Feedback]:
    communes = review_communes(user)
    period = (
        parse_period(filters.get("from"), filters.get("to"))
        if filters.get("from") or filters.get("to")
        else None
    )
    query = select(Feedback).where(Feedback.commune_code.in_(communes))
    for key, column in (("procedure", Feedback.procedure), ("commune_code", Feedback.commune_code)):
        if filters.get(key):
            query = query.where(column == filters[key])
    if filters.get("category") == "none":
        query = query.where(Feedback.category.is_(None))
    elif filters.get("category"):
        query = query.where(Feedback.category == filters["category"])
    if filters.get("element_id"):
        query = query.where(Feedback.element_id == filters["element_id"])
    if period:
        query = query.where(Feedback.created_at >= period.start_utc, Feedback.created_at < period.end_utc)
    return query.order_by(Feedback.created_at.desc(), Feedback.id.desc())


def compile_feedback(user: User, filters: Mapping[str, Any]) -> dict[str, Any]:
    """The filtered feedback (masked) and its roll-ups by procedure, commune, category, element and month."""
    rows = list(db.session.scalars(_filtered(user, filters)))
    dossiers = {
        d.id: d
        for d in db.session.scalars(
            select(Dossier).where(Dossier.id.in_({r.dossier_id for r in rows if r.dossier_id}))
        )
    }
    names = dict(db.session.execute(select(Commune.code, Commune.name)).all())
    items = [view(r, user, dossiers.get(r.dossier_id or 0), names) for r in rows]

    def rollup(key: str) -> list[dict[str, Any]]:
        groups: dict[Any, list[dict[str, Any]]] = {}
        for item in items:
            groups.setdefault(item[key], []).append(item)
        return [
            {"key": k, "count": len(g), "mean_rating": round(sum(i["rating"] for i in g) / len(g), 2)}
            for k, g in sorted(groups.items(), key=lambda kv: (-len(kv[1]), str(kv[0])))
        ]

    months = Counter(local_date(r.created_at).strftime("%Y-%m") for r in rows)
    ratings: dict[str, list[int]] = {}
    for r in rows:
        ratings.setdefault(local_date(r.created_at).strftime("%Y-%m"), []).append(r.rating)
    return {
        "items": items,
        "total": len(items),
        "mean_rating": round(sum(i["rating"] for i in items) / len(items), 2) if items else None,
        "by_procedure": rollup("procedure"),
        "by_commune": rollup("commune_code"),
        "by_category": rollup("category"),
        "by_element": [g for g in rollup("element_id") if g["key"]],
        "trend": [
            {"month": m, "count": months[m], "mean_rating": round(sum(ratings[m]) / len(ratings[m]), 2)}
            for m in sorted(months)
        ],
    }


def categorise(user: User, feedback_id: int, category: Any) -> None:
    """The department assigns a category (or clears it with "")."""
    if not user.has_role("department"):
        raise Forbidden("Chỉ Sở Tư pháp phân loại phản ánh.")
    if category not in ("", *CATEGORIES):
        raise Invalid("Nhóm phản ánh không hợp lệ.", fields={"category": "Chọn một nhóm trong danh sách."})
    communes = review_communes(user)

    def work() -> None:
        row = db.session.get(Feedback, feedback_id, with_for_update={"of": Feedback})
        if row is None or row.commune_code not in communes:
            raise NotFound("Không tìm thấy phản ánh.")
        row.category = category or None
        row.categorised_by = user.username if category else None

    write(work)


# ---- proposals: feedback → a change of a process ----


def _version_of(procedure: str, version_id: Any) -> ProcessVersion | None:
    if version_id in (None, ""):
        return None
    try:
        number = int(version_id)
    except (TypeError, ValueError):
        number = -1
    version = db.session.get(ProcessVersion, number)
    if version is None or version.key != procedures.get(procedure).process_key:
        raise Invalid(
            "Phiên bản quy trình không thuộc thủ tục này.",
            fields={"process_version_id": "Chọn một phiên bản của quy trình thủ tục này."},
        )
    return version


def create_proposal(user: User, payload: Mapping[str, Any]) -> int:
    """A proposal to change a procedure's process, backed by feedback items of the caller's scope."""
    if not user.has_role(*REVIEW_ROLES):
        raise Forbidden("Vai trò của bạn không được lập đề xuất điều chỉnh quy trình.")
    procedure, title = payload.get("procedure"), _nfc(payload.get("title"))
    description = _nfc(payload.get("description") or "")
    fields: dict[str, str] = {}
    if procedure not in procedures.keys():
        fields["procedure"] = "Chọn thủ tục."
    if not isinstance(title, str) or not title or len(title) > 300:
        fields["title"] = "Nhập tên đề xuất (tối đa 300 ký tự)."
    if not isinstance(description, str) or len(description) > MAX_TEXT:
        fields["description"] = f"Mô tả tối đa {MAX_TEXT} ký tự."
    try:
        ids = sorted({int(i) for i in payload.get("feedback_ids") or []})
    except (TypeError, ValueError):
        ids, fields["feedback_ids"] = [], "Danh sách phản ánh không hợp lệ."
    if not ids and "feedback_ids" not in fields:
        fields["feedback_ids"] = "Chọn ít nhất một phản ánh làm căn cứ."
    if fields:
        raise Invalid("Đề xuất chưa hợp lệ.", fields=fields)
    version = _version_of(str(procedure), payload.get("process_version_id"))
    communes = review_communes(user)
    now = collaborators().clock.now()

    def work() -> int:
        rows = list(
            db.session.scalars(
                select(Feedback)
                .where(Feedback.id.in_(ids), Feedback.commune_code.in_(communes))
                .with_for_update(of=Feedback)
            )
        )
        if len(rows) != len(ids) or any(r.procedure != procedure for r in rows):
            raise Invalid(
                "Có phản ánh không thuộc thủ tục này hoặc không tồn tại.",
                fields={"feedback_ids": "Chỉ chọn phản ánh của thủ tục đã chọn."},
            )
        proposal = FeedbackProposal(
            procedure=str(procedure),
            title=str(title),
            description=str(description),
            process_version_id=version.id if version else None,
            created_by=user.username,
            created_at=now,
        )
        db.session.add(proposal)
        db.session.flush()
        for r in rows:
            r.proposal_id = proposal.id
        return proposal.id

    return write(work)


def link_version(user: User, proposal_id: int, version_id: Any) -> None:
    """Point a proposal at the process version carrying the change (or unlink it with "")."""
    if not user.has_role(*REVIEW_ROLES):
        raise Forbidden("Vai trò của bạn không được sửa đề xuất.")

    def work() -> None:
        proposal = db.session.get(FeedbackProposal, proposal_id, with_for_update={"of": FeedbackProposal})
        if proposal is None:
            raise NotFound("Không tìm thấy đề xuất.")
        version = _version_of(proposal.procedure, version_id)
        proposal.process_version_id = version.id if version else None

    write(work)


def list_proposals(user: User) -> list[dict[str, Any]]:
    review_communes(user)  # role check
    counts = dict(
        db.session.execute(
            select(Feedback.proposal_id, func.count())
            .where(Feedback.proposal_id.is_not(None))
            .group_by(Feedback.proposal_id)
        ).all()
    )
    out = []
    for p in db.session.scalars(select(FeedbackProposal).order_by(FeedbackProposal.id.desc())):
        version = p.process_version
        out.append(
            {
                "id": p.id,
                "procedure": p.procedure,
                "title": p.title,
                "description": p.description,
                "created_by": p.created_by,
                "created_at": p.created_at.isoformat(),
                "feedback_count": counts.get(p.id, 0),
                "process_version_id": p.process_version_id,
                "change_version": f"{version.key} v{version.version}" if version else None,
                "change_live_at": version.deployed_at.isoformat() if version else None,
            }
        )
    return out


def process_versions(procedure: str | None = None) -> list[dict[str, Any]]:
    """The versions a proposal may point at, newest first."""
    keys = {p.process_key: p.key for p in procedures.all_procedures()}
    query = select(ProcessVersion).order_by(ProcessVersion.key, ProcessVersion.version.desc())
    return [
        {
            "id": v.id,
            "procedure": keys.get(v.key),
            "label": f"{v.key} v{v.version}",
            "deployed_at": v.deployed_at.isoformat(),
        }
        for v in db.session.scalars(query)
        if v.key in keys and (procedure is None or keys[v.key] == procedure)
    ]
