"""Scripts and expressions are bounded in CPU and memory: the attacks found by trying stop within a second."""

from __future__ import annotations

import time

import pytest

from app.engine.scripting import RestrictedEnvironment, ScriptTimeout, UnsafeScriptError


@pytest.mark.parametrize(
    "script",
    [
        "x = sum(range(10**9))",
        "s = 'ab'\nfor i in range(25):\n    s = s + s",
        "s = 'ab'\nfor i in range(25):\n    s += s",
        "x = ''.join(['ab'] * 99999 for _ in range(3))",
        "x = 'a'.ljust(10**9)",
        "x = [('a' * 90000) for _ in range(5000)]",
        "x = f'{1:>999999999}'",
    ],
)
def test_cpu_and_memory_bombs_stop_with_a_clear_error(script: str) -> None:
    started = time.monotonic()
    with pytest.raises((ValueError, ScriptTimeout, UnsafeScriptError, TypeError)) as err:
        RestrictedEnvironment().execute(script, {})
    assert time.monotonic() - started < 1.5
    assert str(err.value)


def test_ordinary_scripts_still_run() -> None:
    ctx: dict[str, object] = {"names": ["An", "Bình"]}
    RestrictedEnvironment().execute("joined = ', '.join(names)\ntotal = sum(range(10))", ctx)
    assert ctx["joined"] == "An, Bình" and ctx["total"] == 45
