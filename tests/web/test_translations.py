"""Vietnamese interface, English catalog: every marked text is translated and the .mo is current."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "app/translations/en/LC_MESSAGES"
# the pages' texts, and the records' texts marked with ui_text (app/procedures/record.py)
METHODS = [
    ("app/web/**.py", "python"),
    ("app/procedures/**.py", "python"),
    ("app/web/templates/**.html", "jinja2"),
]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None, "ui_text": None}


def marked_texts() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), METHODS, keywords=KEYWORDS, comment_tags=()
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return {m for m in found if m}


def test_every_interface_text_has_an_english_translation() -> None:
    po = read_po((CATALOG / "messages.po").open("rb"), locale="en")
    translated = {
        (m.id[0] if isinstance(m.id, tuple) else m.id)
        for m in po
        if m.id and (all(m.string) if isinstance(m.string, tuple) else m.string)
    }
    missing = sorted(marked_texts() - translated)
    assert not missing, f"untranslated (pybabel extract/update, then translate): {missing}"


def test_the_compiled_catalog_matches_the_po_file() -> None:
    po = read_po((CATALOG / "messages.po").open("rb"), locale="en")
    mo = read_mo((CATALOG / "messages.mo").open("rb"))

    def plain(value: object) -> object:
        return tuple(value) if isinstance(value, list | tuple) else value

    as_po = {plain(m.id): plain(m.string) for m in po if m.id}
    as_mo = {plain(m.id): plain(m.string) for m in mo if m.id}
    assert as_mo == as_po, "run: .venv/bin/pybabel compile -d app/translations"
