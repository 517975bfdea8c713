"""Format checking for form fields: jsonschema's stdlib formats plus ``date-time`` and ``phone``."""

from __future__ import annotations

import re
from datetime import datetime

from jsonschema import FormatChecker

# jsonschema checks "date-time" only when rfc3339-validator is installed; api.md requires an offset.
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})", re.ASCII)
# Vietnamese numbers: 0 or +84, then 9 (mobile) or 10 (landline) digits; spaces, dots and hyphens ignored.
_PHONE = re.compile(r"(\+84|0)[0-9]{9,10}", re.ASCII)
_PHONE_SEPARATORS = re.compile(r"[ .\-]")


def is_date_time(instance: object) -> bool:
    """True for an ISO 8601 date-time with an explicit offset (non-strings are left to "type")."""
    if not isinstance(instance, str):
        return True
    if not _DATE_TIME.fullmatch(instance):
        return False
    datetime.fromisoformat(instance)  # ValueError on impossible dates such as 2025-02-30
    return True


def is_phone(instance: object) -> bool:
    """True for a Vietnamese phone number (non-strings are left to "type")."""
    if not isinstance(instance, str):
        return True
    return bool(_PHONE.fullmatch(_PHONE_SEPARATORS.sub("", instance)))


def build_format_checker() -> FormatChecker:
    """A FormatChecker with every stdlib format (``date`` included) plus ``date-time`` and ``phone``."""
    checker = FormatChecker()
    checker.checks("date-time", raises=ValueError)(is_date_time)
    checker.checks("phone")(is_phone)
    return checker
