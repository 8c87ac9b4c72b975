"""Early warning over HTTP: a warning's history and comments, the rule catalogue, the
configuration in force, weight sets and proposals, and proposing weights as a job."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from early_warning_support import _fresh_broadcasters, make_firm, rules
from helpers import gql
from portfolio_seed import seed_portfolio
from strawberry.relay import to_base64

from smecredit import models
from smecredit.graphql.early_warning import running_proposals, running_scans
from smecredit.security.policy import PolicyStore, set_policy_store

__all__ = ["_fresh_broadcasters", "make_firm", "rules"]

pytestmark = pytest.mark.anyio

DETAILS = """query($id: ID!) { warning(id: $id) {
  ruleCode status
  history { kind fromStatus toStatus severity actor note at scanRunId }
  comments { author body createdAt }
} }"""


COMMENTS = "query($id: ID!) { warning(id: $id) { comments { body } } }"


async def _scan(client: Any) -> int:
    body = await gql(client, "mutation { runWarningScan { dbId } }")
    assert "errors" not in body, body
    await asyncio.gather(*running_scans)
    return int(body["data"]["runWarningScan"]["dbId"])


async def test_history_and_comments_of_a_warning(app: Any, client_for: Any, make_firm: Any) -> None:
    await make_firm(dpd=45, branch="B01")
    analyst = await client_for("risk_analyst", "HQ")
    officer = await client_for("loan_officer", "B01", username="li.wei")
    run_id = await _scan(analyst)
    warning = await models.Warning.get(rule_code="LOAN_DPD")
    gid = to_base64("Warning", warning.id)
    for step in (
        'mutation($id: ID!) { assignWarning(id: $id, assignee: "li.wei") { status } }',
        'mutation($id: ID!) { commentWarning(id: $id, body: "called the owner") { status } }',
        'mutation($id: ID!) { commentWarning(id: $id, body: "visit on Monday") { status } }',
        'mutation($id: ID!) { dismissWarning(id: $id, reason: "paid yesterday") { status } }',
    ):
        body = await gql(officer, step, {"id": gid})
        assert "errors" not in body, body

    body = await gql(officer, DETAILS, {"id": gid})
    assert "errors" not in body, body
    data = body["data"]["warning"]
    steps = [(h["kind"], h["fromStatus"], h["toStatus"], h["actor"]) for h in data["history"]]
    assert steps == [
        ("opened", None, "OPEN", "system"),
        ("assigned", "OPEN", "OPEN", "li.wei"),
        ("commented", "OPEN", "OPEN", "li.wei"),
        ("commented", "OPEN", "OPEN", "li.wei"),
        ("dismissed", "OPEN", "DISMISSED", "li.wei"),
    ]
    assert data["history"][0]["scanRunId"] == run_id
    assert data["history"][0]["severity"] == "YELLOW"
    assert data["history"][-1]["note"] == "paid yesterday"
    assert [(c["author"], c["body"]) for c in data["comments"]] == [
        ("li.wei", "called the owner"),
        ("li.wei", "visit on Monday"),
    ]

    # row scope: another branch sees neither the warning nor, through it, its comments
    other = await client_for("loan_officer", "B02")
    hidden = await gql(other, DETAILS, {"id": gid})
    assert hidden["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    listed = await gql(other, "{ warnings { edges { node { comments { body } } } } }")
    assert listed["data"]["warnings"]["edges"] == []
    node = await gql(
        other,
        "query($id: ID!) { node(id: $id) { ... on Warning { comments { body } } } }",
        {"id": gid},
    )
    assert node["data"]["node"] is None


@pytest.fixture
def own_policy_store() -> Iterator[None]:
    """A policy store of this test's own: the rule it adds must not outlive it."""
    set_policy_store(PolicyStore())
    yield
    set_policy_store(None)


async def test_partners_never_see_warning_comments(
    app: Any, client: Any, client_for: Any, make_firm: Any, own_policy_store: None
) -> None:
    firm = await make_firm(dpd=45, branch="P001")
    warning = await models.Warning.create(
        firm=firm, rule_code="LOAN_DPD", severity="red", message="m"
    )
    await models.WarningComment.create(warning=warning, author="li.wei", body="owner in hospital")
    gid = to_base64("Warning", warning.id)
    partner = await client_for("partner", "P001")
    body = await gql(partner, COMMENTS, {"id": gid})
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert "owner in hospital" not in str(body)
    # even when an administrator shares warnings with partners, the comments stay internal
    share = await gql(
        client,
        'mutation { addPolicy(values: ["partner", "*", "Warning.severity", "read", "allow"]) '
        "{ ... on PolicyRule { id } } }",
    )
    assert "errors" not in share and share["data"]["addPolicy"]["id"], share
    severity = await gql(partner, "query($id: ID!) { warning(id: $id) { severity } }", {"id": gid})
    assert severity["errors"][0]["extensions"]["code"] == "FORBIDDEN"  # Warning* deny wins
    rules = await gql(partner, "{ warningRules { code } }")
    assert rules["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # staff of the branch read them
    viewer = await client_for("viewer", "P001")
    seen = await gql(viewer, COMMENTS, {"id": gid})
    assert seen["data"]["warning"]["comments"] == [{"body": "owner in hospital"}]


class _Counter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.msg == "%s: %s" and record.args:
            self.statements.append(str(record.args[0]))  # type: ignore[index]


@contextmanager
def _count_statements() -> Iterator[_Counter]:
    logger = logging.getLogger("tortoise.db_client")
    counter, level = _Counter(), logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(counter)
    try:
        yield counter
    finally:
        logger.removeHandler(counter)
        logger.setLevel(level)


PAGE = """query($first: Int!) { warnings(first: $first) { edges { node {
  id history { kind actor } comments { body }
} } } }"""


async def test_history_and_comments_are_batched_per_page(client: Any, db: Any) -> None:
    portfolio = await seed_portfolio(firms=30, loans=20, warnings=60, seed=5)
    at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    for k, warning in enumerate(portfolio.warnings):
        for kind in ("opened", "acknowledged")[: 1 + k % 2]:
            await models.WarningEvent.create(warning=warning, kind=kind, at=at)
        if k % 3 == 0:
            await models.WarningComment.create(warning=warning, author="a", body=f"c{k}")

    async def statements(first: int) -> list[str]:
        await gql(client, PAGE, {"first": first})  # warm-up: sessions, caches
        with _count_statements() as counter:
            body = await gql(client, PAGE, {"first": first})
        assert "errors" not in body, body
        nodes = [e["node"] for e in body["data"]["warnings"]["edges"]]
        assert len(nodes) == first and all(n["history"] for n in nodes)
        # 20 of the 60 warnings have a comment: any 50 of them include some
        assert first < 50 or any(n["comments"] for n in nodes)
        return counter.statements

    small, large = await statements(5), await statements(50)
    assert len(small) == len(large), (small, large)
    for table in ("ew_warning_event", "ew_warning_comment"):
        assert sum(f'FROM "{table}"' in s for s in large) == 1


async def test_rule_catalogue_and_configuration_in_force(
    app: Any, client_for: Any, anon_client: Any
) -> None:
    officer = await client_for("loan_officer", "B01")
    body = await gql(
        officer,
        "{ warningRules { code name nameZh group kind direction inputs windowDays "
        "defaultThresholds { blue red } defaultWeight explanation defaultParams plugin } }",
    )
    assert "errors" not in body, body
    catalogue = {r["code"]: r for r in body["data"]["warningRules"]}
    assert {"LOAN_DPD", "TAX_SALES_DROP", "BUREAU_OVERDUE", "INDUSTRY_ALERT"} <= set(catalogue)
    dpd = catalogue["LOAN_DPD"]
    assert dpd["group"] == "credit" and dpd["direction"] == "higher_is_worse"
    assert dpd["defaultThresholds"]["red"] >= dpd["defaultThresholds"]["blue"] > 0
    assert dpd["plugin"] and dpd["explanation"] and dpd["nameZh"]
    assert isinstance(catalogue["INDUSTRY_ALERT"]["defaultParams"], dict)

    query = (
        "{ warningConfiguration { weightVersion weightMethod "
        "rules { code enabled version author note changedAt "
        "thresholds { blue yellow orange red } } "
        "weights { rule group weight } groupWeights { group weight } "
        "weightSet { version method author note createdAt consistencyRatios "
        "ahpMatrices { name labels consistencyRatio } groupWeights { group weight } } } }"
    )
    before = (await gql(officer, query))["data"]["warningConfiguration"]
    assert before["weightVersion"] is None and before["weightMethod"] == "default"
    assert before["weightSet"] is None
    assert sum(w["weight"] for w in before["weights"]) == pytest.approx(1.0)
    assert all(r["version"] == 0 and r["author"] is None for r in before["rules"])

    analyst = await client_for("risk_analyst", "HQ", username="risk.head")
    changed = await gql(
        analyst,
        'mutation { configureWarningRule(code: "LOAN_DPD", enabled: false, note: "noisy", '
        "thresholds: {blue: 5, yellow: 20, orange: 50, red: 95}) }",
    )
    assert changed["data"] == {"configureWarningRule": 1}
    matrix = [[1, 3, 5], [1 / 3, 1, 3], [1 / 5, 1 / 3, 1]]
    ahp = await gql(
        analyst,
        """mutation($m: [[Float!]!]!) { setWarningWeightsAhp(
             groups: ["credit", "financial", "fundamentals"], groupMatrix: $m, note: "Q3 review",
             groupMatrices: [
               {group: "credit", labels: ["LOAN_DPD", "BUREAU_OVERDUE", "SCORE_DOWNGRADE"],
                matrix: $m},
               {group: "financial", labels: ["DEBT_TO_ASSET"], matrix: [[1]]},
               {group: "fundamentals", labels: ["LEGAL_ACTION"], matrix: [[1]]}]) { version } }""",
        {"m": matrix},
    )
    assert "errors" not in ahp, ahp
    after = (await gql(officer, query))["data"]["warningConfiguration"]
    assert after["weightVersion"] == 1 and after["weightMethod"] == "ahp"
    setting = next(r for r in after["rules"] if r["code"] == "LOAN_DPD")
    assert setting["enabled"] is False and setting["version"] == 1
    assert (setting["author"], setting["note"]) == ("risk.head", "noisy")
    assert setting["thresholds"] == {"blue": 5.0, "yellow": 20.0, "orange": 50.0, "red": 95.0}
    weight_set = after["weightSet"]
    assert (weight_set["author"], weight_set["note"]) == ("risk.head", "Q3 review")
    assert weight_set["consistencyRatios"][0] == pytest.approx(0.033, abs=1e-3)
    assert weight_set["ahpMatrices"][0]["name"] == "groups"
    assert {g["group"] for g in after["groupWeights"]} == {"credit", "financial", "fundamentals"}
    weights = {w["rule"]: w for w in after["weights"]}
    assert weights["LOAN_DPD"]["group"] == "credit"
    assert weights["LOAN_DPD"]["weight"] == pytest.approx(0.637**2, abs=1e-3)

    anonymous = await gql(anon_client, "{ warningConfiguration { weightVersion } }")
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_weight_sets_and_proposals_are_listed(app: Any, client_for: Any) -> None:
    analyst = await client_for("risk_analyst", "HQ")
    for n in range(3):
        body = await gql(
            analyst,
            'mutation($w: Float!) { setWarningWeightsExpert(note: "v", groups: ['
            '{group: "credit", weight: 1, ruleCodes: ["LOAN_DPD", "BUREAU_OVERDUE"], '
            "ruleWeights: [$w, 1]}]) { version } }",
            {"w": float(n + 1)},
        )
        assert "errors" not in body, body
    for status in ("proposed", "rejected", "proposed"):
        await models.WeightProposalRecord.create(
            status=status,
            proposed={"LOAN_DPD": 0.6, "BUREAU_OVERDUE": 0.4},
            current={"LOAN_DPD": 0.5, "BUREAU_OVERDUE": 0.5},
            coefficients={"LOAN_DPD": 0.8, "BUREAU_OVERDUE": 0.2},
            horizon_days=180,
            sample_size=40,
            author="analyst",
        )
    sets = await gql(
        analyst,
        "{ warningWeightSets(first: 2) { totalCount edges { node { version method "
        "groupWeights { group weight } } } pageInfo { hasNextPage endCursor } } }",
    )
    assert "errors" not in sets, sets
    page = sets["data"]["warningWeightSets"]
    assert page["totalCount"] == 3 and page["pageInfo"]["hasNextPage"]
    assert [e["node"]["version"] for e in page["edges"]] == [3, 2]
    rest = await gql(
        analyst,
        "query($after: String) { warningWeightSets(after: $after) { edges { node { version } } } }",
        {"after": page["pageInfo"]["endCursor"]},
    )
    assert [e["node"]["version"] for e in rest["data"]["warningWeightSets"]["edges"]] == [1]

    proposals = await gql(
        analyst,
        '{ warningWeightProposals(status: "proposed") { edges { node { dbId status horizonDays '
        "sampleSize author createdAt weights { indicator current proposed coefficient } } } } }",
    )
    assert "errors" not in proposals, proposals
    nodes = [e["node"] for e in proposals["data"]["warningWeightProposals"]["edges"]]
    assert [n["status"] for n in nodes] == ["proposed", "proposed"]
    assert nodes[0]["dbId"] > nodes[1]["dbId"]  # newest first
    assert nodes[0]["weights"][1] == {
        "indicator": "LOAN_DPD",
        "current": 0.5,
        "proposed": 0.6,
        "coefficient": 0.8,
    }
    bad = await gql(analyst, '{ warningWeightProposals(status: "maybe") { totalCount } }')
    assert bad["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
    assert "computing" in bad["errors"][0]["message"]
    officer = await client_for("loan_officer", "B01")
    denied = await gql(officer, "{ warningWeightProposals { totalCount } }")
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    auditor = await client_for("compliance_auditor", "HQ")
    seen = await gql(auditor, "{ warningWeightSets { totalCount } }")
    assert seen["data"]["warningWeightSets"]["totalCount"] == 3


async def _poll_proposal(client: Any, proposal_id: int) -> dict[str, Any]:
    await asyncio.gather(*running_proposals)
    body = await gql(
        client,
        "query($id: Int!) { warningWeightProposal(id: $id) { status error sampleSize "
        "weights { indicator proposed coefficient } } }",
        {"id": proposal_id},
    )
    assert "errors" not in body, body
    return dict(body["data"]["warningWeightProposal"])


PROPOSE = (
    "mutation($h: Int!) { proposeWarningWeights(horizonDays: $h) { dbId status horizonDays } }"
)


async def test_propose_weights_runs_as_a_job(app: Any, client_for: Any, make_firm: Any) -> None:
    analyst = await client_for("risk_analyst", "HQ", username="risk.head")
    officer = await client_for("loan_officer", "B01")
    denied = await gql(officer, PROPOSE, {"h": 365})
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    short = await gql(analyst, PROPOSE, {"h": 0})
    assert short["errors"][0]["extensions"]["code"] == "INVALID_BACKTEST_INPUT"

    # nothing scanned yet: the job fails and says why
    body = await gql(analyst, PROPOSE, {"h": 365})
    assert "errors" not in body, body
    started = body["data"]["proposeWarningWeights"]
    assert (started["status"], started["horizonDays"]) == ("computing", 365)
    failed = await _poll_proposal(analyst, started["dbId"])
    assert failed["status"] == "failed"
    assert failed["error"].startswith("INVALID_BACKTEST_INPUT: no index snapshots")
    refused = await gql(
        analyst,
        "mutation($id: Int!) { acceptWeightProposal(id: $id) { status } }",
        {"id": started["dbId"]},
    )
    assert refused["errors"][0]["extensions"]["code"] == "CONFLICT"

    # a firm now 120 days past due defaulted 30 days ago; a clean one did not. Date the
    # scan's index snapshots 60 days back, so the default follows the snapshot.
    await make_firm(dpd=120, branch="B01")
    await make_firm(dpd=0, branch="B01")
    await _scan(analyst)
    await models.IndexSnapshot.all().update(as_of=dt.date.today() - dt.timedelta(days=60))
    body = await gql(analyst, PROPOSE, {"h": 365})
    proposal_id = body["data"]["proposeWarningWeights"]["dbId"]
    done = await _poll_proposal(analyst, proposal_id)
    assert done["status"] == "proposed", done
    assert done["error"] is None and done["sampleSize"] == 2
    assert sum(w["proposed"] for w in done["weights"]) == pytest.approx(1.0)
    assert any(w["coefficient"] for w in done["weights"])
    actions = [
        a.action for a in await models.AuditLog.filter(resource=f"WeightProposal:{proposal_id}")
    ]
    assert actions[:2] == ["warning_weights.propose_started", "warning_weights.propose"]
    accepted = await gql(
        analyst,
        "mutation($id: Int!) { acceptWeightProposal(id: $id) { status acceptedVersion } }",
        {"id": proposal_id},
    )
    assert accepted["data"]["acceptWeightProposal"] == {"status": "accepted", "acceptedVersion": 1}
    config = await gql(
        analyst, "{ warningConfiguration { weightMethod weightSet { proposalId } } }"
    )
    assert config["data"]["warningConfiguration"] == {
        "weightMethod": "reestimated",
        "weightSet": {"proposalId": proposal_id},
    }


async def test_only_one_portfolio_scan_at_a_time(app: Any, client_for: Any, make_firm: Any) -> None:
    analyst = await client_for("risk_analyst", "HQ")
    other = await models.WarningScanRun.create(scope="portfolio", author="scheduler")
    refused = await gql(analyst, "mutation { runWarningScan { dbId } }")
    error = refused["errors"][0]
    assert error["extensions"]["code"] == "SCAN_RUNNING" and f"run {other.id}" in error["message"]
    # scans of named firms are not portfolio scans: they still run
    firm = await make_firm(branch="B01")
    body = await gql(
        analyst,
        "mutation($f: [ID!]) { runWarningScan(firmIds: $f) { scope } }",
        {"f": [to_base64("Firm", firm.id)]},
    )
    assert body["data"]["runWarningScan"]["scope"] == "firms"
    await asyncio.gather(*running_scans)
    await models.WarningScanRun.filter(id=other.id).update(status="finished")
    assert (await _scan(analyst)) > other.id


async def test_stopping_the_server_interrupts_background_work(
    app: Any, client_for: Any, monkeypatch: Any
) -> None:
    from smecredit.services.early_warning import backtest

    async def endless(*args: Any, **kwargs: Any) -> Any:
        await asyncio.sleep(3600)

    monkeypatch.setattr(backtest, "_compute_proposal", endless)
    analyst = await client_for("risk_analyst", "HQ")
    async with app.router.lifespan_context(app):
        body = await gql(analyst, PROPOSE, {"h": 365})
        assert body["data"]["proposeWarningWeights"]["status"] == "computing"
        await asyncio.sleep(0.05)
        assert running_proposals
    row = await models.WeightProposalRecord.get(id=body["data"]["proposeWarningWeights"]["dbId"])
    assert row.status == "failed" and "interrupted" in (row.decision_note or "")
    assert not running_proposals
