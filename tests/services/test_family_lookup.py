"""What the marriage lookup fetches for the bars, and the kinship graph built from it (HN&GĐ Art. 5(2)(d))."""

from __future__ import annotations

from typing import Any

import pytest

from app.domain.kinship import is_marriage_barred, relationship
from app.procedures.registry_calls import family_records
from app.services.operations import kinship_from_lookups


def rec(pid: str, **links: Any) -> dict[str, Any]:
    return {"personal_id": pid, **links}


RECORDS = {
    "W": rec("W", spouse_personal_id="H"),  # widow; a widowed person keeps the late spouse
    "H": rec("H", spouse_personal_id="W", father_personal_id="F", mother_personal_id="M"),
    "F": rec("F", spouse_personal_id="M"),
    "M": rec("M", spouse_personal_id="F"),
    "D": rec("D", former_spouse_personal_ids=["S"], mother_personal_id="DM"),  # divorced
    "S": rec("S", former_spouse_personal_ids=["D"]),  # the registry records a divorce on both parties
    "DM": rec("DM"),
    "T": rec("T", spouse_personal_id="Q"),  # stepfather, widower
    "Q": rec("Q", spouse_personal_id="T"),
    "G": rec("G", mother_personal_id="Q"),
    "C": rec("C", adoptive_father_personal_id="A"),
    "A": rec("A"),
}


class Registry:
    def __init__(self) -> None:
        self.asked: list[str] = []

    def lookup(self, pid: str) -> dict[str, Any] | None:
        self.asked.append(pid)
        return RECORDS.get(pid)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("W", "F", "parent_in_law"),  # father-in-law and widowed daughter-in-law
        ("W", "A", None),  # unrelated
        ("S", "DM", "parent_in_law"),  # former son-in-law and mother-in-law, after divorce
        ("T", "G", "step_parent"),
        ("A", "C", "adoptive"),
    ],
)
def test_bars_from_what_the_lookup_fetched(a: str, b: str, expected: str | None) -> None:
    registry = Registry()
    family = family_records(registry, [a, b])  # type: ignore[arg-type]
    graph = kinship_from_lookups({"family": family})
    assert relationship(a, b, graph) == expected
    assert is_marriage_barred(a, b, graph) is (expected is not None)


def test_lookup_fetches_spouses_and_their_parents_ids() -> None:
    registry = Registry()
    family = family_records(registry, ["W"])  # type: ignore[arg-type]
    assert {"W", "H"} <= set(family)  # the late husband's record names his parents
    assert family["H"]["father_personal_id"] == "F"
