"""Findings: the result of evaluating a rule against a dossier, carrying the rule id (KS-/KH-/KT-/C-)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Severity = Literal["block", "warn", "flag", "info", "route"]


@dataclass(frozen=True)
class Finding:
    """One rule outcome; `block` prevents approval, `route` sends the dossier elsewhere, others inform."""

    rule: str
    severity: Severity
    message: str
    field: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        """JSON-ready form, as in the API's `findings` list."""
        return {"rule": self.rule, "severity": self.severity, "message": self.message, "field": self.field}


def blocking(findings: Iterable[Finding]) -> list[Finding]:
    """The findings that prevent approval."""
    return [f for f in findings if f.severity == "block"]


def routing(findings: Iterable[Finding]) -> list[Finding]:
    """The findings that send the dossier to another commune or procedure."""
    return [f for f in findings if f.severity == "route"]
