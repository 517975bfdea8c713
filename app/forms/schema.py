"""The form definitions in forms/: JSON Schema files, loaded, cross-referenced and validated."""

from __future__ import annotations

import copy
import functools
import json
import os
import re
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from app.forms.formats import build_format_checker
from app.forms.labels import collect_labels
from app.forms.messages import field_messages
from app.forms.payload import prepare

if TYPE_CHECKING:
    from referencing._core import Resolver  # not re-exported by the package; needed for annotations only

# Each file is registered under <BASE_URI><path relative to forms/>, so "$ref": "../common/defs.json#/$defs/x"
# resolves the way it reads on disk. ".invalid" guarantees nothing is ever fetched from the network.
BASE_URI = "https://forms.hotich.invalid/"
DEFAULT_ROOT = Path(__file__).resolve().parents[2] / "forms"
_NAME = re.compile(r"[a-z][a-z0-9_]*")

FormKey = tuple[str, str]


class FormRegistry:
    """Form schemas of one forms/ directory: ``<root>/<procedure_key>/<form_name>.json``, loaded once."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._lock = threading.Lock()
        self._refs: Registry[Any] | None = None
        self._validators: dict[FormKey, Draft202012Validator] = {}
        self._labels: dict[FormKey, dict[str, str]] = {}
        self._format_checker = build_format_checker()

    def exists(self, procedure_key: str, form_name: str) -> bool:
        """True when the form file exists."""
        try:
            return self._file(procedure_key, form_name).is_file()
        except KeyError:
            return False

    def form_names(self, procedure_key: str) -> list[str]:
        """Names of the forms defined for a procedure (empty when it has none)."""
        if not _NAME.fullmatch(procedure_key):
            return []
        return sorted(p.stem for p in (self.root / procedure_key).glob("*.json") if _NAME.fullmatch(p.stem))

    def schema(self, procedure_key: str, form_name: str) -> dict[str, Any]:
        """A copy of the form's JSON Schema (with its "$id"); KeyError when there is no such form."""
        return copy.deepcopy(self._validator(procedure_key, form_name).schema)

    def ui(self, procedure_key: str, form_name: str) -> dict[str, Any]:
        """The form's "x-ui" hints (order, widgets, prefill, ...); {} when it has none."""
        return copy.deepcopy(self._validator(procedure_key, form_name).schema.get("x-ui", {}))

    def labels(self, procedure_key: str, form_name: str) -> dict[str, str]:
        """{dotted path: Vietnamese title} for every field; array items appear as "*" ("missing.*")."""
        key = self._key(procedure_key, form_name)
        if key not in self._labels:
            self._labels[key] = collect_labels(self._validator(*key).schema, self.resolver(*key))
        return dict(self._labels[key])

    def resolver(self, procedure_key: str, form_name: str) -> Resolver[Any]:
        """A `referencing` resolver based at the form's "$id": ``resolver.lookup(ref)`` follows a "$ref"
        written in that form (or in a schema it leads to, through the returned ``.resolver``)."""
        validator = self._validator(procedure_key, form_name)
        return self._registry().resolver(base_uri=validator.schema["$id"])

    def validate(self, procedure_key: str, form_name: str, data: Any, *, prefix: str = "") -> dict[str, str]:
        """{} when data is valid, else {dotted field path: Vietnamese message} for every problem found.

        Strings are compared in NFC, so NFD input validates the same. ``prefix`` is put before every path
        (e.g. "attachments" when validating the attachments list of a request body).
        """
        validator = self._validator(procedure_key, form_name)
        prepared, errors = prepare(data)
        if prefix:
            errors = {f"{prefix}.{path}" if path else prefix: msg for path, msg in errors.items()}
        found = field_messages(validator.iter_errors(prepared), self.labels(procedure_key, form_name), prefix)
        for path, message in found.items():
            errors.setdefault(path, message)
        return errors

    # -- loading -------------------------------------------------------------------------------------------

    def _key(self, procedure_key: str, form_name: str) -> FormKey:
        if not (_NAME.fullmatch(procedure_key) and _NAME.fullmatch(form_name)):
            raise KeyError(f"{procedure_key}/{form_name}")
        return procedure_key, form_name

    def _file(self, procedure_key: str, form_name: str) -> Path:
        key = self._key(procedure_key, form_name)
        return self.root / key[0] / f"{key[1]}.json"

    def _validator(self, procedure_key: str, form_name: str) -> Draft202012Validator:
        key = self._key(procedure_key, form_name)
        validator = self._validators.get(key)
        if validator is None:
            uri = f"{BASE_URI}{key[0]}/{key[1]}.json"
            registry = self._registry()
            try:
                schema = registry.contents(uri)
            except LookupError:
                raise KeyError(f"{procedure_key}/{form_name}") from None
            validator = Draft202012Validator(schema, registry=registry, format_checker=self._format_checker)
            self._validators[key] = validator
        return validator

    def _registry(self) -> Registry[Any]:
        # Every file is loaded (and checked against the 2020-12 metaschema) on first use: a broken form
        # fails loudly at once, not on the first dossier that happens to reach that task.
        with self._lock:
            if self._refs is None:
                self._refs = (
                    Registry()
                    .with_resources(
                        (uri, DRAFT202012.create_resource(schema)) for uri, schema in _load_all(self.root)
                    )
                    .crawl()
                )
            return self._refs


def _load_all(root: Path) -> list[tuple[str, dict[str, Any]]]:
    loaded: list[tuple[str, dict[str, Any]]] = []
    for path in sorted(root.rglob("*.json")):
        uri = BASE_URI + path.relative_to(root).as_posix()
        try:
            schema = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ValueError(f"{path}: {exc}") from exc
        if not isinstance(schema, dict):
            raise ValueError(f"{path}: a form schema must be a JSON object")
        if schema.setdefault("$id", uri) != uri:
            raise ValueError(f'{path}: do not set "$id"; files are identified by their path')
        Draft202012Validator.check_schema(schema)
        loaded.append((uri, schema))
    return loaded


def default_registry() -> FormRegistry:
    """The registry of the repository's forms/ directory, or of $HOTICH_FORMS_DIR when set."""
    return _registry_for(Path(os.environ.get("HOTICH_FORMS_DIR") or DEFAULT_ROOT).resolve())


@functools.cache
def _registry_for(root: Path) -> FormRegistry:
    return FormRegistry(root)
