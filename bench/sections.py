"""The bench's side of app.instrumentation: one process-wide section hook, dispatching each section name to
whoever measures it (the Probe's categories, the Driver's feed-back timing). Unclaimed names cost nothing."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext

Handler = Callable[[], AbstractContextManager[object]]
_handlers: dict[str, Handler] = {}
_NOTHING: AbstractContextManager[object] = nullcontext()


def _dispatch(name: str) -> AbstractContextManager[object]:
    handler = _handlers.get(name)
    return _NOTHING if handler is None else handler()


def claim(name: str, handler: Handler) -> None:
    """Measure the app's section `name` with `handler()` (replacing an earlier claim of that name)."""
    from app.instrumentation import set_section_hook  # app is imported only once bench/__init__ has run

    _handlers[name] = handler
    set_section_hook(_dispatch)


def release(name: str) -> None:
    """Stop measuring `name`; the hook is removed once nothing is claimed."""
    from app.instrumentation import set_section_hook

    _handlers.pop(name, None)
    if not _handlers:
        set_section_hook(None)
