"""The collaborators services need (clock, registry client, forms, calendar), configured once per app."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from typing import Any

from flask import current_app, has_request_context, request

from app.domain.calendar import WorkingCalendar
from app.domain.fees import FeeSchedule
from app.engine.clock import Clock
from app.forms import FormRegistry
from app.integrations.registry import RegistryClient


@dataclass
class Collaborators:
    clock: Clock
    registry: RegistryClient
    forms: FormRegistry
    fees: FeeSchedule
    # HOTICH_VERIFY_BASE_URL, or None: the QR codes then point at the address the app is served on
    configured_verify_base_url: str | None
    settings: dict[str, Any] = field(default_factory=dict)
    saturday_morning: bool = False  # domain.md §10: some communes receive on Saturday mornings
    last_seen_base_url: str | None = None  # the address of the latest request (for documents made in a job)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def verify_base_url(self) -> str:
        """Where the QR code of a document points (…/verify/<token>).

        HOTICH_VERIFY_BASE_URL when set (a deployment behind a proxy or a public name sets it). Otherwise the
        address of the request being served; a document made in a job, with no request, takes the address of
        the latest request this process served, and before any request the local address on $PORT
        (`make run` serves 127.0.0.1:$PORT, default 5000).
        """
        if self.configured_verify_base_url:
            return self.configured_verify_base_url.rstrip("/")
        if has_request_context():
            return request_base_url()
        with self._lock:
            seen = self.last_seen_base_url
        return seen or f"http://127.0.0.1:{os.environ.get('PORT') or 5000}"

    def saw_request(self) -> None:
        """Remember the address the current request came to (called before every request)."""
        if self.configured_verify_base_url or not has_request_context():
            return
        base = request_base_url()
        with self._lock:
            self.last_seen_base_url = base

    @property
    def calendar(self) -> WorkingCalendar:
        """The working-day calendar as it stands now: statutory holidays, the shipped official swaps and the
        admin's corrections (every due date, late flag, fee and timer counts with this one)."""
        from app.services.working_calendar import effective_calendar

        return effective_calendar(saturday_morning=self.saturday_morning)


def collaborators() -> Collaborators:
    """The Collaborators of the current application."""
    rt: Collaborators = current_app.extensions["hotich"]
    return rt


def request_base_url() -> str:
    """'http://host:port' (and the script root when mounted under a prefix) of the current request."""
    return (request.host_url.rstrip("/") + request.script_root).rstrip("/")
