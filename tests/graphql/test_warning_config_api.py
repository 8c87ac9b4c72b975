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
from helpers import gql
from jobs_support import settle, supervisor
from portfolio_seed import seed_portfolio
from results_support import answer, on_typed, refusal
from strawberry.relay import from_base64, to_base64
from warnings_support import _fresh_broadcasters, make_firm, rules

from smecredit import models
from smecredit.security.policy import PolicyStore, set_policy_store

__all__ = ["_fresh_broadcasters", "make_firm", "rules"]

pytestmark = pytest.mark.anyio

DETAILS = """query($id: ID!) { warning(id: $id) {
  ruleCode status
  history { totalCount edges { node {
    kind fromStatus toStatus severity actor note at scanRun { id status } } } }
  comments { edges { node { id author body createdAt } } }
} }"""


COMMENTS = "query($id: ID!) { warning(id: $id) { comments { edges { node { body } } } } }"


SCAN = "mutation { runWarningScan " + on_typed("WarningScanRun", "id") + " }"


async def _scan(client: Any) -> str:
    run = answer(await gql(client, SCAN), "runWarningScan")
    await settle(client)
    return str(run["id"])


def _nodes(connection: dict[str, Any]) -> list[dict[str, Any]]:
    return [e["node"] for e in connection["edges"]]


async def test_history_and_comments_of_a_warning(app: Any, client_for: Any, make_firm: Any) -> None:
    await make_firm(dpd=45, branch="B01")
    analyst = await client_for("risk_analyst", "HQ")
    officer = await client_for("loan_officer", "B01", username="li.wei")
    run_id = await _scan(analyst)
    warning = await models.Warning.get(rule_code="LOAN_DPD")
    gid = to_base64("Warning", warning.id)
    for step in (
        'mutation($id: ID!) { assignWarning(id: $id, assignee: "li.wei") ',
        'mutation($id: ID!) { commentWarning(id: $id, body: "called the owner") ',
        'mutation($id: ID!) { commentWarning(id: $id, body: "visit on Monday") ',
        'mutation($id: ID!) { dismissWarning(id: $id, reason: "paid yesterday") ',
    ):
        body = await gql(officer, step + on_typed("Warning", "status") + " }", {"id": gid})
        answer(body, next(iter(body["data"])))

    body = await gql(officer, DETAILS, {"id": gid})
    assert "errors" not in body, body
    data = body["data"]["warning"]
    history = _nodes(data["history"])
    steps = [(h["kind"], h["fromStatus"], h["toStatus"], h["actor"]) for h in history]
    assert steps == [
        ("OPENED", None, "OPEN", "system"),
        ("ASSIGNED", "OPEN", "OPEN", "li.wei"),
        ("COMMENTED", "OPEN", "OPEN", "li.wei"),
        ("COMMENTED", "OPEN", "OPEN", "li.wei"),
        ("DISMISSED", "OPEN", "DISMISSED", "li.wei"),
    ]
    assert data["history"]["totalCount"] == 5
    # the officer may not read scan runs: the step says a scan made it, not which one
    assert history[0]["scanRun"] is None and history[1]["scanRun"] is None
    assert history[0]["severity"] == "YELLOW"
    assert history[-1]["note"] == "paid yesterday"
    comments = _nodes(data["comments"])
    assert [(c["author"], c["body"]) for c in comments] == [
        ("li.wei", "called the owner"),
        ("li.wei", "visit on Monday"),
    ]
    # the analyst reads which scan opened it; a comment is a node of its own
    seen = await gql(analyst, DETAILS, {"id": gid})
    first_step = _nodes(seen["data"]["warning"]["history"])[0]
    assert first_step["scanRun"] == {"id": run_id, "status": "FINISHED"}
    page = await gql(
        officer,
        "query($id: ID!) { warning(id: $id) { history(first: 2) { edges { node { kind } } "
        "pageInfo { hasNextPage endCursor } } } }",
        {"id": gid},
    )
    first_page = page["data"]["warning"]["history"]
    assert [n["kind"] for n in _nodes(first_page)] == ["OPENED", "ASSIGNED"]
    assert first_page["pageInfo"]["hasNextPage"]
    rest = await gql(
        officer,
        "query($id: ID!, $after: String) { warning(id: $id) { history(after: $after) "
        "{ edges { node { kind } } } } }",
        {"id": gid, "after": first_page["pageInfo"]["endCursor"]},
    )
    assert [n["kind"] for n in _nodes(rest["data"]["warning"]["history"])] == [
        "COMMENTED",
        "COMMENTED",
        "DISMISSED",
    ]
    comment_id = comments[0]["id"]
    by_node = await gql(
        officer,
        "query($id: ID!) { node(id: $id) { ... on WarningComment { body } } }",
        {"id": comment_id},
    )
    assert by_node["data"]["node"] == {"body": "called the owner"}

    # row scope: another branch sees neither the warning nor, through it, its comments
    other = await client_for("loan_officer", "B02")
    hidden = await gql(other, DETAILS, {"id": gid})
    assert hidden["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    listed = await gql(
        other, "{ warnings { edges { node { comments { edges { node { body } } } } } } }"
    )
    assert listed["data"]["warnings"]["edges"] == []
    node = await gql(
        other,
        "query($id: ID!) { node(id: $id) { ... on Warning { comments { totalCount } } } }",
        {"id": gid},
    )
    assert node["data"]["node"] is None
    hidden_comment = await gql(
        other,
        "query($id: ID!) { node(id: $id) { ... on WarningComment { body } } }",
        {"id": comment_id},
    )
    assert hidden_comment["data"]["node"] is None


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
    assert _nodes(seen["data"]["warning"]["comments"]) == [{"body": "owner in hospital"}]


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
  id history { edges { node { kind actor scanRun { id } } } }
  comments { edges { node { body } } }
} } } }"""


async def test_history_and_comments_are_batched_per_page(client: Any, db: Any) -> None:
    portfolio = await seed_portfolio(firms=30, loans=20, warnings=60, seed=5)
    at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    runs = [await models.WarningScanRun.create(scope="portfolio") for _ in range(3)]
    for k, warning in enumerate(portfolio.warnings):
        for kind in ("opened", "acknowledged")[: 1 + k % 2]:
            run_id = runs[k % 3].id if kind == "opened" else None
            await models.WarningEvent.create(warning=warning, kind=kind, at=at, scan_run_id=run_id)
        if k % 3 == 0:
            await models.WarningComment.create(warning=warning, author="a", body=f"c{k}")

    async def statements(first: int) -> list[str]:
        await gql(client, PAGE, {"first": first})  # warm-up: sessions, caches
        with _count_statements() as counter:
            body = await gql(client, PAGE, {"first": first})
        assert "errors" not in body, body
        nodes = [e["node"] for e in body["data"]["warnings"]["edges"]]
        assert len(nodes) == first and all(n["history"]["edges"] for n in nodes)
        # 20 of the 60 warnings have a comment: any 50 of them include some
        assert first < 50 or any(n["comments"]["edges"] for n in nodes)
        return counter.statements

    small, large = await statements(5), await statements(50)
    assert len(small) == len(large), (small, large)
    for table in ("ew_warning_event", "ew_warning_comment", "ew_scan_run"):
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
    assert before["weightVersion"] is None and before["weightMethod"] == "DEFAULT"
    assert before["weightSet"] is None
    assert sum(w["weight"] for w in before["weights"]) == pytest.approx(1.0)
    assert all(r["version"] == 0 and r["author"] is None for r in before["rules"])

    analyst = await client_for("risk_analyst", "HQ", username="risk.head")
    changed = await gql(
        analyst,
        'mutation { configureWarningRule(code: "LOAN_DPD", enabled: false, note: "noisy", '
        "thresholds: {blue: 5, yellow: 20, orange: 50, red: 95}) "
        + on_typed("WarningRule", "code setting { version }")
        + " }",
    )
    assert answer(changed, "configureWarningRule") == {
        "__typename": "WarningRule",
        "code": "LOAN_DPD",
        "setting": {"version": 1},
    }
    matrix = [[1, 3, 5], [1 / 3, 1, 3], [1 / 5, 1 / 3, 1]]
    ahp = await gql(
        analyst,
        """mutation($m: [[Float!]!]!) { setWarningWeightsAhp(
             groups: ["credit", "financial", "fundamentals"], groupMatrix: $m, note: "Q3 review",
             groupMatrices: [
               {group: "credit", labels: ["LOAN_DPD", "BUREAU_OVERDUE", "SCORE_DOWNGRADE"],
                matrix: $m},
               {group: "financial", labels: ["DEBT_TO_ASSET"], matrix: [[1]]},
               {group: "fundamentals", labels: ["LEGAL_ACTION"], matrix: [[1]]}]) """
        + on_typed("WarningWeightSet", "version")
        + " }",
        {"m": matrix},
    )
    answer(ahp, "setWarningWeightsAhp")
    after = (await gql(officer, query))["data"]["warningConfiguration"]
    assert after["weightVersion"] == 1 and after["weightMethod"] == "AHP"
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
            "ruleWeights: [$w, 1]}]) " + on_typed("WarningWeightSet", "version") + " }",
            {"w": float(n + 1)},
        )
        answer(body, "setWarningWeightsExpert")
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
        "{ warningWeightProposals(status: PROPOSED) { edges { node { id status horizonDays "
        "sampleSize author createdAt weights { indicator current proposed coefficient } } } } }",
    )
    assert "errors" not in proposals, proposals
    nodes = [e["node"] for e in proposals["data"]["warningWeightProposals"]["edges"]]
    assert [n["status"] for n in nodes] == ["PROPOSED", "PROPOSED"]
    db_ids = [int(from_base64(n["id"])[1]) for n in nodes]
    assert db_ids[0] > db_ids[1]  # newest first
    assert nodes[0]["weights"][1] == {
        "indicator": "LOAN_DPD",
        "current": 0.5,
        "proposed": 0.6,
        "coefficient": 0.8,
    }
    bad = await gql(analyst, "{ warningWeightProposals(status: MAYBE) { totalCount } }")
    assert "WeightProposalStatus" in bad["errors"][0]["message"]
    officer = await client_for("loan_officer", "B01")
    denied = await gql(officer, "{ warningWeightProposals { totalCount } }")
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    auditor = await client_for("compliance_auditor", "HQ")
    seen = await gql(auditor, "{ warningWeightSets { totalCount } }")
    assert seen["data"]["warningWeightSets"]["totalCount"] == 3


async def _poll_proposal(client: Any, proposal_id: str) -> dict[str, Any]:
    await settle(client)
    body = await gql(
        client,
        "query($id: ID!) { warningWeightProposal(id: $id) { status error sampleSize "
        "weights { indicator proposed coefficient } } }",
        {"id": proposal_id},
    )
    assert "errors" not in body, body
    return dict(body["data"]["warningWeightProposal"])


PROPOSE = (
    "mutation($h: Int!) { proposeWarningWeights(horizonDays: $h) "
    + on_typed("WeightProposal", "id status statusLabel horizonDays")
    + " }"
)


async def test_propose_weights_runs_as_a_job(app: Any, client_for: Any, make_firm: Any) -> None:
    analyst = await client_for("risk_analyst", "HQ", username="risk.head")
    officer = await client_for("loan_officer", "B01")
    denied = await gql(officer, PROPOSE, {"h": 365})
    assert refusal(denied, "proposeWarningWeights")["code"] == "FORBIDDEN"
    # the boundary's argument check refuses before the mutation runs, naming the field
    short = (await gql(analyst, PROPOSE, {"h": 0}))["errors"][0]["extensions"]
    assert short == {"code": "INVALID_BACKTEST_INPUT", "field": "horizonDays"}

    # nothing scanned yet: the job fails and says why
    started = answer(await gql(analyst, PROPOSE, {"h": 365}), "proposeWarningWeights")
    assert (started["status"], started["horizonDays"]) == ("COMPUTING", 365)
    assert started["statusLabel"] == "Computing"
    failed = await _poll_proposal(analyst, started["id"])
    assert failed["status"] == "FAILED"
    assert failed["error"].startswith("INVALID_BACKTEST_INPUT: no index snapshots")
    refused = await gql(
        analyst,
        "mutation($id: ID!) { acceptWeightProposal(id: $id) "
        + on_typed("WeightProposal", "status")
        + " }",
        {"id": started["id"]},
    )
    assert refusal(refused, "acceptWeightProposal")["code"] == "CONFLICT"

    # a firm now 120 days past due defaulted 30 days ago; a clean one did not. Date the
    # scan's index snapshots 60 days back, so the default follows the snapshot.
    await make_firm(dpd=120, branch="B01")
    await make_firm(dpd=0, branch="B01")
    await _scan(analyst)
    await models.IndexSnapshot.all().update(as_of=dt.date.today() - dt.timedelta(days=60))
    body = await gql(analyst, PROPOSE, {"h": 365})
    proposal_id = answer(body, "proposeWarningWeights")["id"]
    done = await _poll_proposal(analyst, proposal_id)
    assert done["status"] == "PROPOSED", done
    assert done["error"] is None and done["sampleSize"] == 2
    assert sum(w["proposed"] for w in done["weights"]) == pytest.approx(1.0)
    assert any(w["coefficient"] for w in done["weights"])
    actions = [
        a.action
        for a in await models.AuditLog.filter(
            resource=f"WeightProposal:{from_base64(proposal_id)[1]}"
        )
    ]
    assert actions[:2] == ["warning_weights.propose_started", "warning_weights.propose"]
    accepted = await gql(
        analyst,
        "mutation($id: ID!) { acceptWeightProposal(id: $id) "
        + on_typed("WeightProposal", "status acceptedVersion")
        + " }",
        {"id": proposal_id},
    )
    assert answer(accepted, "acceptWeightProposal") == {
        "__typename": "WeightProposal",
        "status": "ACCEPTED",
        "acceptedVersion": 1,
    }
    config = await gql(
        analyst, "{ warningConfiguration { weightMethod weightSet { proposal { id } } } }"
    )
    assert config["data"]["warningConfiguration"] == {
        "weightMethod": "REESTIMATED",
        "weightSet": {"proposal": {"id": proposal_id}},
    }
    by_node = await gql(
        analyst,
        "query($id: ID!) { node(id: $id) { ... on WeightProposal { status } } }",
        {"id": proposal_id},
    )
    assert by_node["data"]["node"] == {"status": "ACCEPTED"}
    hidden = await gql(
        officer,
        "query($id: ID!) { node(id: $id) { ... on WeightProposal { status } } }",
        {"id": proposal_id},
    )
    assert hidden["data"]["node"] is None  # the officer may not read proposals


async def test_only_one_portfolio_scan_at_a_time(app: Any, client_for: Any, make_firm: Any) -> None:
    analyst = await client_for("risk_analyst", "HQ")
    other = await models.WarningScanRun.create(scope="portfolio", author="scheduler")
    error = refusal(await gql(analyst, SCAN), "runWarningScan")
    assert (error["__typename"], error["code"]) == ("Conflict", "SCAN_RUNNING")
    assert f"run {other.id}" in error["detail"]
    # scans of named firms are not portfolio scans: they still run
    firm = await make_firm(branch="B01")
    body = await gql(
        analyst,
        "mutation($f: [ID!]) { runWarningScan(firmIds: $f) "
        + on_typed("WarningScanRun", "scope")
        + " }",
        {"f": [to_base64("Firm", firm.id)]},
    )
    assert answer(body, "runWarningScan")["scope"] == "FIRMS"
    await settle(analyst)
    await models.WarningScanRun.filter(id=other.id).update(status="finished")
    assert int(from_base64(await _scan(analyst))[1]) > other.id
    runs = await gql(
        analyst,
        "{ warningScanRuns(first: 2, filter: {scope: PORTFOLIO}) { totalCount "
        "edges { node { scope author status } } pageInfo { hasNextPage } } }",
    )
    assert "errors" not in runs, runs
    page = runs["data"]["warningScanRuns"]
    assert page["totalCount"] == 2 and not page["pageInfo"]["hasNextPage"]
    assert [n["author"] for n in _nodes(page)][1] == "scheduler"  # newest first
    officer = await client_for("loan_officer", "B01")
    denied = await gql(officer, "{ warningScanRuns { totalCount } }")
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_stopping_the_server_interrupts_background_work(
    app: Any, client_for: Any, monkeypatch: Any
) -> None:
    from smecredit.services.warnings import backtest

    async def endless(*args: Any, **kwargs: Any) -> Any:
        await asyncio.sleep(3600)

    monkeypatch.setattr(backtest, "_compute_proposal", endless)
    analyst = await client_for("risk_analyst", "HQ")
    async with app.router.lifespan_context(app):
        body = await gql(analyst, PROPOSE, {"h": 365})
        assert answer(body, "proposeWarningWeights")["status"] == "COMPUTING"
        await asyncio.sleep(0.05)
        assert await models.Job.filter(kind="weight_proposal", state="running").exists()
    row = await models.WeightProposalRecord.get(
        id=int(from_base64(body["data"]["proposeWarningWeights"]["id"])[1])
    )
    assert row.status == "failed" and "interrupted" in (row.decision_note or "")
    job = await models.Job.get(kind="weight_proposal", run_id=row.id)
    assert job.state == "interrupted" and not supervisor(analyst).runner.is_running(job.id)
