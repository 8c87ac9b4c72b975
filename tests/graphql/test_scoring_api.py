"""The scoring API over HTTP: training jobs, registry, scoring, drift and permissions."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from helpers import gql
from scoring_seed import seed_synthetic
from smecredit_source_synthetic.generator import observation_date
from strawberry.relay import to_base64

from smecredit import models

pytestmark = pytest.mark.anyio

N_FIRMS = 300
OBS = observation_date().isoformat()

TRAIN = """
mutation($model: String!, $asOf: [Date!], $folds: Int!, $options: JSON) {
  trainModel(model: $model, asOf: $asOf, folds: $folds, options: $options) {
    __typename ... on ScoringJob { id status statusLabel total done progress }
    ... on BusinessError { code message }
  }
}"""
JOB = """
query($id: ID!) {
  scoringJob(id: $id) {
    id status total done progress error errorCode errorMessage
    modelVersion { id name version status fingerprint metrics modelCard createdBy }
  }
}"""
# The synthetic book's honest features are strong by design (IV near 1), so the leakage
# guard flags them: these tests acknowledge; test_leakage_* checks the refusal.
PROMOTE = """
mutation($id: ID!, $to: ModelStatus!, $reason: String!) {
  promoteModel(id: $id, to: $to, reason: $reason, acknowledgeLeakage: true) {
    __typename
    ... on ModelVersion {
      id status statusLabel
      promotions { id fromStatus toStatus action actionLabel actor reason modelVersion { id } }
    }
    ... on BusinessError { code message }
  }
}"""
PROMOTE_CHECKED = """
mutation($id: ID!, $reason: String!, $ack: Boolean!) {
  promoteModel(id: $id, to: CHAMPION, reason: $reason, acknowledgeLeakage: $ack) {
    __typename ... on ModelVersion { id status leakageAcknowledgement { by reason } }
    ... on BusinessError { code message }
  }
}"""
FLAGS = """
query($id: ID!) {
  modelVersion(id: $id) {
    leakageFlags { kind kindLabel feature value threshold message }
    leakageAcknowledgement { by }
    metrics
  }
}"""
COMPARE = """
query($a: ID!, $b: ID!, $asOf: Date) {
  modelComparison(a: $a, b: $b, asOf: $asOf) {
    asOf horizonMonths windowEnd complete count defaults psi psiBand
    a { modelVersion { id name } auc gini ks brier meanPd validationAuc outOfTimeAuc inSample
        calibration { grade count defaults predictedPd observedRate } }
    b { modelVersion { id name } auc gini ks validationAuc inSample
        calibration { grade count defaults } }
  }
}"""
BACKTEST = """
query($id: ID!, $asOf: Date!) {
  modelBacktest(modelVersionId: $id, asOf: $asOf) {
    modelVersion { id } basis basisLabel count defaults complete grades { grade }
  }
}"""
ROLLBACK = """
mutation($reason: String!) {
  rollbackModel(use: APPLICATION, reason: $reason) {
    __typename ... on ModelVersion { id status version }
    ... on BusinessError { code message }
  }
}"""
SCORE = """
mutation($firm: ID!) {
  scoreFirm(firmId: $firm) {
    __typename
    ... on Score {
      id modelName modelVersion probabilityOfDefault points grade
      reasons { feature featureLabel value contribution text }
    }
    ... on BusinessError { code message }
  }
}"""
HISTORY = """
query($firm: ID!, $first: Int, $after: String) {
  scoreHistory(firmId: $firm, first: $first, after: $after) {
    edges { cursor node { grade computedAt probabilityOfDefault } }
    pageInfo { hasNextPage endCursor }
  }
}"""
DRIFT = """
query($id: ID!) {
  modelDrift(modelVersionId: $id) {
    modelVersion { id } scored psi band bandLabel
    features { feature featureLabel csi band bandLabel }
  }
}"""


def _codes(body: dict[str, Any]) -> set[str]:
    """Codes of the top-level errors, and of a mutation's typed error (result unions)."""
    codes = {e.get("extensions", {}).get("code") for e in body.get("errors") or []}
    for answer in (body.get("data") or {}).values():
        if isinstance(answer, dict) and "code" in answer and "__typename" in answer:
            codes.add(answer["code"])
    return codes


def _message(body: dict[str, Any]) -> str:
    """The message of the (first) refusal: a top-level error or a mutation's typed error."""
    if body.get("errors"):
        return str(body["errors"][0]["message"])
    answer = next(iter(body["data"].values()))
    return str(answer["message"])


def _firm_gid(firm_id: int) -> str:
    return to_base64("Firm", firm_id)


async def _train(
    client: httpx.AsyncClient,
    model: str = "scorecard",
    folds: int = 2,
    document: str = TRAIN,
    **extra: Any,
) -> dict[str, Any]:
    """Start a job, check the immediate answer, poll it to the end; return the last poll."""
    # Every declared variable is sent: the mutation audit cannot serialise an absent one.
    variables = {"model": model, "asOf": [OBS], "folds": folds, "options": None, **extra}
    body = await gql(client, document, variables)
    assert "errors" not in body, body
    started = body["data"]["trainModel"]
    assert started["__typename"] == "ScoringJob", started
    assert started["status"] in ("QUEUED", "RUNNING")
    assert started["total"] == folds + 1
    assert started["done"] == 0
    seen_progress = [started["progress"]]
    deadline = time.monotonic() + 120
    while True:
        polled = await gql(client, JOB, {"id": started["id"]})
        assert "errors" not in polled, polled
        job = polled["data"]["scoringJob"]
        seen_progress.append(job["progress"])
        if job["status"] in ("SUCCEEDED", "FAILED"):
            break
        assert time.monotonic() < deadline, "training job did not finish"
        await asyncio.sleep(0.02)
    assert seen_progress == sorted(seen_progress)  # progress never goes backwards
    return job  # type: ignore[no-any-return]


async def _trained_version(client: httpx.AsyncClient, **kw: Any) -> dict[str, Any]:
    job = await _train(client, **kw)
    assert job["status"] == "SUCCEEDED", job
    assert job["progress"] == 1.0 and job["done"] == job["total"]
    return job["modelVersion"]  # type: ignore[no-any-return]


async def test_train_promote_rollback_with_audit(
    db: Any, client: httpx.AsyncClient, client_for: Callable[..., Awaitable[httpx.AsyncClient]]
) -> None:
    await seed_synthetic(N_FIRMS, seed=11)
    first = await _trained_version(client)
    assert first["status"] == "CANDIDATE" and first["name"] == "scorecard"
    assert 0.5 < first["metrics"]["overall"]["auc"] <= 1.0
    assert first["modelCard"]["data"]["rows"] > 0
    assert len(first["fingerprint"]) == 64
    assert first["createdBy"] == client.username  # type: ignore[attr-defined]
    second = await _trained_version(client, model="catboost", options={"iterations": 60})
    assert second["name"] == "catboost"

    # four eyes: the trainer does not promote, and a promotion needs a reason
    body = await gql(client, PROMOTE, {"id": first["id"], "to": "CHAMPION", "reason": "mine"})
    assert _codes(body) == {"FOUR_EYES"}
    assert body["data"]["promoteModel"]["__typename"] == "Forbidden"
    assert "trainer-promotes" in _message(body)
    validator = await client_for("admin")
    body = await gql(validator, PROMOTE, {"id": first["id"], "to": "CHAMPION", "reason": " "})
    assert _codes(body) == {"REASON_REQUIRED"}
    body = await gql(validator, PROMOTE, {"id": first["id"], "to": "CHAMPION", "reason": "first"})
    assert body["data"]["promoteModel"]["status"] == "CHAMPION"
    body = await gql(validator, PROMOTE, {"id": second["id"], "to": "CHAMPION", "reason": "better"})
    promoted = body["data"]["promoteModel"]
    assert promoted["status"] == "CHAMPION" and promoted["statusLabel"] == "Champion"
    last = promoted["promotions"][-1]
    assert last.pop("id")
    assert last == {
        "fromStatus": "CANDIDATE",
        "toStatus": "CHAMPION",
        "action": "PROMOTE",
        "actionLabel": "Promotion",
        "actor": validator.username,  # type: ignore[attr-defined]
        "reason": "better",
        "modelVersion": {"id": second["id"]},
    }
    body = await gql(client, "{ champion(use: APPLICATION) { id } }")
    assert body["data"]["champion"]["id"] == second["id"]
    body = await gql(
        client, "{ models(filter: {status: RETIRED}) { totalCount edges { node { id } } } }"
    )
    assert [e["node"]["id"] for e in body["data"]["models"]["edges"]] == [first["id"]]
    assert body["data"]["models"]["totalCount"] == 1
    # newest first, keyset pages
    page = await gql(
        client, "{ models(first: 1) { edges { node { id } } pageInfo { hasNextPage endCursor } } }"
    )
    conn = page["data"]["models"]
    assert [e["node"]["id"] for e in conn["edges"]] == [second["id"]] and conn["pageInfo"][
        "hasNextPage"
    ]
    rest = await gql(
        client,
        "query($a: String) { models(first: 5, after: $a) { edges { node { id } } } }",
        {"a": conn["pageInfo"]["endCursor"]},
    )
    assert [e["node"]["id"] for e in rest["data"]["models"]["edges"]] == [first["id"]]
    node = await gql(
        client,
        "query($id: ID!) { node(id: $id) { ... on ModelVersion { name } } }",
        {"id": first["id"]},
    )
    assert node["data"]["node"] == {"name": "scorecard"}
    zh = await gql(client, "{ champion { statusLabel useLabel } }", **{"Accept-Language": "zh-CN"})
    assert zh["data"]["champion"] == {"statusLabel": "冠军模型", "useLabel": "申请评分"}

    body = await gql(client, ROLLBACK, {"reason": "drift"})
    assert body["data"]["rollbackModel"]["id"] == first["id"]
    assert body["data"]["rollbackModel"]["status"] == "CHAMPION"
    statuses = dict(await models.ModelVersion.all().values_list("name", "status"))
    assert statuses == {"scorecard": "champion", "catboost": "retired"}
    actions = await models.ModelPromotion.all().order_by("id").values_list("action", flat=True)
    assert list(actions) == ["promote", "retire", "promote", "rollback", "rollback"]
    audited: list[str] = list(
        await models.AuditLog.filter(action__startswith="model.").values_list("action", flat=True)  # type: ignore[arg-type]
    )
    assert audited.count("model.train") == 2
    assert audited.count("model.rollback") == 2 and audited.count("model.promote") == 2

    # The champion that a rollback retired is the one a second rollback restores.
    body = await gql(client, ROLLBACK, {"reason": "again"})
    assert body["data"]["rollbackModel"]["id"] == second["id"]
    body = await gql(client, PROMOTE, {"id": second["id"], "to": "CHAMPION", "reason": ""})
    assert _codes(body) == {"CONFLICT"}


async def test_score_firm_history_paging_and_drift(
    db: Any, client: httpx.AsyncClient, client_for: Callable[..., Awaitable[httpx.AsyncClient]]
) -> None:
    ids, _ = await seed_synthetic(N_FIRMS, seed=12)
    firm = _firm_gid(sorted(ids.values())[0])
    body = await gql(client, SCORE, {"firm": firm})
    assert _codes(body) == {"NO_CHAMPION"}

    version = await _trained_version(client)
    validator = await client_for("admin")
    await gql(validator, PROMOTE, {"id": version["id"], "to": "CHAMPION", "reason": "go"})
    scores = []
    for _ in range(3):
        body = await gql(client, SCORE, {"firm": firm})
        assert "errors" not in body, body
        scores.append(body["data"]["scoreFirm"])
    score = scores[0]
    assert score["modelName"] == "scorecard" and score["modelVersion"] == version["version"]
    assert 0 < score["probabilityOfDefault"] < 1
    assert score["grade"] in "ABCDEFG"
    assert isinstance(score["reasons"], list) and score["reasons"]
    assert all(r["contribution"] > 0 and r["text"] and r["featureLabel"] for r in score["reasons"])
    assert all(r["text"].startswith(r["featureLabel"]) for r in score["reasons"])
    zh = await gql(client, SCORE, {"firm": firm}, **{"Accept-Language": "zh-CN"})
    assert all("推高风险" in r["text"] for r in zh["data"]["scoreFirm"]["reasons"])
    node = await gql(
        client, "query($id: ID!) { node(id: $id) { ... on Score { grade } } }", {"id": score["id"]}
    )
    assert node["data"]["node"] == {"grade": score["grade"]}
    assert await models.Score.filter(firm_id=sorted(ids.values())[0]).count() == 4

    page = (await gql(client, HISTORY, {"firm": firm, "first": 2}))["data"]["scoreHistory"]
    assert len(page["edges"]) == 2 and page["pageInfo"]["hasNextPage"]
    rest = await gql(
        client, HISTORY, {"firm": firm, "first": 2, "after": page["pageInfo"]["endCursor"]}
    )
    tail = rest["data"]["scoreHistory"]
    assert len(tail["edges"]) == 2 and not tail["pageInfo"]["hasNextPage"]
    times = [e["node"]["computedAt"] for e in page["edges"] + tail["edges"]]
    assert times == sorted(times, reverse=True)

    body = await gql(client, DRIFT, {"id": version["id"]})
    drift = body["data"]["modelDrift"]
    assert drift["scored"] == 1 and drift["psi"] is not None and drift["psi"] >= 0
    assert drift["band"] in ("STABLE", "INVESTIGATE", "SHIFTED") and drift["bandLabel"]
    assert drift["modelVersion"] == {"id": version["id"]}
    assert drift["features"] and all(f["band"] and f["featureLabel"] for f in drift["features"])
    body = await gql(client, DRIFT, {"id": to_base64("ModelVersion", 999)})
    assert _codes(body) == {"NOT_FOUND"}
    body = await gql(client, HISTORY, {"firm": _firm_gid(10_000_000)})
    assert _codes(body) == {"NOT_FOUND"}


async def test_failed_job_reports_its_error(db: Any, client: httpx.AsyncClient) -> None:
    await seed_synthetic(20, seed=13)
    job = await _train(client, model="scorecard", folds=5)
    assert job["status"] == "FAILED"
    assert job["errorCode"] in ("TOO_FEW_DEFAULTS", "EMPTY_TRAINING_DATA")
    assert job["error"] and job["modelVersion"] is None
    assert job["errorMessage"] == job["error"]  # en: the technical text is the sentence
    zh = await gql(client, JOB, {"id": job["id"]}, **{"Accept-Language": "zh-CN"})
    assert zh["data"]["scoringJob"]["errorMessage"].endswith(job["error"])
    assert zh["data"]["scoringJob"]["errorMessage"] != job["error"]
    body = await gql(client, TRAIN, {"model": "nope", "asOf": [OBS], "folds": 2, "options": None})
    assert _codes(body) == {"UNKNOWN_MODEL"}
    body = await gql(client, JOB, {"id": to_base64("ScoringJob", 12345)})
    assert body["data"]["scoringJob"] is None
    body = await gql(client, "query($id: ID!) { node(id: $id) { id } }", {"id": job["id"]})
    assert body["data"]["node"] == {"id": job["id"]}


async def test_authorisation_and_field_permissions(
    db: Any,
    client: httpx.AsyncClient,
    anon_client: httpx.AsyncClient,
    client_for: Callable[..., Awaitable[httpx.AsyncClient]],
) -> None:
    ids, _ = await seed_synthetic(N_FIRMS, seed=14)
    version = await _trained_version(client)
    vid = version["id"]
    validator = await client_for("admin")
    await gql(validator, PROMOTE, {"id": vid, "to": "CHAMPION", "reason": "go"})

    body = await gql(
        anon_client, TRAIN, {"model": "scorecard", "asOf": [OBS], "folds": 2, "options": None}
    )
    assert _codes(body) == {"UNAUTHENTICATED"}
    body = await gql(anon_client, "{ models { totalCount } }")
    assert _codes(body) == {"UNAUTHENTICATED"}

    officer = await client_for("loan_officer")
    body = await gql(
        officer, TRAIN, {"model": "scorecard", "asOf": [OBS], "folds": 2, "options": None}
    )
    assert _codes(body) == {"FORBIDDEN"}
    body = await gql(officer, PROMOTE, {"id": vid, "to": "RETIRED", "reason": "x"})
    assert _codes(body) == {"FORBIDDEN"}
    body = await gql(officer, ROLLBACK, {"reason": "x"})
    assert _codes(body) == {"FORBIDDEN"}
    firm_id = sorted(ids.values())[0]
    body = await gql(officer, SCORE, {"firm": _firm_gid(firm_id)})
    assert "errors" not in body, body  # officers score firms of their branch (HQ sees all)

    analyst = await client_for("risk_analyst")
    body = await gql(analyst, PROMOTE, {"id": vid, "to": "CHALLENGER", "reason": "shadow"})
    assert body["data"]["promoteModel"]["status"] == "CHALLENGER"

    internals = "{ models { edges { node { name metrics modelCard } } } }"
    body = await gql(analyst, internals)
    assert "errors" not in body
    assert body["data"]["models"]["edges"][0]["node"]["metrics"]["overall"]

    viewer = await client_for("viewer")
    body = await gql(viewer, internals)
    denied = {tuple(e["path"][-1:]) for e in body["errors"]}
    assert denied == {("metrics",), ("modelCard",)}
    assert _codes(body) == {"FORBIDDEN"}
    node = body["data"]["models"]["edges"][0]["node"]
    assert node == {"name": "scorecard", "metrics": None, "modelCard": None}
    body = await gql(viewer, "{ models { edges { node { name status } } } }")
    assert "errors" not in body
    assert body["data"]["models"]["edges"][0]["node"]["name"] == "scorecard"

    partner = await client_for("partner")
    body = await gql(partner, internals)
    assert _codes(body) == {"FORBIDDEN"}
    assert body["data"] is None  # not one field of a model version: the non-null list fails
    body = await gql(partner, "{ models { edges { node { metrics } } } }")
    assert any("ModelVersion.metrics" in e["message"] for e in body["errors"])
    body = await gql(partner, SCORE, {"firm": _firm_gid(firm_id)})
    assert _codes(body) == {"FORBIDDEN"}
    body = await gql(partner, HISTORY, {"firm": _firm_gid(firm_id), "first": 5})
    # A partner sees only its own institution's firms: an HQ firm is not there at all.
    assert _codes(body) <= {"NOT_FOUND", "FORBIDDEN"} and _codes(body)


TRAIN_WINDOW = """
mutation($model: String!, $asOf: [Date!], $folds: Int!, $options: JSON, $months: Int!) {
  trainModel(model: $model, asOf: $asOf, folds: $folds, options: $options,
             performanceMonths: $months) {
    __typename ... on ScoringJob { id status total done progress }
    ... on BusinessError { code message }
  }
}"""


async def test_leakage_flags_gate_promotion_and_versions_compare_side_by_side(
    db: Any, client: httpx.AsyncClient, client_for: Callable[..., Awaitable[httpx.AsyncClient]]
) -> None:
    await seed_synthetic(N_FIRMS, seed=16)
    validator = await client_for("admin")  # four eyes: the trainer may not promote
    first = await _trained_version(client)
    # a 6-month window leaves a later observation date (2025-06-30 + 6 months) to hold out
    second = await _trained_version(
        client, model="catboost", options={"iterations": 60}, document=TRAIN_WINDOW, months=6
    )
    oot = second["metrics"]["out_of_time"]  # metrics are stored JSON: snake_case keys
    assert oot["observation_date"] == "2025-12-30" and 0.5 < oot["auc"] <= 1.0
    assert second["metrics"]["design"]["performance_months"] == 6
    assert first["metrics"]["out_of_time"]["skipped"]  # no later date with an observed window

    flagged = (await gql(client, FLAGS, {"id": first["id"]}))["data"]["modelVersion"]
    flags = flagged["leakageFlags"]
    assert flags and all(f["value"] > f["threshold"] for f in flags)
    assert {f["kind"] for f in flags} <= {"FEATURE_IV", "FEATURE_AUC", "AUC_JUMP"}
    assert all(f["kindLabel"] for f in flags)
    zh = await gql(client, FLAGS, {"id": first["id"]}, **{"Accept-Language": "zh-CN"})
    zh_flags = zh["data"]["modelVersion"]["leakageFlags"]
    assert all(f["message"] != g["message"] for f, g in zip(zh_flags, flags, strict=True))
    assert all(f["feature"] is None or f["feature"] in f["message"] for f in zh_flags)

    refused = await gql(
        validator, PROMOTE_CHECKED, {"id": first["id"], "reason": "go", "ack": False}
    )
    assert _codes(refused) == {"LEAKAGE_UNACKNOWLEDGED"}
    message = _message(refused)
    assert "acknowledgeLeakage: true" in message and flags[0]["message"] in message
    assert "LeakageFlag" not in message and "[<" not in message
    no_reason = await gql(
        validator, PROMOTE_CHECKED, {"id": first["id"], "reason": " ", "ack": True}
    )
    # an acknowledgement without a reason: refused before the flags are looked at
    assert _codes(no_reason) == {"REASON_REQUIRED"}, no_reason
    assert "a reason" in _message(no_reason)
    assert await models.ModelVersion.filter(status="champion").count() == 0
    allowed = await gql(
        validator,
        PROMOTE_CHECKED,
        {"id": first["id"], "reason": "features checked: all dated before the date", "ack": True},
    )
    assert "errors" not in allowed, allowed
    promoted = allowed["data"]["promoteModel"]
    assert promoted["status"] == "CHAMPION"
    assert promoted["leakageAcknowledgement"] == {
        "by": validator.username,  # type: ignore[attr-defined]
        "reason": "features checked: all dated before the date",
    }

    # A score stored today (as a freshly seeded demo has) is no score "on or before" OBS:
    # the back-test scores the book as of OBS instead of failing.
    firm = _firm_gid((await models.Firm.all().order_by("id").first()).id)  # type: ignore[union-attr]
    assert "errors" not in await gql(client, SCORE, {"firm": firm})
    backtest = await gql(client, BACKTEST, {"id": first["id"], "asOf": OBS})
    assert "errors" not in backtest, backtest
    report = backtest["data"]["modelBacktest"]
    assert report["basis"] == "RESCORED" and report["complete"] and report["basisLabel"]
    assert report["modelVersion"] == {"id": first["id"]}
    assert report["count"] > 200 and 0 < report["defaults"] < report["count"]

    body = await gql(client, COMPARE, {"a": first["id"], "b": second["id"], "asOf": OBS})
    assert "errors" not in body, body
    cmp = body["data"]["modelComparison"]
    assert cmp["asOf"] == OBS and cmp["horizonMonths"] == 12 and cmp["complete"]
    assert cmp["count"] == report["count"] and cmp["defaults"] == report["defaults"]
    assert cmp["psi"] >= 0 and cmp["psiBand"] in ("STABLE", "INVESTIGATE", "SHIFTED")
    a, b = cmp["a"], cmp["b"]
    assert (a["modelVersion"]["name"], b["modelVersion"]["name"]) == ("scorecard", "catboost")
    for side in (a, b):
        assert 0.5 < side["auc"] <= 1.0
        assert side["gini"] == pytest.approx(2 * side["auc"] - 1, abs=1e-5)
        assert sum(g["count"] for g in side["calibration"]) == cmp["count"]
        assert sum(g["defaults"] for g in side["calibration"]) == cmp["defaults"]
    assert a["validationAuc"] == first["metrics"]["overall"]["auc"]
    assert a["outOfTimeAuc"] is None and b["validationAuc"] == second["metrics"]["overall"]["auc"]
    assert a["inSample"] and b["inSample"]  # both were trained on OBS
    default_day = await gql(client, COMPARE, {"a": first["id"], "b": second["id"], "asOf": None})
    assert default_day["data"]["modelComparison"]["asOf"] == OBS  # latest observed window
    same = await gql(client, COMPARE, {"a": first["id"], "b": first["id"], "asOf": OBS})
    assert _codes(same) == {"INVALID_INPUT"}
    missing = await gql(
        client, COMPARE, {"a": first["id"], "b": to_base64("ModelVersion", 999), "asOf": OBS}
    )
    assert _codes(missing) == {"NOT_FOUND"}


async def test_a_window_the_book_has_not_observed_is_refused(
    db: Any, client: httpx.AsyncClient
) -> None:
    await seed_synthetic(120, seed=17)
    job = await _train(client, asOf=["2025-12-31"])  # 12 months on: beyond the book's data
    assert job["status"] == "FAILED" and job["errorCode"] == "WINDOW_NOT_OBSERVED"
    assert "on or before 2025-06-30" in job["error"]
