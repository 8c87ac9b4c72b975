"""Four eyes (separation of duties) as data: who may not take a step after whom.

Each :class:`FourEyesRule` says: the person taking ``step`` must not be the ``party`` of
the same object (its maker, whoever disbursed it, the model's trainer, whoever requested
the change). The services collect the parties of an object and call :func:`enforce`; a
breach raises :class:`FourEyesViolation` (code ``FOUR_EYES``) with a message naming the
rule. The table is :data:`DEFAULT_RULES`; ``docs/four-eyes.md`` shows it
(:func:`markdown_table`, tested against the table).

Steps are the operation names of :mod:`smecredit.security.operations`
(``application.approve``), plus ``<operation>.second_approval`` for the approval of a
pending request that needs a second person (a write-off, an upgrading classification
override).

Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from smecredit.domain.errors import Forbidden

__all__ = [
    "DEFAULT_RULES",
    "SECOND_APPROVAL_STEPS",
    "FourEyesRule",
    "FourEyesViolation",
    "enforce",
    "markdown_table",
    "rules_for",
    "second_approval_step",
    "violations",
]


class FourEyesViolation(Forbidden):
    """The same person would take two steps that must be taken by different people."""

    code = "FOUR_EYES"


@dataclass(frozen=True, slots=True)
class FourEyesRule:
    """One rule: the actor of ``step`` must not be the ``party`` of the object.

    Attributes:
        name: stable identifier (shown in refusals and the docs).
        step: the operation taken (``loan.disburse``), or ``<operation>.second_approval``.
        party: who must be someone else (``maker``, ``disburser``, ``trainer``, ``requester``).
        text: the rule in one sentence, as a refusal quotes it.
    """

    name: str
    step: str
    party: str
    text: str


def second_approval_step(operation: str) -> str:
    """The step name of approving a pending request for ``operation``."""
    return f"{operation}.second_approval"


#: Operations that are only ever carried out as a pending request approved by a second
#: person (a classification override only when it is better than days past due imply).
SECOND_APPROVAL_STEPS: frozenset[str] = frozenset(
    {"loan.write_off", "loan.override_classification"}
)

#: The platform's rules (see ``docs/four-eyes.md``).
DEFAULT_RULES: tuple[FourEyesRule, ...] = (
    FourEyesRule(
        "maker-approves",
        "application.approve",
        "maker",
        "the maker of an application may not approve it",
    ),
    FourEyesRule(
        "maker-grades",
        "application.override_grade",
        "maker",
        "the maker of an application may not change its risk grade",
    ),
    FourEyesRule(
        "maker-grants-exception",
        "policy_exception.grant",
        "maker",
        "the maker of an application may not grant an exception to a policy rule it fails",
    ),
    FourEyesRule(
        "maker-disburses",
        "loan.disburse",
        "maker",
        "the maker of an application may not disburse it",
    ),
    FourEyesRule(
        "maker-confirms",
        "loan.confirm_disbursement",
        "maker",
        "the maker of an application may not confirm its disbursement",
    ),
    FourEyesRule(
        "disburser-confirms",
        "loan.confirm_disbursement",
        "disburser",
        "whoever disbursed a loan may not also confirm the disbursement",
    ),
    FourEyesRule(
        "trainer-promotes",
        "model.promote",
        "trainer",
        "whoever trained a model version may not promote it",
    ),
    FourEyesRule(
        "requester-approves-write-off",
        second_approval_step("loan.write_off"),
        "requester",
        "a write-off needs a second approver: whoever requested it may not approve it",
    ),
    FourEyesRule(
        "requester-approves-upgrade",
        second_approval_step("loan.override_classification"),
        "requester",
        "a classification better than days past due imply needs a second approver: "
        "whoever requested it may not approve it",
    ),
)


def rules_for(step: str, rules: Iterable[FourEyesRule] = DEFAULT_RULES) -> list[FourEyesRule]:
    """The rules that apply to ``step``, in table order."""
    return [r for r in rules if r.step == step]


def violations(
    step: str,
    actor: str,
    parties: Mapping[str, str | None],
    rules: Iterable[FourEyesRule] = DEFAULT_RULES,
) -> list[FourEyesRule]:
    """The rules ``actor`` would break by taking ``step`` (empty: allowed).

    Args:
        step: the step about to be taken.
        actor: who takes it.
        parties: party name -> who that is for this object (None: nobody, e.g. not
            disbursed yet). A party the table names but ``parties`` lacks counts as None.
        rules: the table.
    """
    return [r for r in rules_for(step, rules) if parties.get(r.party) == actor]


def enforce(
    step: str,
    actor: str,
    parties: Mapping[str, str | None],
    rules: Iterable[FourEyesRule] = DEFAULT_RULES,
) -> None:
    """Refuse ``step`` when ``actor`` would break a rule.

    Raises:
        FourEyesViolation: naming the first rule broken and the actor.
    """
    broken = violations(step, actor, parties, rules)
    if broken:
        rule = broken[0]
        raise FourEyesViolation(
            f"four eyes ({rule.name}): {rule.text}, and {actor} is its {rule.party}"
        )


def markdown_table(rules: Iterable[FourEyesRule] = DEFAULT_RULES) -> str:
    """The rules as the Markdown table of ``docs/four-eyes.md``."""
    lines = ["| rule | step | must be someone other than | rule in words |", "|---|---|---|---|"]
    lines += [f"| `{r.name}` | `{r.step}` | the {r.party} | {r.text} |" for r in rules]
    return "\n".join(lines) + "\n"
