"""What one civil-status procedure is made of: a frozen record every other module asks instead of branching.

Records import no Flask and no SQL: they hold plain functions over the dossier data (rules, register rows,
document contexts, registry calls) and the numbers the law sets; the services run them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from app.domain.deadlines import TimeLimits
from app.domain.fees import FeeRule
from app.domain.findings import Finding
from app.domain.rules import RuleContext
from app.domain.rules.fields import parse_date
from app.engine.lint import Checkpoint

if TYPE_CHECKING:
    from app.integrations.registry import RegistryClient
    from app.models import Dossier

REPO_ROOT = Path(__file__).resolve().parents[2]
LOOKUP_OPERATION = "registry/lookup_parties"

# (dossier data, rule context without earlier registrations, earlier registrations) -> findings
RuleEvaluator = Callable[[dict[str, Any], RuleContext, Sequence[Mapping[str, Any]]], list[Finding]]
# (registry client, dossier data, dossier code, now) -> the result fed back to the service task
RegistryCall = Callable[["RegistryClient", dict[str, Any], str, datetime], dict[str, Any]]
# (dossier, the call's result) -> None: what the result changes in dossier.result / dossier.findings
ResultApplier = Callable[["Dossier", dict[str, Any]], None]
Path2 = tuple[str, str]  # (block, key) of a dossier field, e.g. ("child", "birth_date")


def ui_text(text: str) -> str:
    """Marks a Vietnamese interface text kept in a record: babel.cfg extracts it into the catalog, and the
    pages translate it when they show it (records import no Flask)."""
    return text


# The officials' steps every procedure takes before its register entry: reception checks the dossier, the
# judicial–civil-status officer examines it, the chairman signs (the modeler's lint wants each in its lane).
DECISION_CHECKPOINTS = (
    Checkpoint("reception_check", "reception", "Kiểm tra, tiếp nhận hồ sơ"),
    Checkpoint("officer_examine", "officer", "Công chức tư pháp – hộ tịch thẩm tra"),
    Checkpoint("chairman_sign", "chairman", "Lãnh đạo UBND ký"),
)


@dataclass(frozen=True)
class DocumentSource:
    """What a document context builder reads: the dossier, the process data, the moment, the shared header."""

    dossier: Dossier
    data: dict[str, Any]
    now: datetime
    header: dict[
        str, Any
    ]  # issuer, issued_on, dossier_code, procedure_name, requester, signer, receiver_name
    # (dotted path in the submission form, code) -> the choice's Vietnamese label ("x-enum-labels")
    choice_label: Callable[[str, Any], str] = lambda path, code: str(code or "")

    @property
    def form(self) -> dict[str, Any]:
        return dict(self.data.get("dossier") or {})

    @property
    def lookups(self) -> dict[str, Any]:
        return dict(self.data.get("lookups") or {})


ContextBuilder = Callable[[DocumentSource], dict[str, Any]]
# the dossiers registered in a period -> this procedure's section of the Ministry report (domain.md §9.2)
SectorStatistics = Callable[[list["Dossier"]], dict[str, Any]]


@dataclass(frozen=True)
class Figure:
    """One figure of a procedure's section of the Ministry report, in the order the report prints it."""

    key: str  # its path inside the section: "male", "age_groups.under_1"
    heading: str  # the report's column heading under the procedure's name: "Nam"
    label: str  # the figure named on its own (a drill-down's title): "Khai sinh — nam"


@dataclass(frozen=True)
class MinistryStatistics:
    """A procedure's section of the Ministry of Justice's civil-status statistics (domain.md §9.2): how it is
    computed over the dossiers registered in a period, and the figures the dashboard and the report print."""

    compute: SectorStatistics
    figures: tuple[Figure, ...]
    heading: str  # the column group's heading on the dashboard: "Khai sinh"

    def figure(self, key: str) -> Figure | None:
        return next((f for f in self.figures if f.key == key), None)


# (dossier data, draft?) -> the variants to issue: {"suffix", "copy", ["electronic", "draft", "original_for"]}
VariantPlan = Callable[[dict[str, Any], bool], list[dict[str, Any]]]


def draft_variant() -> dict[str, Any]:
    return {"suffix": "du_thao", "copy": None, "electronic": True, "draft": True}


def single_variant(data: dict[str, Any], draft: bool) -> list[dict[str, Any]]:
    """One document (or its electronic draft)."""
    return [draft_variant() if draft else {"suffix": "", "copy": None}]


@dataclass(frozen=True)
class DocumentKind:
    """A kind of document: its title, file name, context builder and how many are issued."""

    kind: str  # "birth_certificate": its template is <kind>.html (app/documents/templates, or `template`)
    title: str  # "Giấy khai sinh"
    file_name: str  # "giay_khai_sinh"
    build: ContextBuilder
    variants: VariantPlan = single_variant
    resolves: bool = False  # issuing it settles the dossier: the on-time outcome (QĐ 766) is measured
    # kinds issued (and signed) with this one, e.g. the marriage extract's copies with the certificate
    companions: tuple[str, ...] = ()
    # a context value the template could silently misprint -> ValueError before rendering
    check: Callable[[Mapping[str, Any]], None] | None = None
    template: Path | None = None  # the template file of a procedure kept outside the repository

    @property
    def copy_name(self) -> str:
        """What the law calls a copy of it: "Bản sao Giấy khai sinh", "Bản sao Trích lục khai tử"."""
        return f"Bản sao {self.title}"


@dataclass(frozen=True)
class RegisterRefusal:
    """Why an entry may not be made yet (message for the official, rule ids)."""

    message: str
    rules: list[str]


@dataclass(frozen=True)
class BookColumn:
    """A column of the printed register book, between the entry's number and date and its classification."""

    heading: str  # "Họ tên mẹ"
    key: str  # the summary's key; with `from_entry`, the entry's own ("registered_on")
    width: int  # per cent of the page's width
    # text; name (bold); date (dd/mm/yyyy, a bare year as it is); sex; moment (local date and time)
    format: str = "text"
    fallback: str | None = None  # the summary's key printed when `key` is empty ("birth_year")
    from_entry: bool = False


@dataclass(frozen=True)
class RegisterSpec:
    """The procedure's register book: its row (summary), its columns and classification box (domain.md
    §4.8.2 …), and who signs an entry."""

    classify: Callable[[dict[str, Any], bool], str]  # (process data, late?) -> classification code
    summary: Callable[[dict[str, Any]], dict[str, Any]]  # process data -> the printed row
    columns: tuple[BookColumn, ...] = ()  # how the book prints the summary
    guard: Callable[[dict[str, Any]], RegisterRefusal | None] | None = None  # checked before the entry
    personal_id_from_result: bool = False  # the row shows the personal id the registry assigned later
    # the parties who sign the entry as declarants (marriage: both, in person; LHT Art. 18(2))
    declarants: tuple[str, ...] = ("requester",)
    # this book's own classification boxes beside the shared ones (app/documents/formats.py): code -> label
    classifications: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class RegistryOperation:
    """An external population-registry operation (run as a job) and how its result is kept on the dossier."""

    call: RegistryCall
    apply: ResultApplier | None = None
    label: str = ""  # what the dossier's timeline calls it: "Cấp số định danh cá nhân"
    # (result key, its title): the value of the result the timeline shows, e.g. the personal id assigned
    shown_result: tuple[str, str] | None = None


@dataclass(frozen=True)
class Procedure:
    """Everything that differs between procedures; see README "Adding a procedure"."""

    key: str  # "birth": Dossier.procedure, register book kind
    process_key: str  # "birth_registration": BPMN process id, forms folder name
    title: str  # "Đăng ký khai sinh"
    name: str  # "đăng ký khai sinh" (inside a sentence)
    book_name: str  # "khai sinh": "Sổ đăng ký khai sinh", fee lines
    form_title: str  # "Tờ khai đăng ký khai sinh" (counter page)
    parties: Mapping[str, str]  # roles whose personal ids the registry lookup fetches -> their titles ("Mẹ")
    lookup: RegistryCall  # the registry/lookup_parties job
    evaluate: RuleEvaluator  # the KS-/KH-/KT- rules
    subject_key: Callable[[dict[str, Any]], str | None]  # the same child / deceased registered twice
    subject_name: Callable[[dict[str, Any]], str]  # who the dossier is about, for lists
    register: RegisterSpec
    fee: FeeRule
    limits: TimeLimits
    documents: tuple[DocumentKind, ...] = ()  # documents of this procedure (certificates, extracts)
    registry_operations: Mapping[str, RegistryOperation] = field(default_factory=lambda: MappingProxyType({}))
    # earlier completed registration (code, data) -> the record the duplicate rules compare with
    # human steps the law requires before the register entry (app/engine/lint.py refuses a diagram without
    # them on every path): task id and lane role
    checkpoints: tuple[Checkpoint, ...] = ()
    existing_record: Callable[[str, dict[str, Any]], dict[str, Any]] | None = None
    # personal-id fields of the parties (marriage: bride, groom), indexed in dossier_party: with no single
    # subject, a register entry of a dossier naming one of them is an earlier registration (KH-04)
    party_id_paths: tuple[Path2, ...] = ()
    event_date_path: Path2 | None = None  # the birth / death whose registration may be late
    event_date_parser: Callable[[Any], date | None] = parse_date
    search_fields: tuple[Path2, ...] = ()  # names the inbox search finds
    subject_block: str | None = None  # the block task summaries name without its title ("child")
    future_date_fields: tuple[Path2, ...] = ()  # dates that cannot lie after the day of submission
    attachment_kinds: tuple[str, ...] | None = None  # allowed forms/common attachment kinds; None = all
    process_dir: Path | None = None  # default processes/<process_key>/ of the repository
    forms_dir: Path | None = None  # default <forms root>/<process_key>/ (forms/, or $HOTICH_FORMS_DIR)
    # the modeler's test-run: a typical dossier ({"channel", "data"}) for a day, built on the demo registry
    # persons, and what each form submits unless the analyst picks another decision
    sample: Callable[[date], dict[str, Any]] | None = None
    sample_forms: Mapping[str, dict[str, Any]] = field(default_factory=lambda: MappingProxyType({}))
    statistics: MinistryStatistics | None = None  # its section of the Ministry report; None = none

    @property
    def process_folder(self) -> Path:
        return self.process_dir or REPO_ROOT / "processes" / self.process_key

    @property
    def bpmn_path(self) -> Path:
        return self.process_folder / f"{self.process_key}.bpmn"

    def event_date(self, data: dict[str, Any]) -> date | None:
        """The date of the registered event (birth, death), None when the procedure has none."""
        if self.event_date_path is None:
            return None
        block = data.get(self.event_date_path[0])
        return self.event_date_parser(
            (block or {}).get(self.event_date_path[1]) if isinstance(block, dict) else None
        )

    def party_ids(self, data: dict[str, Any]) -> list[str]:
        """The personal ids in the party fields (marriage: bride and groom), sorted; ids longer than 64
        characters cannot be valid and are left out."""
        ids = set()
        for name, key in self.party_id_paths:
            block = data.get(name)
            value = block.get(key) if isinstance(block, dict) else None
            if isinstance(value, str) and value and len(value) <= 64:
                ids.add(value)
        return sorted(ids)

    def registry_call(self, operation: str) -> RegistryCall | None:
        """The external call behind a registry/… service task, None when this procedure has no such call."""
        if operation == LOOKUP_OPERATION:
            return self.lookup
        found = self.registry_operations.get(operation)
        return found.call if found else None

    def document(self, kind: str) -> DocumentKind | None:
        return next((d for d in self.documents if d.kind == kind), None)


def sample_forms(**extra: dict[str, Any]) -> Mapping[str, dict[str, Any]]:
    """What the test-run submits on each form unless the analyst chose another decision."""
    forms: dict[str, dict[str, Any]] = {
        "reception_check": {"decision": "accept"},
        "officer_examine": {"decision": "approve"},
        "register_sign": {"mode": "in_person", "officer_signed": True},
        "chairman_sign": {"decision": "sign", "signer_title": "chu_tich"},
        "return_result": {"delivered_via": "counter"},
    }
    forms.update(extra)
    return MappingProxyType(forms)
