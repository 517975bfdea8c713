"""Property-based tests (hypothesis) for the form schemas in forms/: validation never crashes on any JSON,
always answers in field paths with Vietnamese messages, and a valid submission stays valid under NFD input."""

from __future__ import annotations

import unicodedata
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.forms import FormRegistry, default_registry
from tests.forms.form_examples import sample

REGISTRY: FormRegistry = default_registry()
FORMS = sorted(
    (process, name)
    for process in ("birth_registration", "marriage_registration", "death_registration")
    for name in REGISTRY.form_names(process)
)
SETTINGS = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)


@SETTINGS
@given(st.sampled_from(FORMS), json_values)
def test_any_json_gets_field_messages_never_an_exception(form: tuple[str, str], data: Any) -> None:
    errors = REGISTRY.validate(*form, data)
    assert isinstance(errors, dict)
    for path, message in errors.items():
        assert isinstance(path, str) and isinstance(message, str) and message.strip()
    if not isinstance(data, dict):
        assert errors  # every form is an object


@SETTINGS
@given(st.sampled_from(["birth_registration", "marriage_registration", "death_registration"]), st.data())
def test_a_valid_submission_with_one_field_broken_names_that_field(process: str, draw: Any) -> None:
    data = sample(process)
    assert REGISTRY.validate(process, "submission", data) == {}
    blocks = [k for k, v in data.items() if isinstance(v, dict) and v]
    block = draw.draw(st.sampled_from(blocks))
    field = draw.draw(st.sampled_from(sorted(data[block])))
    broken = {**data, block: {**data[block], field: draw.draw(st.lists(st.integers(), max_size=2))}}
    errors = REGISTRY.validate(process, "submission", broken)
    assert any(path == f"{block}.{field}" or path.startswith(f"{block}.{field}.") for path in errors), errors


@SETTINGS
@given(st.sampled_from(["birth_registration", "marriage_registration", "death_registration"]))
def test_nfd_input_validates_like_nfc(process: str) -> None:
    data = sample(process)

    def nfd(value: Any) -> Any:
        if isinstance(value, str):
            return unicodedata.normalize("NFD", value)
        if isinstance(value, dict):
            return {k: nfd(v) for k, v in value.items()}
        if isinstance(value, list):
            return [nfd(v) for v in value]
        return value

    assert REGISTRY.validate(process, "submission", nfd(data)) == REGISTRY.validate(
        process, "submission", data
    )
