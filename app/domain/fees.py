"""Civil-status fees (lệ phí hộ tịch) and copy fees, with the exemptions of Luật Hộ tịch Art. 11."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

# Luật Hộ tịch Art. 11(1): exempt categories, valid for any registration.
EXEMPTIONS: dict[str, str] = {
    "merit_family": "Người thuộc gia đình có công với cách mạng",
    "poor_household": "Người thuộc hộ nghèo",
    "disability": "Người khuyết tật",
}


@dataclass(frozen=True)
class FeeRule:
    """How a procedure's registration fee is charged (its record's `fee`).

    `schedule_key` names the provincial amount in the schedule (configured as HOTICH_FEE_<KEY>; None: no
    fee). With `late_only` the fee is due only for a late registration (Luật Hộ tịch Art. 11(1)(a): on-time
    birth and death are free); otherwise it is always due and a zero amount is recorded as waived for
    `free_reason`.
    """

    name: str  # "khai sinh": "Lệ phí đăng ký khai sinh"
    schedule_key: str | None  # "late_birth": FeeSchedule.amounts["late_birth"]
    late_only: bool = True
    free_reason: str = "on_time"
    copy_name: str = "bản sao trích lục"  # what a copy is called: "bản sao Giấy khai sinh" (fee lines)


@dataclass(frozen=True)
class FeeResult:
    """Amount due in VND, why the registration fee is waived (if it is), and the itemised lines."""

    amount: int
    exempt_reason: str | None
    lines: list[tuple[str, int]] = field(default_factory=list)


@dataclass(frozen=True)
class FeeSchedule:
    """Amounts in VND set by the provincial People's Council (TT 85/2019/TT-BTC); configure per province.

    `amounts` holds each procedure's registration fee by its FeeRule.schedule_key ("late_birth"); a key that
    is not set costs 0: the late-registration amounts for Hà Nội are unverified (domain.md §12.5), and
    domestic marriage is exempt (Luật Hộ tịch Art. 11(1)(b)).
    """

    province_code: str = "01"
    amounts: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    copy: int = 8_000  # TT 281/2016/TT-BTC: per copy of an extract.

    def amount(self, key: str | None) -> int:
        """The amount in VND set for a fee key (0 when none is set, or for no key)."""
        return int(self.amounts.get(key, 0)) if key else 0

    def compute_fee(
        self, procedure: str | FeeRule, *, late: bool, copies: int, exemption: str | None
    ) -> FeeResult:
        """Fee for one registration plus `copies` extra copies (`procedure`: a FeeRule or a procedure key).

        Copies are always charged: the Art. 11 exemptions cover the registration fee (lệ phí), while the
        copy fee is a separate charge under TT 281/2016.
        """
        rule = fee_rule_of(procedure)
        if exemption is not None and exemption not in EXEMPTIONS:
            raise ValueError(f"unknown exemption: {exemption!r}")
        if copies < 0:
            raise ValueError("copies must be >= 0")
        lines: list[tuple[str, int]] = []
        exempt_reason: str | None
        base = self.amount(rule.schedule_key)
        if exemption is not None:
            exempt_reason = exemption
        elif not rule.late_only:
            exempt_reason = rule.free_reason if base == 0 else None
        elif not late:
            exempt_reason = rule.free_reason
        else:
            exempt_reason = None
        if exempt_reason is None:
            label = f"Lệ phí đăng ký {rule.name}" + (" quá hạn" if late and rule.late_only else "")
            lines.append((label, base))
        if copies:
            lines.append((f"Phí cấp {rule.copy_name} ({copies} bản)", copies * self.copy))
        return FeeResult(sum(amount for _, amount in lines), exempt_reason, lines)


DEFAULT_FEE_SCHEDULE = FeeSchedule()

# Luật Hộ tịch Art. 11(1)(b): why the registration fee itself is waived (FeeRule.free_reason)
FREE_REASONS: dict[str, str] = {
    "on_time": "đăng ký {name} đúng hạn",
    "domestic_marriage": "đăng ký kết hôn của công dân Việt Nam cư trú ở trong nước",
}


def exemption_label(reason: str, rule: FeeRule) -> str:
    """The Vietnamese reason a slip prints: "đăng ký khai sinh đúng hạn", "Người thuộc hộ nghèo"."""
    if reason in EXEMPTIONS:
        return EXEMPTIONS[reason]
    return FREE_REASONS.get(reason, reason).format(name=rule.name)


def fee_rule_of(procedure: str | FeeRule) -> FeeRule:
    """The rule itself, or that of a procedure key (looked up in app.procedures); ValueError if unknown."""
    if isinstance(procedure, FeeRule):
        return procedure
    from app.procedures import get

    return get(procedure).fee


def compute_fee(
    procedure: str | FeeRule,
    *,
    late: bool,
    copies: int,
    exemption: str | None,
    schedule: FeeSchedule = DEFAULT_FEE_SCHEDULE,
) -> FeeResult:
    """Fee for a registration under `schedule` (see FeeSchedule.compute_fee)."""
    return schedule.compute_fee(procedure, late=late, copies=copies, exemption=exemption)
