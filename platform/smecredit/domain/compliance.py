"""Compliance checks of the platform's own operation, as the domain knows them.

A check (:class:`ComplianceCheck`) has a stable ``code``, a zh/en title, a ``weight`` and
a ``method`` (how it decides, one sentence; ``docs/compliance.md`` shows the catalogue).
Its outcome (:class:`CheckOutcome`) is a :class:`CheckStatus`, a message and evidence (the
ids of the offending rows, at most :data:`MAX_EVIDENCE`). The score of an outcome is
:data:`STATUS_SCORES` of its status; the overall score of a run (:func:`overall_score`) is
the weighted mean of the scored outcomes, ``not_applicable`` excluded, 0 to 100.

Pure: no I/O.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

__all__ = [
    "MAX_EVIDENCE",
    "STATUS_SCORES",
    "CheckOutcome",
    "CheckStatus",
    "ComplianceCheck",
    "overall_score",
    "psi_status",
    "worst",
]

#: How many offending ids an outcome keeps as evidence (the count is in the message).
MAX_EVIDENCE = 50


class CheckStatus(enum.Enum):
    """How a check ended (the GraphQL enum ``ComplianceStatus`` has these names)."""

    PASS = "pass"
    WARNING = "warning"
    FAIL = "fail"
    NOT_APPLICABLE = "not_applicable"
    ERROR = "error"


#: Status -> score 0..100. ``not_applicable`` has none (left out of the overall score);
#: ``error`` (the check could not run) scores as a fail: what cannot be shown is not met.
STATUS_SCORES: Mapping[CheckStatus, float | None] = MappingProxyType(
    {
        CheckStatus.PASS: 100.0,
        CheckStatus.WARNING: 50.0,
        CheckStatus.FAIL: 0.0,
        CheckStatus.ERROR: 0.0,
        CheckStatus.NOT_APPLICABLE: None,
    }
)

_SEVERITY = (
    CheckStatus.NOT_APPLICABLE,
    CheckStatus.PASS,
    CheckStatus.WARNING,
    CheckStatus.ERROR,
    CheckStatus.FAIL,
)


@dataclass(frozen=True, slots=True)
class ComplianceCheck:
    """One rule of the catalogue.

    Attributes:
        code: stable snake_case code (``pricing_within_product``).
        title_zh: the title in Chinese.
        title_en: the title in English.
        weight: its weight in the overall score (> 0).
        method: how it decides, for people (``docs/compliance.md``).
        group: the module of ``services/compliance`` that runs it.
    """

    code: str
    title_zh: str
    title_en: str
    weight: float
    method: str
    group: str

    def __post_init__(self) -> None:
        if not self.weight > 0:
            raise ValueError(f"check {self.code}: weight must be positive, got {self.weight}")


@dataclass(frozen=True, slots=True)
class CheckOutcome:
    """What one check found.

    Attributes:
        status: pass, warning, fail, not_applicable or error.
        message: one line for people (counts, the bound).
        evidence: ids of the offending rows, as ``Kind:id`` text, at most
            :data:`MAX_EVIDENCE`.
        total: how many offending rows there were (evidence may be cut).
    """

    status: CheckStatus
    message: str
    evidence: tuple[str, ...] = field(default=())
    total: int = 0

    @classmethod
    def of(cls, status: CheckStatus, message: str, offending: Iterable[str] = ()) -> CheckOutcome:
        """An outcome keeping the first :data:`MAX_EVIDENCE` offending ids and their count."""
        ids = list(offending)
        return cls(status, message, tuple(ids[:MAX_EVIDENCE]), len(ids))

    @property
    def score(self) -> float | None:
        """The status's score (None: not applicable)."""
        return STATUS_SCORES[self.status]


def overall_score(results: Sequence[tuple[float, CheckStatus]]) -> float | None:
    """The weighted mean score of ``(weight, status)`` pairs, 0 to 100.

    ``not_applicable`` results are left out (their weight too); None when nothing is left.
    """
    total_weight = 0.0
    total = 0.0
    for weight, status in results:
        score = STATUS_SCORES[status]
        if score is None:
            continue
        total_weight += weight
        total += weight * score
    if total_weight <= 0:
        return None
    return round(min(100.0, max(0.0, total / total_weight)), 2)


def worst(statuses: Iterable[CheckStatus]) -> CheckStatus:
    """The most severe of ``statuses`` (fail > error > warning > pass > not_applicable)."""
    return max(statuses, key=_SEVERITY.index, default=CheckStatus.NOT_APPLICABLE)


def psi_status(value: float) -> CheckStatus:
    """A model's PSI against its band: < 0.1 pass, 0.1-0.25 warning, above fail."""
    if value < 0.1:
        return CheckStatus.PASS
    if value <= 0.25:
        return CheckStatus.WARNING
    return CheckStatus.FAIL
