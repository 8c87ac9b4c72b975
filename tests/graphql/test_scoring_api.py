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
    id status total done progress
  }
}"""
JOB = """
query($id: ID!) {
  scoringJob(id: $id) {
    id status total done progress error errorCode
    modelVersion { id name version status fingerprint metrics modelCard createdBy }
  }
}"""
# The synthetic book's honest features are strong by design (IV near 1), so the leakage
# guard flags them: these tests acknowledge; test_leakage_* checks the refusal.
PROMOTE = """
mutation($id: ID!, $to: String!, $reason: String!) {
  promoteModel(id: $id, to: $to, reason: $reason, acknowledgeLeakage: true) {
    id status promotions { fromStatus toStatus action actor reason }
  }
}"""
PROMOTE_CHECKED = """
mutation($id: ID!, $reason: String!, $ack: Boolean!) {
  promoteModel(id: $id, to: "champion", reason: $reason, acknowledgeLeakage: $ack) {
    id status leakageAcknowledgement { by reason }
  }
}"""
FLAGS = """
query($id: ID!) {
  modelVersion(id: $id) {
    leakageFlags { kind feature value threshold message } leakageAcknowledgement { by }
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
  modelBacktest(modelVersionId: $id, asOf: $asOf) { basis count defaults complete grades { grade } }
}"""
ROLLBACK = """
mutation($reason: String!) {
  rollbackModel(use: "application", reason: $reason) { id status version }
}"""
SCORE = """
mutation($firm: ID!) {
  scoreFirm(firmId: $firm) { modelName modelVersion probabilityOfDefault points grade reasons }
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
  modelDrift(modelVersionId: $id) { modelVersionId scored psi band features { feature csi band } }
}"""


def _codes(body: dict[str, Any]) -> set[str]:
    return {e.get("extensions", {}).get("code") for e in body.get("errors") or []}


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
    assert started["status"] in ("queued", "running")
    assert started["total"] == folds + 1
    assert started["done"] == 0
    seen_progress = [started["progress"]]
    deadline = time.monotonic() + 120
    while True:
        polled = await gql(client, JOB, {"id": started["id"]})
        assert "errors" not in polled, polled
        job = polled["data"]["scoringJob"]
        seen_progress.append(job["progress"])
        if job["status"] in ("succeeded", "failed"):
            break
        assert time.monotonic() < deadline, "training job did not finish"
        await asyncio.sleep(0.02)
    assert seen_progress == sorted(seen_progress)  # progress never goes backwards
    return job  # type: ignore[no-any-return]


async def _trained_version(client: httpx.AsyncClient, **kw: Any) -> dict[str, Any]:
    job = await _train(client, **kw)
    assert job["status"] == "succeeded", job
    assert job["progress"] == 1.0 and job["done"] == job["total"]
    return job["modelVersion"]  # type: ignore[no-any-return]


async def test_train_promote_rollback_with_audit(
    db: Any, client: httpx.AsyncClient, client_for: Callable[..., Awaitable[httpx.AsyncClient]]
) -> None:
    await seed_synthetic(N_FIRMS, seed=11)
    first = await _trained_version(client)
    assert first["status"] == "candidate" and first["name"] == "scorecard"
    assert 0.5 < first["metrics"]["overall"]["auc"] <= 1.0
    assert first["modelCard"]["data"]["rows"] > 0
    assert len(first["fingerprint"]) == 64
    assert first["createdBy"] == client.username  # type: ignore[attr-defined]
    second = await _trained_version(client, model="catboost", options={"iterations": 60})
    assert second["name"] == "catboost"

    # four eyes: the trainer does not promote, and a promotion needs a reason
    body = await gql(client, PROMOTE, {"id": first["id"], "to": "champion", "reason": "mine"})
    assert _codes(body) == {"FOUR_EYES"}
    assert "trainer-promotes" in body["errors"][0]["message"]
    validator = await client_for("admin")
    body = await gql(validator, PROMOTE, {"id": first["id"], "to": "champion", "reason": " "})
    assert _codes(body) == {"REASON_REQUIRED"}
    body = await gql(validator, PROMOTE, {"id": first["id"], "to": "champion", "reason": "first"})
    assert body["data"]["promoteModel"]["status"] == "champion"
    body = await gql(validator, PROMOTE, {"id": second["id"], "to": "champion", "reason": "better"})
    promoted = body["data"]["promoteModel"]
    assert promoted["status"] == "champion"
    assert promoted["promotions"][-1] == {
        "fromStatus": "candidate",
        "toStatus": "champion",
        "action": "promote",
        "actor": validator.username,  # type: ignore[attr-defined]
        "reason": "better",
    }
    body = await gql(client, '{ champion(use: "application") { id } }')
    assert body["data"]["champion"]["id"] == second["id"]
    body = await gql(client, '{ models(status: "retired") { id } }')
    assert [m["id"] for m in body["data"]["models"]] == [first["id"]]

    body = await gql(client, ROLLBACK, {"reason": "drift"})
    assert body["data"]["rollbackModel"]["id"] == first["id"]
    assert body["data"]["rollbackModel"]["status"] == "champion"
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
    body = await gql(client, PROMOTE, {"id": second["id"], "to": "champion", "reason": ""})
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
    await gql(validator, PROMOTE, {"id": version["id"], "to": "champion", "reason": "go"})
    scores = []
    for _ in range(3):
        body = await gql(client, SCORE, {"firm": firm})
        assert "errors" not in body, body
        scores.append(body["data"]["scoreFirm"])
    score = scores[0]
    assert score["modelName"] == "scorecard" and score["modelVersion"] == version["version"]
    assert 0 < score["probabilityOfDefault"] < 1
    assert score["grade"] in "ABCDEFG"
    assert isinstance(score["reasons"], list)
    assert all(r["contribution"] > 0 and r["text_en"] for r in score["reasons"])
    assert await models.Score.filter(firm_id=sorted(ids.values())[0]).count() == 3

    page = (await gql(client, HISTORY, {"firm": firm, "first": 2}))["data"]["scoreHistory"]
    assert len(page["edges"]) == 2 and page["pageInfo"]["hasNextPage"]
    rest = await gql(
        client, HISTORY, {"firm": firm, "first": 2, "after": page["pageInfo"]["endCursor"]}
    )
    tail = rest["data"]["scoreHistory"]
    assert len(tail["edges"]) == 1 and not tail["pageInfo"]["hasNextPage"]
    times = [e["node"]["computedAt"] for e in page["edges"] + tail["edges"]]
    assert times == sorted(times, reverse=True)

    body = await gql(client, DRIFT, {"id": version["id"]})
    drift = body["data"]["modelDrift"]
    assert drift["scored"] == 1 and drift["psi"] is not None and drift["psi"] >= 0
    assert drift["band"] in ("stable", "investigate", "shifted")
    assert drift["features"] and all(f["band"] for f in drift["features"])
    body = await gql(client, DRIFT, {"id": to_base64("ModelVersion", 999)})
    assert _codes(body) == {"NOT_FOUND"}
    body = await gql(client, HISTORY, {"firm": _firm_gid(10_000_000)})
    assert _codes(body) == {"NOT_FOUND"}


async def test_failed_job_reports_its_error(db: Any, client: httpx.AsyncClient) -> None:
    await seed_synthetic(20, seed=13)
    job = await _train(client, model="scorecard", folds=5)
    assert job["status"] == "failed"
    assert job["errorCode"] in ("TOO_FEW_DEFAULTS", "EMPTY_TRAINING_DATA")
    assert job["error"] and job["modelVersion"] is None
    body = await gql(client, TRAIN, {"model": "nope", "asOf": [OBS], "folds": 2, "options": None})
    assert _codes(body) == {"UNKNOWN_MODEL"}
    body = await gql(client, JOB, {"id": "no-such-job"})
    assert body["data"]["scoringJob"] is None


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
    await gql(validator, PROMOTE, {"id": vid, "to": "champion", "reason": "go"})

    body = await gql(
        anon_client, TRAIN, {"model": "scorecard", "asOf": [OBS], "folds": 2, "options": None}
    )
    assert _codes(body) == {"UNAUTHENTICATED"}
    body = await gql(anon_client, "{ models { id } }")
    assert _codes(body) == {"UNAUTHENTICATED"}

    officer = await client_for("loan_officer")
    body = await gql(
        officer, TRAIN, {"model": "scorecard", "asOf": [OBS], "folds": 2, "options": None}
    )
    assert _codes(body) == {"FORBIDDEN"}
    body = await gql(officer, PROMOTE, {"id": vid, "to": "retired", "reason": "x"})
    assert _codes(body) == {"FORBIDDEN"}
    body = await gql(officer, ROLLBACK, {"reason": "x"})
    assert _codes(body) == {"FORBIDDEN"}
    firm_id = sorted(ids.values())[0]
    body = await gql(officer, SCORE, {"firm": _firm_gid(firm_id)})
    assert "errors" not in body, body  # officers score firms of their branch (HQ sees all)

    analyst = await client_for("risk_analyst")
    body = await gql(analyst, PROMOTE, {"id": vid, "to": "challenger", "reason": "shadow"})
    assert body["data"]["promoteModel"]["status"] == "challenger"

    internals = "{ models { name metrics modelCard } }"
    body = await gql(analyst, internals)
    assert "errors" not in body and body["data"]["models"][0]["metrics"]["overall"]

    viewer = await client_for("viewer")
    body = await gql(viewer, internals)
    denied = {tuple(e["path"][-1:]) for e in body["errors"]}
    assert denied == {("metrics",), ("modelCard",)}
    assert _codes(body) == {"FORBIDDEN"}
    assert body["data"]["models"][0] == {"name": "scorecard", "metrics": None, "modelCard": None}
    body = await gql(viewer, "{ models { name status } }")
    assert "errors" not in body and body["data"]["models"][0]["name"] == "scorecard"

    partner = await client_for("partner")
    body = await gql(partner, internals)
    assert _codes(body) == {"FORBIDDEN"}
    assert body["data"] is None  # not one field of a model version: the non-null list fails
    body = await gql(partner, "{ models { metrics } }")
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
    id status total done progress
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
    assert {f["kind"] for f in flags} <= {"feature_iv", "feature_auc", "auc_jump"}

    refused = await gql(
        validator, PROMOTE_CHECKED, {"id": first["id"], "reason": "go", "ack": False}
    )
    assert _codes(refused) == {"LEAKAGE_UNACKNOWLEDGED"}
    message = refused["errors"][0]["message"]
    assert "acknowledgeLeakage: true" in message and flags[0]["message"] in message
    assert "LeakageFlag" not in message and "[<" not in message
    no_reason = await gql(
        validator, PROMOTE_CHECKED, {"id": first["id"], "reason": " ", "ack": True}
    )
    # an acknowledgement without a reason: refused before the flags are looked at
    assert _codes(no_reason) == {"REASON_REQUIRED"}, no_reason
    assert "a reason" in no_reason["errors"][0]["message"]
    assert await models.ModelVersion.filter(status="champion").count() == 0
    allowed = await gql(
        validator,
        PROMOTE_CHECKED,
        {"id": first["id"], "reason": "features checked: all dated before the date", "ack": True},
    )
    assert "errors" not in allowed, allowed
    promoted = allowed["data"]["promoteModel"]
    assert promoted["status"] == "champion"
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
    assert report["basis"] == "rescored" and report["complete"]
    assert report["count"] > 200 and 0 < report["defaults"] < report["count"]

    body = await gql(client, COMPARE, {"a": first["id"], "b": second["id"], "asOf": OBS})
    assert "errors" not in body, body
    cmp = body["data"]["modelComparison"]
    assert cmp["asOf"] == OBS and cmp["horizonMonths"] == 12 and cmp["complete"]
    assert cmp["count"] == report["count"] and cmp["defaults"] == report["defaults"]
    assert cmp["psi"] >= 0 and cmp["psiBand"] in ("stable", "investigate", "shifted")
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
    assert job["status"] == "failed" and job["errorCode"] == "WINDOW_NOT_OBSERVED"
    assert "on or before 2025-06-30" in job["error"]
