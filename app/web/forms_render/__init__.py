"""One generic form renderer: walk a form's JSON Schema + "x-ui" into fields, read a posted form back.

The page shows what the schema says (titles, descriptions, enums with "x-enum-labels", widgets, order,
visible_if, suggestions), so an analyst who adds a field to forms/<procedure>/<form>.json sees it rendered
without code changes. Dates are typed as dd/mm/yyyy and converted to YYYY-MM-DD here; what was typed is kept
as it was, so a rejected submission re-renders exactly what the person entered.

    spec.py         the fields, blocks and submission the renderer produces
    schema_tree.py  a form's schema as one tree (app.forms.tree resolves its "$ref"s)
    building.py     schema + x-ui -> FormSpec (labels, widgets, options, order, blocks)
    values.py       values at dotted paths: initial values, prefill, visible_if
    dates.py        dd/mm/yyyy <-> ISO dates and Hà Nội date-times
    submission.py   a posted form -> JSON data + what was typed + conversion errors
    display.py      service errors at their fields; stored data shown read-only
"""

from app.web.forms_render.building import build_form, help_for_people
from app.web.forms_render.dates import format_date, format_datetime, parse_date, parse_datetime
from app.web.forms_render.display import ReadGroup, ReadRow, display_value, place_errors, read_only
from app.web.forms_render.spec import OTHER_SUFFIX, Field, FormSpec, Group, Raw, Submission, field_id
from app.web.forms_render.submission import read_submission
from app.web.forms_render.values import (
    get_path,
    initial_values,
    resolve_prefill,
    set_path,
    to_raw,
    visibility,
    visible,
)

__all__ = [
    "OTHER_SUFFIX",
    "Field",
    "FormSpec",
    "Group",
    "Raw",
    "ReadGroup",
    "ReadRow",
    "Submission",
    "build_form",
    "display_value",
    "field_id",
    "format_date",
    "format_datetime",
    "get_path",
    "help_for_people",
    "initial_values",
    "parse_date",
    "parse_datetime",
    "place_errors",
    "read_only",
    "read_submission",
    "resolve_prefill",
    "set_path",
    "to_raw",
    "visibility",
    "visible",
]
