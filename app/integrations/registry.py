"""Population registry clients: the embedded stand-in (own tables) and an HTTP client for a real endpoint.

Both are called only by the job runner, outside any dossier transaction; results come back as recorded
commands. Writes carry an idempotency key (the dossier code), so a retried call never creates a second person.
"""

from __future__ import annotations

import secrets
from datetime import date
from typing import Any, Protocol

import requests
from requests.adapters import HTTPAdapter
from sqlalchemy import select
from urllib3.util.retry import Retry

from app.domain.personal_id import generate as generate_personal_id
from app.models import Person, db
from app.services.transaction import write


class RegistryUnavailable(RuntimeError):
    """The registry could not be reached or answered with a server error; the job will be retried."""


class RegistryMalformed(RegistryUnavailable):
    """The registry answered, but not with what its interface promises (not JSON, not an object, a field
    missing): a fault of the other side like an outage, so it is retried too."""


class RegistryRejected(ValueError):
    """The registry refused the request (a 4xx: bad data, unknown person, not allowed); retrying will not
    help, so the job becomes an incident at once, with this reason."""

    def __init__(self, reason: str, status: int | None = None) -> None:
        super().__init__(reason)
        self.reason, self.status = reason, status


UNKNOWN_PERSON = "Không có người này trong CSDL quốc gia về dân cư."
# 4xx answers that mean "not now" rather than "no": retried like an outage
RETRYABLE_CLIENT_STATUSES = frozenset({408, 409, 423, 425, 429})


class RegistryClient(Protocol):
    def lookup(self, personal_id: str) -> dict[str, Any] | None: ...
    def create_person(self, record: dict[str, Any], idempotency_key: str) -> str: ...
    def record_marriage(self, a: str, b: str, on: str, idempotency_key: str) -> None: ...
    def record_death(self, personal_id: str, died_on: str, idempotency_key: str) -> None: ...
    # compensating calls: a registration refused at the chairman's signature is undone, nothing deleted
    def revoke_person(self, personal_id: str, idempotency_key: str) -> None: ...
    def revoke_marriage(self, a: str, b: str, restore: dict[str, str], idempotency_key: str) -> None: ...
    def revoke_death(self, personal_id: str, idempotency_key: str) -> None: ...


PERSON_FIELDS = (
    "personal_id",
    "full_name",
    "birth_date",
    "sex",
    "ethnicity",
    "nationality",
    "residence_commune_code",
    "marital_status",
    "spouse_personal_id",
    "mother_personal_id",
    "father_personal_id",
    "former_spouse_personal_ids",
    "adoptive_mother_personal_id",
    "adoptive_father_personal_id",
    "legal_capacity",
    "deceased_on",
    "civil_status_locked",
)
LEGAL_CAPACITIES = ("full", "lost", "limited")


def normalized_record(data: dict[str, Any]) -> dict[str, Any]:
    """A record as any registry sends it, with the family-link fields of spec/api.md always present.

    A remote registry that omits them reads as "no former spouse, no adoptive parent, full capacity";
    malformed values are dropped rather than trusted (a list of 12-character ids, one of LEGAL_CAPACITIES).
    """
    out = dict(data)
    former = out.get("former_spouse_personal_ids")
    out["former_spouse_personal_ids"] = (
        [str(p) for p in former if isinstance(p, str) and p] if isinstance(former, list) else []
    )
    for name in ("adoptive_mother_personal_id", "adoptive_father_personal_id"):
        out[name] = out.get(name) if isinstance(out.get(name), str) and out.get(name) else None
    if out.get("legal_capacity") not in LEGAL_CAPACITIES:
        out["legal_capacity"] = "full"
    return out


def person_to_dict(p: Person) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in PERSON_FIELDS:
        value = getattr(p, name)
        out[name] = value.isoformat() if isinstance(value, date) else value
    return normalized_record(out)


HANOI_PROVINCE_CODE = "001"


class EmbeddedRegistry:
    """The stand-in of the national database, in this application's own tables."""

    def lookup(self, personal_id: str) -> dict[str, Any] | None:
        person = db.session.get(Person, personal_id)
        return person_to_dict(person) if person else None

    def children_of(self, parent_id: str) -> list[dict[str, Any]]:
        """Persons recorded with this parent (mother or father): an existing birth registration (KS-10)."""
        rows = db.session.scalars(
            select(Person)
            .where((Person.mother_personal_id == parent_id) | (Person.father_personal_id == parent_id))
            .order_by(Person.personal_id)
            .limit(100)
        )
        return [person_to_dict(p) for p in rows]

    # each registry write is its own transaction through the one write path (it stands for a remote call)
    def create_person(self, record: dict[str, Any], idempotency_key: str) -> str:
        def create() -> str:
            existing = db.session.scalars(select(Person).where(Person.source_ref == idempotency_key)).first()
            if existing is not None:
                return existing.personal_id
            return new_person(record, source_ref=idempotency_key).personal_id

        return write(create)

    def record_marriage(self, a: str, b: str, on: str, idempotency_key: str) -> None:
        def record() -> None:
            pa, pb = db.session.get(Person, a), db.session.get(Person, b)
            if pa is None or pb is None:
                raise RegistryRejected(UNKNOWN_PERSON)
            for p, other in ((pa, b), (pb, a)):
                # a widowed or divorced party's earlier spouse stays on record ("đã từng", HN&GĐ Art. 5(2)(d))
                earlier = p.spouse_personal_id
                if earlier and earlier != other and earlier not in (p.former_spouse_personal_ids or []):
                    p.former_spouse_personal_ids = [*(p.former_spouse_personal_ids or []), earlier]
                p.marital_status, p.spouse_personal_id = "married", other

        write(record)

    def record_death(self, personal_id: str, died_on: str, idempotency_key: str) -> None:
        def record() -> None:
            person = db.session.get(Person, personal_id)
            if person is None:
                raise RegistryRejected(UNKNOWN_PERSON)
            person.deceased_on = date.fromisoformat(died_on[:10])
            person.civil_status_locked = True
            if person.spouse_personal_id:
                spouse = db.session.get(Person, person.spouse_personal_id)
                if spouse is not None and spouse.deceased_on is None:
                    spouse.marital_status = "widowed"

        write(record)

    def revoke_person(self, personal_id: str, idempotency_key: str) -> None:
        """A birth registration refused after the entry: the person created stays, locked (never deleted)."""

        def revoke() -> None:
            person = db.session.get(Person, personal_id)
            if person is None:
                raise RegistryRejected(UNKNOWN_PERSON)
            person.civil_status_locked = True

        write(revoke)

    def revoke_marriage(self, a: str, b: str, restore: dict[str, str], idempotency_key: str) -> None:
        """Undo a recorded marriage: each party back to the status it had before (`restore`)."""

        def revoke() -> None:
            for pid, other in ((a, b), (b, a)):
                person = db.session.get(Person, pid)
                if person is not None and person.spouse_personal_id == other:
                    person.marital_status = restore.get(pid) or "single"
                    person.spouse_personal_id = None

        write(revoke)

    def revoke_death(self, personal_id: str, idempotency_key: str) -> None:
        """Undo a recorded death: the person alive and unlocked again, a widowed spouse married again."""

        def revoke() -> None:
            person = db.session.get(Person, personal_id)
            if person is None:
                raise RegistryRejected(UNKNOWN_PERSON)
            person.deceased_on = None
            person.civil_status_locked = False
            if person.spouse_personal_id:
                spouse = db.session.get(Person, person.spouse_personal_id)
                if spouse is not None and spouse.marital_status == "widowed":
                    spouse.marital_status = "married"

        write(revoke)


def new_person(record: dict[str, Any], source_ref: str | None = None) -> Person:
    """Add a person to the embedded registry (generating a valid 12-digit id when none is given)."""
    birth_date = date.fromisoformat(str(record["birth_date"]))
    pid = record.get("personal_id")
    while not pid:
        candidate = generate_personal_id(
            HANOI_PROVINCE_CODE, record["sex"], birth_date.year, secrets.randbelow(1_000_000)
        )
        if db.session.get(Person, candidate) is None:
            pid = candidate
    person = Person(
        personal_id=pid,
        full_name=record["full_name"],
        birth_date=birth_date,
        sex=record["sex"],
        ethnicity=record.get("ethnicity") or "Kinh",
        nationality=record.get("nationality") or "Việt Nam",
        residence_commune_code=record.get("residence_commune_code"),
        marital_status=record.get("marital_status") or "single",
        spouse_personal_id=record.get("spouse_personal_id"),
        mother_personal_id=record.get("mother_personal_id"),
        father_personal_id=record.get("father_personal_id"),
        former_spouse_personal_ids=list(record.get("former_spouse_personal_ids") or []),
        adoptive_mother_personal_id=record.get("adoptive_mother_personal_id"),
        adoptive_father_personal_id=record.get("adoptive_father_personal_id"),
        legal_capacity=record.get("legal_capacity") or "full",
        deceased_on=date.fromisoformat(record["deceased_on"]) if record.get("deceased_on") else None,
        source_ref=source_ref,
    )
    db.session.add(person)
    db.session.flush()
    return person


class HttpRegistry:
    """Client of a real population-registry endpoint (base URL, timeout, retries with backoff)."""

    def __init__(
        self, base_url: str, *, token: str | None = None, timeout: float = 5.0, retries: int = 2
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        retry = Retry(
            total=retries,
            backoff_factor=0.2,
            status_forcelist=(502, 503, 504),
            allowed_methods=frozenset({"GET", "POST"}),
        )
        self.session.mount("http://", HTTPAdapter(max_retries=retry))
        self.session.mount("https://", HTTPAdapter(max_retries=retry))
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def _call(self, method: str, path: str, key: str | None = None, **kwargs: Any) -> requests.Response:
        headers = {"Idempotency-Key": key} if key else {}
        try:
            resp = self.session.request(
                method, self.base_url + path, timeout=self.timeout, headers=headers, **kwargs
            )
        except requests.RequestException as exc:
            raise RegistryUnavailable(str(exc)) from exc
        if resp.status_code >= 500 or resp.status_code in RETRYABLE_CLIENT_STATUSES:
            raise RegistryUnavailable(f"registry answered {resp.status_code}")
        return resp

    @staticmethod
    def _json(resp: requests.Response) -> Any:
        try:
            return resp.json()
        except ValueError as exc:
            raise RegistryMalformed(
                f"registry answered {resp.status_code} with a body that is not JSON"
            ) from exc

    @staticmethod
    def _refusal(resp: requests.Response) -> RegistryRejected:
        """A 4xx as a rejection, with the registry's own reason when it gives one."""
        reason = ""
        try:
            body = resp.json()
        except ValueError:
            body = None
        if isinstance(body, dict):
            error = body.get("error")
            found = error.get("message") if isinstance(error, dict) else error or body.get("message")
            reason = str(found or "")
        reason = reason or resp.text
        return RegistryRejected(
            f"registry answered {resp.status_code}: {reason[:300]}".rstrip(": "), resp.status_code
        )

    def _expect(self, resp: requests.Response, ok: tuple[int, ...]) -> None:
        if resp.status_code not in ok:
            raise (
                self._refusal(resp)
                if 400 <= resp.status_code < 500
                else RegistryMalformed(f"registry answered an unexpected {resp.status_code}")
            )

    def lookup(self, personal_id: str) -> dict[str, Any] | None:
        resp = self._call("GET", f"/persons/{personal_id}")
        if resp.status_code == 404:
            return None
        self._expect(resp, (200,))
        data = self._json(resp)
        if not isinstance(data, dict) or not isinstance(data.get("personal_id"), str):
            raise RegistryMalformed("registry answered a record that is not a person")
        return normalized_record(data)

    def children_of(self, parent_id: str) -> list[dict[str, Any]]:
        """GET /persons?parent_personal_id=…: the persons recorded with this parent (KS-10)."""
        resp = self._call("GET", "/persons", params={"parent_personal_id": parent_id})
        if resp.status_code in (404, 405, 501):  # no such search there: KS-10 falls back to dossiers
            return []
        self._expect(resp, (200,))
        data = self._json(resp)
        items = data.get("items") if isinstance(data, dict) else data
        if not isinstance(items, list | None):
            raise RegistryMalformed("registry answered a search result that is not a list")
        return [normalized_record(r) for r in items or [] if isinstance(r, dict)]

    def create_person(self, record: dict[str, Any], idempotency_key: str) -> str:
        resp = self._call("POST", "/persons", idempotency_key, json=record)
        self._expect(resp, (200, 201))
        data = self._json(resp)
        pid = data.get("personal_id") if isinstance(data, dict) else None
        if not isinstance(pid, str) or not (len(pid) == 12 and pid.isdigit()):
            raise RegistryMalformed("registry answered no valid personal id for the new person")
        return pid

    def record_marriage(self, a: str, b: str, on: str, idempotency_key: str) -> None:
        resp = self._call("POST", "/marriages", idempotency_key, json={"a": a, "b": b, "date": on})
        self._expect(resp, (200, 201, 204))

    def record_death(self, personal_id: str, died_on: str, idempotency_key: str) -> None:
        resp = self._call(
            "POST", f"/persons/{personal_id}/death", idempotency_key, json={"deceased_on": died_on}
        )
        self._expect(resp, (200, 201, 204))

    def revoke_person(self, personal_id: str, idempotency_key: str) -> None:
        self._post_ok(f"/persons/{personal_id}/revocation", idempotency_key, {})

    def revoke_marriage(self, a: str, b: str, restore: dict[str, str], idempotency_key: str) -> None:
        self._post_ok("/marriages/revocation", idempotency_key, {"a": a, "b": b, "restore": restore})

    def revoke_death(self, personal_id: str, idempotency_key: str) -> None:
        self._post_ok(f"/persons/{personal_id}/death/revocation", idempotency_key, {})

    def _post_ok(self, path: str, idempotency_key: str, body: dict[str, Any]) -> None:
        resp = self._call("POST", path, idempotency_key, json=body)
        self._expect(resp, (200, 201, 204))
