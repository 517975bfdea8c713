"""Parsed definitions are cached by content, boundedly: the modeler validates every draft it saves."""

from __future__ import annotations

from app.engine import definition
from tests.modeler_drafts import BIRTH


def test_parsed_drafts_do_not_pile_up_in_memory() -> None:
    drafts = [
        BIRTH.replace(b"</bpmn:definitions>", f"<!-- draft {n} --></bpmn:definitions>".encode())
        for n in range(definition.CACHE_SIZE + 5)
    ]
    first = definition.load_definition(drafts[0], "birth_registration")
    assert definition.load_definition(drafts[0], "birth_registration") is first  # cached by content
    for xml in drafts[1:]:
        definition.load_definition(xml, "birth_registration")
    assert len(definition._cache) == definition.CACHE_SIZE
    assert definition.load_definition(drafts[0], "birth_registration") is not first  # the oldest went
