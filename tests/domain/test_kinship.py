import pytest

from app.domain.kinship import FunctionKinshipGraph, ancestors, is_marriage_barred, is_relative, relationship

# Family: grandparents GF+GM → son P1, daughter P2.  P1 + W1 → C1, C2; P1 + W2 → C4 (half-sibling).
# P2 + H2 → C3 (first cousin of C1).  C1 → GC1; C3 → GC3 (second cousins).  P2 adopted A1.
PARENTS: dict[str, tuple[str | None, str | None]] = {
    "P1": ("GM", "GF"),
    "P2": ("GM", "GF"),
    "C1": ("W1", "P1"),
    "C2": ("W1", "P1"),
    "C4": ("W2", "P1"),
    "C3": ("P2", "H2"),
    "GC1": (None, "C1"),
    "GC3": ("C3", None),
}
SPOUSES = {
    "GF": ["GM"],
    "GM": ["GF"],
    "P1": ["W1", "W2"],
    "W1": ["P1"],
    "W2": ["P1"],
    "P2": ["H2"],
    "H2": ["P2"],
}
ADOPTIVE = {"A1": ["P2"]}

GRAPH = FunctionKinshipGraph(
    parents=lambda pid: PARENTS.get(pid, (None, None)),
    adoptive_parents=lambda pid: ADOPTIVE.get(pid, []),
    spouses=lambda pid: SPOUSES.get(pid, []),
)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("C1", "C1", "self"),
        ("C1", "C2", "within_three_generations"),  # siblings
        ("C1", "C4", "within_three_generations"),  # half-siblings
        ("C1", "C3", "within_three_generations"),  # first cousins
        ("P2", "C1", "within_three_generations"),  # aunt – nephew
        ("C1", "P2", "within_three_generations"),
        ("GF", "C1", "direct_line"),  # grandparent
        ("GC1", "GM", "direct_line"),  # great-grandparent
        ("P1", "C2", "direct_line"),
        ("GC1", "GC3", None),  # second cousins: common ancestor is generation 1, they are generation 4
        ("P2", "GC1", None),  # great-aunt: outside three generations
        ("P2", "A1", "adoptive"),
        ("A1", "C3", None),  # adoptive siblings are not barred
        ("GF", "W1", "parent_in_law"),  # father-in-law – daughter-in-law
        ("W1", "GM", "parent_in_law"),
        ("W1", "C4", "step_parent"),  # stepmother – husband's child
        ("H2", "C1", None),  # aunt's husband: not a listed relationship
        ("P1", "W1", "spouse"),
        ("P1", "W2", "spouse"),
        ("C1", "X", None),  # unrelated
    ],
)
def test_relationship(a: str, b: str, expected: str | None) -> None:
    assert relationship(a, b, GRAPH) == expected


@pytest.mark.parametrize(
    ("a", "b", "relative", "barred"),
    [
        ("C1", "C3", True, True),
        ("GF", "C1", True, True),
        ("P2", "A1", True, True),
        ("GF", "W1", True, True),
        ("P1", "W2", True, False),  # a former spouse may remarry
        ("GC1", "GC3", False, False),
        ("C1", "X", False, False),
        ("C1", "C1", False, True),
    ],
)
def test_is_relative_and_marriage_bar(a: str, b: str, relative: bool, barred: bool) -> None:
    assert is_relative(a, b, GRAPH) is relative
    assert is_marriage_barred(a, b, GRAPH) is barred


def test_ancestors_depth_and_cycles() -> None:
    assert ancestors("GC1", GRAPH) == {"GC1": 0, "C1": 1, "W1": 2, "P1": 2, "GM": 3, "GF": 3}
    loop = FunctionKinshipGraph(
        parents=lambda pid: {"A": ("B", None), "B": ("A", None)}.get(pid, (None, None))
    )
    assert ancestors("A", loop) == {"A": 0, "B": 1}
    assert relationship("A", "B", loop) == "direct_line"


def test_only_parents_function_required() -> None:
    graph = FunctionKinshipGraph(parents=lambda pid: PARENTS.get(pid, (None, None)))
    assert relationship("GF", "W1", graph) is None
    assert relationship("C1", "C3", graph) == "within_three_generations"
