"""Statistics and plain-text tables for the benchmark output, and the machine line printed first."""

from __future__ import annotations

import os
import platform
import sqlite3
import statistics
from pathlib import Path
from typing import Any

import sqlalchemy as sa


def median(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def p95(xs: list[float]) -> float:
    """Nearest-rank 95th percentile."""
    if not xs:
        return float("nan")
    s = sorted(xs)
    return s[max(0, min(len(s) - 1, int(0.95 * len(s) + 0.999999) - 1))]


def fmt(value: float | int | str | None, digits: int = 2) -> str:
    if value is None:
        return "–"
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value != value:  # nan
        return "–"
    if isinstance(value, int):
        return str(value)
    return f"{value:.{digits}f}"


def table(headers: list[str], rows: list[list[Any]], title: str | None = None) -> str:
    cells = [[fmt(c) if not isinstance(c, str) else c for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)]
    out = []
    if title:
        out.append(title)
    line = "  ".join(h.ljust(widths[0]) if i == 0 else h.rjust(widths[i]) for i, h in enumerate(headers))
    out.append(line)
    out.append("  ".join("-" * w for w in widths))
    for r in cells:
        out.append("  ".join(c.ljust(widths[0]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(r)))
    return "\n".join(out)


def machine_info() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    from importlib.metadata import version

    return (
        f"machine: {platform.system()} {platform.release()}, {os.cpu_count()} CPU ({cpu}); "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"SQLAlchemy {sa.__version__}, SpiffWorkflow {version('SpiffWorkflow')}, Flask {version('flask')}"
    )
