"""What every compliance check is given, and the shape of a check function."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from smecredit.domain.compliance import CheckOutcome, ComplianceCheck

__all__ = ["CheckContext", "CheckFn", "Entry"]


@dataclass(frozen=True, slots=True)
class CheckContext:
    """The moment and the configuration a run checks against.

    Attributes:
        settings: the platform settings (capital, key age, schedules, MFA roles).
        now: the run's time (UTC); a check judges ages and windows against it.
    """

    settings: Any
    now: dt.datetime

    @property
    def today(self) -> dt.date:
        """The run's date (UTC)."""
        return self.now.date()


#: A check: reads the database, answers its outcome.
CheckFn = Callable[[CheckContext], Awaitable[CheckOutcome]]
#: A catalogue row: the check and the function that runs it.
Entry = tuple[ComplianceCheck, CheckFn]
