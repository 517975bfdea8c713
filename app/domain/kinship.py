"""Family relationships between two persons, for marriage bars (HN&GĐ Art. 5) and conflicts (LHT Art. 12)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

Relationship = Literal[
    "self", "direct_line", "within_three_generations", "adoptive", "parent_in_law", "step_parent", "spouse"
]

MAX_DIRECT_LINE_DEPTH = 6
# HN&GĐ Art. 3(18): the common ancestor is generation 1, its children 2, grandchildren 3 —
# so both persons are at most 2 steps below the common ancestor (siblings, first cousins, uncle–niece).
MAX_THREE_GENERATION_STEPS = 2

# HN&GĐ Art. 5(2)(d): direct line, within three generations, (former) adoptive parent–child, father-in-law –
# daughter-in-law and mother-in-law – son-in-law, stepfather – wife's child and stepmother – husband's child;
# the in-law and step relations stand even when the marriage that made them ended by death or divorce
# ("người đã từng là ..."), so spouses_of() lists former spouses too.
MARRIAGE_BARS: frozenset[Relationship] = frozenset(
    {"self", "direct_line", "within_three_generations", "adoptive", "parent_in_law", "step_parent"}
)


class KinshipGraph(Protocol):
    """Family links by personal id, as recorded in the population and civil-status databases."""

    def parents_of(self, personal_id: str) -> tuple[str | None, str | None]:
        """(mother, father) by blood; None where unknown."""
        ...

    def adoptive_parents_of(self, personal_id: str) -> Sequence[str]:
        """Adoptive parents, current and former."""
        ...

    def spouses_of(self, personal_id: str) -> Sequence[str]:
        """All spouses ever, including former ones."""
        ...


def _no_one(_: str) -> Sequence[str]:
    return ()


@dataclass(frozen=True)
class FunctionKinshipGraph:
    """A KinshipGraph built from lookup functions; adoption and spouses are optional."""

    parents: Callable[[str], tuple[str | None, str | None]]
    adoptive_parents: Callable[[str], Sequence[str]] = _no_one
    spouses: Callable[[str], Sequence[str]] = _no_one

    def parents_of(self, personal_id: str) -> tuple[str | None, str | None]:
        """(mother, father) by blood."""
        return self.parents(personal_id)

    def adoptive_parents_of(self, personal_id: str) -> Sequence[str]:
        """Adoptive parents, current and former."""
        return self.adoptive_parents(personal_id)

    def spouses_of(self, personal_id: str) -> Sequence[str]:
        """All spouses ever."""
        return self.spouses(personal_id)


def _blood_parents(person: str, graph: KinshipGraph) -> list[str]:
    return [p for p in graph.parents_of(person) if p]


def ancestors(person: str, graph: KinshipGraph, max_depth: int = MAX_DIRECT_LINE_DEPTH) -> dict[str, int]:
    """Blood ancestors with their distance in generations (the person itself at 0)."""
    found = {person: 0}
    frontier = [person]
    for depth in range(1, max_depth + 1):
        nxt: list[str] = []
        for p in frontier:
            for parent in _blood_parents(p, graph):
                if parent not in found:
                    found[parent] = depth
                    nxt.append(parent)
        frontier = nxt
    return found


def _is_parent_in_law(a: str, b: str, graph: KinshipGraph) -> bool:
    """a is the father or mother of b's spouse, current or former (cha chồng – con dâu, mẹ vợ – con rể)."""
    return any(a in _blood_parents(spouse, graph) for spouse in graph.spouses_of(b))


def _is_step_parent(a: str, b: str, graph: KinshipGraph) -> bool:
    """a is (or was) married to b's father or mother without being b's parent (cha dượng, mẹ kế)."""
    parents = _blood_parents(b, graph)
    return a not in parents and any(a in graph.spouses_of(parent) for parent in parents)


def relationship(a: str, b: str, graph: KinshipGraph) -> Relationship | None:
    """The closest legally relevant relationship between a and b, or None when unrelated."""
    if a == b:
        return "self"
    up_a, up_b = ancestors(a, graph), ancestors(b, graph)
    # HN&GĐ Art. 3(17): same direct blood line = one descends from the other.
    if b in up_a or a in up_b:
        return "direct_line"
    for common in up_a.keys() & up_b.keys():
        if up_a[common] <= MAX_THREE_GENERATION_STEPS and up_b[common] <= MAX_THREE_GENERATION_STEPS:
            return "within_three_generations"
    if b in graph.adoptive_parents_of(a) or a in graph.adoptive_parents_of(b):
        return "adoptive"
    if _is_parent_in_law(a, b, graph) or _is_parent_in_law(b, a, graph):
        return "parent_in_law"
    if _is_step_parent(a, b, graph) or _is_step_parent(b, a, graph):
        return "step_parent"
    if b in graph.spouses_of(a) or a in graph.spouses_of(b):
        return "spouse"
    return None


def is_relative(a: str, b: str, graph: KinshipGraph) -> bool:
    """True when b is a "người thân thích" of a (HN&GĐ Art. 3(19): marriage, adoption, blood; in-laws)."""
    return relationship(a, b, graph) not in (None, "self")


def is_marriage_barred(a: str, b: str, graph: KinshipGraph) -> bool:
    """True when a and b may not marry because of kinship (HN&GĐ Art. 5(2)(d))."""
    return relationship(a, b, graph) in MARRIAGE_BARS
