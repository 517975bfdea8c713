"""An optional measurement hook: a few sections of a request are marked by name, so a benchmark can time them.

The hook is None in the app; a marked section then costs one `is None` test. bench/ sets it with
`set_section_hook` to a callable that returns a context manager for the section's name. Marked sections:
"engine" (the public methods of app.engine.instance.Instance), "service ops" (a service task's dispatch),
"mail" (queueing the requester's status mail) and "feed-back command" (services.jobs.feed_result).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any, TypeVar, cast

SectionHook = Callable[[str], AbstractContextManager[object]]
F = TypeVar("F", bound=Callable[..., Any])
C = TypeVar("C", bound=type)

_hook: SectionHook | None = None
_NOTHING: AbstractContextManager[object] = nullcontext()


def set_section_hook(hook: SectionHook | None) -> None:
    """Install (or, with None, remove) the process-wide hook; only benchmarks call this."""
    global _hook
    _hook = hook


def section(name: str) -> AbstractContextManager[object]:
    """`with section("service ops"): ...` — the hook's context for `name`, or a no-op without a hook."""
    hook = _hook
    return _NOTHING if hook is None else hook(name)


def measured(name: str) -> Callable[[F], F]:
    """Decorator: every call of the function is the section `name`."""

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            hook = _hook
            if hook is None:
                return fn(*args, **kwargs)
            with hook(name):
                return fn(*args, **kwargs)

        return cast(F, wrapper)

    return decorate


def measured_methods(name: str) -> Callable[[C], C]:
    """Class decorator: every public method (and classmethod) of the class is the section `name`."""

    def decorate(cls: C) -> C:
        for attr, value in list(vars(cls).items()):
            if attr.startswith("_"):
                continue
            if isinstance(value, classmethod):
                setattr(cls, attr, classmethod(measured(name)(value.__func__)))
            elif callable(value):
                setattr(cls, attr, measured(name)(value))
        return cls

    return decorate
