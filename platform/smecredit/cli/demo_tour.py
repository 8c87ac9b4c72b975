"""The short tour printed at the end of ``smecredit demo seed``: who to sign in as, what to try.

One stop per role, each naming the demo user (``fixtures/demo_users.json``) and two or
three things to try in GraphQL (``/graphql``) or on the command line. The tour only
describes what the seed made (see :mod:`smecredit.services.demo_story`); it reads nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["TOUR", "TourStop", "format_tour"]


@dataclass(frozen=True, slots=True)
class TourStop:
    """What one role can try.

    Attributes:
        role: the role shown.
        username: the demo user holding it.
        tries: things to try, one line each.
    """

    role: str
    username: str
    tries: tuple[str, ...]


#: The tour, in the order an application travels.
TOUR: tuple[TourStop, ...] = (
    TourStop(
        "loan officer 客户经理",
        "officer.hz",
        (
            "`products`: WC-EI 等额本息, WC-EP 等额本金, WC-IO 先息后本, TAX-EASY 税易贷",
            '`applications(filter: {state: "draft"})`: complete the draft and '
            "`submitApplication` it; the returned one waits for the documents the analyst "
            "asked for",
            "`warnings`: an acknowledged and an in-progress warning of HZ01; open the firm",
        ),
    ),
    TourStop(
        "risk analyst 风险分析师",
        "analyst",
        (
            "`approvalQueue`: a submitted and an appealed application wait for `startReview`",
            "`champion` and `models`: a CatBoost champion and a scorecard challenger",
            "`warningBacktest(horizonDays: 180)` or `smecredit warnings backtest`: precision, "
            "recall and lead time per rule, on scans replayed over the past year",
        ),
    ),
    TourStop(
        "approver 审批人",
        "approver.hz",
        (
            "`approvalQueue`: the application under review, with its score and grade",
            "`approveApplication` or `rejectApplication` it (a reason is required to reject)",
            "`requiredApprovals` says who must still approve; above the suggested limit "
            "`approveApplication` asks for an `overrideReason`, kept in `overrides`",
        ),
    ),
    TourStop(
        "credit committee 贷审会",
        "committee",
        (
            "`loans`: booked loans in 关注, 次级, 可疑 and 损失 after today's close of business",
            "the written-off loan and its reason in `auditLog`",
            "`requestWriteOff` a loss loan: another member must `approveFourEyesRequest` it",
        ),
    ),
    TourStop(
        "second committee member 贷审会委员（二）",
        "committee.b",
        (
            "`fourEyesRequests`: approve or reject what the other member asked for "
            "(the one who asked may not)",
        ),
    ),
    TourStop(
        "disbursement checker 放款复核员",
        "checker.hz",
        (
            "`confirmDisbursement` of the disbursed application: neither its maker "
            "nor whoever issued the payment order may confirm it",
        ),
    ),
    TourStop(
        "administrator 管理员",
        "admin",
        (
            "`users` and `createProduct`; `smecredit cob run` closes a business day",
            "the approved application waits for `disburseLoan`",
        ),
    ),
    TourStop(
        "compliance auditor 合规审计员",
        "auditor",
        ("`auditLog` and `auditVerify`: every step of the story, with who took it",),
    ),
    TourStop(
        "partner 合作机构 / viewer 只读",
        "partner.wh / viewer.sh",
        ("`firms` and `loans`: only their own branch (WH01 / SH01) is visible",),
    ),
)


def format_tour(stops: Sequence[TourStop] = TOUR) -> str:
    """The tour as text, one block per role."""
    lines = ["what to try (sign in at /graphql with `signIn`, passwords above):"]
    for stop in stops:
        lines.append(f"  {stop.role} - sign in as {stop.username}:")
        lines.extend(f"    - {line}" for line in stop.tries)
    return "\n".join(lines)
