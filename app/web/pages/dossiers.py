"""The dossier page: declaration, attachments, registry lookups, findings, timeline, documents, diagram."""

from __future__ import annotations

import logging
from io import BytesIO
from typing import Any

from flask import Response, jsonify, render_template, request, send_file, url_for
from flask_login import login_required

from app.services import dossier_details, feedback, replay
from app.services.access import OFFICIAL_ROLES
from app.services.attachment_content import clean_filename
from app.services.collaborators import collaborators
from app.services.documents import render_document
from app.services.dossiers import dossier_view, get_document, get_dossier, list_documents
from app.services.errors import ServiceError
from app.services.processes import definition_for
from app.web import dossier_view as view
from app.web.pages import pages
from app.web.pages.access import require_roles
from app.web.read_log import records_read

log = logging.getLogger(__name__)
READERS = (*OFFICIAL_ROLES, "auditor")


@pages.get("/dossiers/<code>")
@login_required
@records_read("dossier_page")
def dossier_page(code: str) -> Any:
    user = require_roles(*READERS)
    dossier = get_dossier(user, code)
    details = dossier_view(dossier, user)
    definition = definition_for(dossier.process_version_id)
    titles = {key: info.title for key, info in definition.user_tasks.items()}
    events = replay.list_events(user, dossier)
    lookups = dossier_details.registry_lookups(dossier)
    markers = _diagram_markers(user, dossier)
    issued = [n for n in (request.args.get("issued") or "").split(",") if n]
    documents = list_documents(user, code)
    now = collaborators().clock.now()
    verification = (
        replay.verify(user, dossier) if request.args.get("verify") and user.has_role("auditor") else None
    )

    return render_template(
        "dossier.html",
        d=details,
        dossier=dossier,
        declaration=view.declaration(dossier.procedure, dossier.data),
        lookups=view.lookup_cards(lookups, dossier.data),
        timeline=view.timeline(
            events,
            titles,
            dossier_details.actor_names({str(e["actor"]) for e in events}),
            {doc["name"]: doc["title"] for doc in documents},
        ),
        documents=documents,
        issued=[doc for doc in documents if doc["name"] in issued],
        attachments=dossier_details.list_attachments(dossier),
        my_tasks=[t for t in details["tasks"] if t["role"] in user.roles],
        # the page polls while a registry call is under way (not once it failed: that waits for an admin)
        waiting=any(c["state"] in ("pending", "retrying") for c in details["registry_calls"]),
        markers=markers,
        overdue=bool(dossier.due_at and dossier.due_at < now and dossier.completed_at is None),
        verification=verification,
        supplement_asked=(
            dossier_details.requested_supplement(dossier)
            if dossier.status == "supplement_requested"
            else None
        ),
        finding_labels=view.field_labels(dossier.procedure),
        feedback=feedback.for_dossier(user, dossier),
    )


def _diagram_markers(user: Any, dossier: Any) -> dict[str, list[str]]:
    """BPMN element ids done and active, by re-executing the recorded events (replay)."""
    try:
        state = replay.replay(user, dossier, None)
    except ServiceError:
        raise
    except Exception:  # noqa: BLE001 - the diagram is an aid; the page shows without its markers
        log.exception("replay for the diagram of %s failed", dossier.code)
        return {"completed": [], "active": []}
    return {"completed": state["completed_elements"], "active": state["active_elements"]}


@pages.get("/dossiers/<code>/state.json")
@login_required
def dossier_state(code: str) -> Any:
    """What the waiting dossier page polls: status, open tasks for me, registry calls still running."""
    user = require_roles(*READERS)
    dossier = get_dossier(user, code)
    tasks = dossier_view(dossier, user)["tasks"]
    return jsonify(
        {
            "status": dossier.status,
            "pending_calls": dossier_details.pending_calls(dossier),
            "tasks": [
                {"id": t["id"], "title": t["title"], "url": url_for("pages.task_page", task_id=t["id"])}
                for t in tasks
                if t["role"] in user.roles
            ],
        }
    )


@pages.get("/dossiers/<code>/attachments/<int:attachment_id>")
@login_required
@records_read("attachment")
def dossier_attachment(code: str, attachment_id: int) -> Any:
    user = require_roles(*READERS)
    attachment = dossier_details.get_attachment(user, get_dossier(user, code), attachment_id)
    response = send_file(
        BytesIO(attachment.content),
        mimetype=attachment.content_type,
        as_attachment=bool(request.args.get("download")),
        download_name=clean_filename(attachment.filename),  # a name stored before names were cleaned, too
    )
    return response


@pages.get("/dossiers/<code>/documents/<name>")
@login_required
@records_read("document")
def dossier_document(code: str, name: str) -> Any:
    """An issued document as PDF, to open and print (copies are separate documents)."""
    user = require_roles(*READERS)
    doc = get_document(user, code, name)
    return Response(
        render_document(doc),
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{doc.name}.pdf"',
            "X-Content-Type-Options": "nosniff",
        },
    )


@pages.get("/dossiers/<code>/diagram.xml")
@login_required
def dossier_diagram(code: str) -> Any:
    """The BPMN of the process version this dossier is pinned to (for the diagram viewer)."""
    user = require_roles(*READERS)
    xml = dossier_details.process_xml(get_dossier(user, code))
    return Response(xml, mimetype="application/xml", headers={"X-Content-Type-Options": "nosniff"})
