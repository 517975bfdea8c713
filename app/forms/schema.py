"""The form definitions in forms/: JSON Schema files, loaded, cross-referenced and validated."""

from __future__ import annotations

import copy
import functools
import json
import os
import re
import threading
from collections.abc import Callable, Mapping
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
    """Form schemas of one forms/ directory: ``<root>/<procedure_key>/<form_name>.json``, loaded once.

    `folders` names procedure keys whose forms live elsewhere ({key: folder}, e.g. a test's fixture
    folder); they are read under the same URIs, so "../common/defs.json" still resolves. It is asked again on
    every use, and the schemas are reloaded when the answer changes.
    """

    def __init__(self, root: Path, folders: Callable[[], Mapping[str, Path]] | None = None) -> None:
        self.root = Path(root)
        self._folders = folders
        self._mounted: dict[str, Path] = {}
        self._lock = threading.Lock()
        self._refs: Registry[Any] | None = None
        self._validators: dict[FormKey, Draft202012Validator] = {}
        self._labels: dict[FormKey, dict[str, str]] = {}
        self._format_checker = build_format_checker()

    def _sync(self) -> None:
        """Forget the loaded schemas when the mounted folders changed (a procedure was (un)registered)."""
        if self._folders is None:
            return
        current = {key: Path(path) for key, path in self._folders().items()}
        if current != self._mounted:
            with self._lock:
                self._mounted, self._refs = current, None
                self._validators, self._labels = {}, {}

    def _folder(self, procedure_key: str) -> Path:
        self._sync()
        return self._mounted.get(procedure_key) or self.root / procedure_key

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
        folder = self._folder(procedure_key)
        return sorted(p.stem for p in folder.glob("*.json") if _NAME.fullmatch(p.stem))

    def schema(self, procedure_key: str, form_name: str) -> dict[str, Any]:
        """A copy of the form's JSON Schema (with its "$id"); KeyError when there is no such form."""
        return copy.deepcopy(self._validator(procedure_key, form_name).schema)

    def definition(self, procedure_key: str, form_name: str, name: str) -> dict[str, Any]:
        """A copy of one "$defs" entry of a form (e.g. common/defs "attachment_kind"), without copying the
        whole schema as `schema()` does; KeyError when there is no such form or entry."""
        return copy.deepcopy(self._validator(procedure_key, form_name).schema["$defs"][name])

    def ui(self, procedure_key: str, form_name: str) -> dict[str, Any]:
        """The form's "x-ui" hints (order, widgets, prefill, ...); {} when it has none."""
        return copy.deepcopy(self._validator(procedure_key, form_name).schema.get("x-ui", {}))

    def labels(self, procedure_key: str, form_name: str) -> dict[str, str]:
        """{dotted path: Vietnamese title} for every field; array items appear as "*" ("missing.*")."""
        key = self._key(procedure_key, form_name)
        self._sync()
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
        labels = self.labels(procedure_key, form_name)
        found = field_messages(validator.iter_errors(prepared), labels, prefix)
        found = self._inside_missing_blocks(validator, prepared, found, labels, prefix)
        for path, message in found.items():
            errors.setdefault(path, message)
        return errors

    @staticmethod
    def _inside_missing_blocks(
        validator: Draft202012Validator,
        data: Any,
        found: dict[str, str],
        labels: Mapping[str, str],
        prefix: str,
    ) -> dict[str, str]:
        """A required block left out entirely ("requester" on an empty form) is reported field by field, as
        if it had been sent empty, so the person sees every field to fill; a block with no required field of
        its own keeps its one message."""
        if not isinstance(data, dict):
            return found
        strip = f"{prefix}." if prefix else ""
        blocks = [
            path.removeprefix(strip)
            for path in found
            if path.startswith(strip)
            and "." not in path.removeprefix(strip)
            and path.removeprefix(strip) not in data
            and any(key.startswith(f"{path.removeprefix(strip)}.") for key in labels)
        ]
        if not blocks:
            return found
        filled = {**data, **{name: {} for name in blocks}}
        inner = field_messages(validator.iter_errors(filled), labels, prefix)
        out = {path: msg for path, msg in found.items() if path.removeprefix(strip) not in blocks}
        for name in blocks:
            fields = {p: m for p, m in inner.items() if p.startswith(f"{strip}{name}.")}
            out.update(fields or {f"{strip}{name}": found[f"{strip}{name}"]})
        return out

    # -- loading -------------------------------------------------------------------------------------------

    def _key(self, procedure_key: str, form_name: str) -> FormKey:
        if not (_NAME.fullmatch(procedure_key) and _NAME.fullmatch(form_name)):
            raise KeyError(f"{procedure_key}/{form_name}")
        return procedure_key, form_name

    def _file(self, procedure_key: str, form_name: str) -> Path:
        key = self._key(procedure_key, form_name)
        return self._folder(key[0]) / f"{key[1]}.json"

    def _validator(self, procedure_key: str, form_name: str) -> Draft202012Validator:
        key = self._key(procedure_key, form_name)
        self._sync()
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
                        (uri, DRAFT202012.create_resource(schema))
                        for uri, schema in _load_all(self.root, self._mounted)
                    )
                    .crawl()
                )
            return self._refs


def _load_all(root: Path, mounted: Mapping[str, Path] | None = None) -> list[tuple[str, dict[str, Any]]]:
    files = {BASE_URI + path.relative_to(root).as_posix(): path for path in sorted(root.rglob("*.json"))}
    for key, folder in (mounted or {}).items():
        files.update(
            {
                f"{BASE_URI}{key}/{path.relative_to(folder).as_posix()}": path
                for path in sorted(folder.rglob("*.json"))
            }
        )
    loaded: list[tuple[str, dict[str, Any]]] = []
    for uri, path in files.items():
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


def procedure_form_folders() -> dict[str, Path]:
    """{process key: forms folder} of the registered procedures that keep their forms outside forms/."""
    from app.procedures import all_procedures

    return {p.process_key: p.forms_dir for p in all_procedures() if p.forms_dir is not None}


@functools.cache
def _registry_for(root: Path) -> FormRegistry:
    return FormRegistry(root, folders=procedure_form_folders)
