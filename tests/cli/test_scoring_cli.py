"""``smecredit model train --csv``, ``promote`` / ``rollback --as``, ``backtest`` and
``features-doc``."""

from __future__ import annotations

import asyncio
import csv
import json
import random
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from backtest_seed import AS_OF, seed_backtest
from click.testing import CliRunner
from tortoise import Tortoise
from tortoise.backends.base.executor import EXECUTOR_CACHE

from smecredit import models
from smecredit.cli.scoring import model
from smecredit.db import tortoise_config
from smecredit.domain.features import FEATURE_CODES
from smecredit.settings import load_settings

T = TypeVar("T")


def _schema(url: str) -> None:
    async def run() -> None:
        EXECUTOR_CACHE.clear()
        await Tortoise.init(config=tortoise_config(load_settings({"SMECREDIT_DATABASE_URL": url})))
        await Tortoise.generate_schemas()
        await Tortoise.close_connections()

    asyncio.run(run())


def test_train_on_a_labelled_csv_registers_a_candidate(tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path}/cli.sqlite3"
    _schema(url)
    rng = random.Random(4)
    path = tmp_path / "book.csv"
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "ratio", "segment", "target"])
        for i in range(600):
            risk = rng.gauss(0, 1)
            writer.writerow(
                [
                    i,
                    f"{risk + rng.gauss(0, 0.8):.3f}" if i % 9 else "",
                    rng.choice("XYZ"),
                    int(rng.random() < 0.08 + 0.12 * (risk > 0.8)),
                ]
            )
    env = {"SMECREDIT_DATABASE_URL": url, "SMECREDIT_PLUGINS_DISABLED": ""}
    result = CliRunner().invoke(
        model,
        [
            "train",
            "--csv",
            str(path),
            "--target",
            "target",
            "--id-column",
            "id",
            "--model",
            "scorecard",
            "--folds",
            "3",
        ],
        env=env,
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output[result.output.index("{") :])
    assert summary["version"] == "v1" and 0.5 < summary["auc"] <= 1
    listed = CliRunner().invoke(model, ["list"], env=env)
    assert "scorecard" in listed.output and "candidate" in listed.output
    missing = CliRunner().invoke(
        model, ["train", "--csv", str(path), "--model", "scorecard"], env=env
    )
    assert missing.exit_code != 0 and "--target" in missing.output


def test_features_doc_lists_every_feature(tmp_path: Path) -> None:
    out = tmp_path / "features.md"
    result = CliRunner().invoke(model, ["features-doc", "--output", str(out)])
    assert result.exit_code == 0
    text = out.read_text(encoding="utf-8")
    assert all(f"`{code}`" in text for code in FEATURE_CODES)


def _run(url: str, work: Callable[[], Awaitable[T]]) -> T:
    """Run ``work`` against the database at ``url`` (outside the command)."""

    async def run() -> T:
        EXECUTOR_CACHE.clear()
        await Tortoise.init(config=tortoise_config(load_settings({"SMECREDIT_DATABASE_URL": url})))
        try:
            return await work()
        finally:
            await Tortoise.close_connections()

    return asyncio.run(run())


def test_promote_and_rollback_act_as_a_named_account(tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path}/cli.sqlite3"
    _schema(url)

    async def seed() -> None:
        for name, roles, active in (
            ("ana", ["risk_analyst"], True),
            ("olga", ["loan_officer"], True),
            ("gone", ["admin"], False),
        ):
            await models.User.create(
                username=name, password_hash="x", roles=roles, branch_code="HQ", active=active
            )
        for n in (1, 2):
            await models.ModelVersion.create(
                name="scorecard", version=f"v{n}", training_fingerprint="0" * 64, created_by="t"
            )
        await models.ModelVersion.create(
            name="scorecard",
            version="v3",
            training_fingerprint="0" * 64,
            created_by="t",
            leakage_flags=[
                {
                    "kind": "feature_auc",
                    "feature": "late_instalments",
                    "value": 0.93,
                    "threshold": 0.85,
                    "message": "feature late_instalments alone reaches an AUC of 0.930",
                }
            ],
        )

    _run(url, seed)
    env = {"SMECREDIT_DATABASE_URL": url}
    runner = CliRunner()

    def invoke(*args: str) -> tuple[int, str]:
        EXECUTOR_CACHE.clear()
        result = runner.invoke(model, list(args), env=env)
        return result.exit_code, result.output

    code, out = invoke("promote", "1")
    assert code == 2 and "--as" in out
    for who, error in (("nobody", "USER_NOT_FOUND"), ("gone", "USER_DISABLED")):
        code, out = invoke("promote", "1", "--as", who)
        assert code == 1 and error in out, out
    code, out = invoke("promote", "1", "--as", "olga")
    assert code == 1 and "FORBIDDEN" in out and "risk analyst" in out
    code, out = invoke("rollback", "--as", "olga")
    assert code == 1 and "FORBIDDEN" in out

    code, out = invoke("promote", "1", "--as", "ana", "--reason", "first")
    assert code == 0 and "scorecard v1 (id 1) is now champion" in out, out
    code, out = invoke("promote", "2", "--as", "ana")
    assert code == 1 and "REASON_REQUIRED" in out, out
    code, out = invoke("promote", "2", "--as", "ana", "--reason", "better")
    assert code == 0 and "now champion" in out
    code, out = invoke("rollback", "--as", "ana", "--reason", "drift")
    assert code == 0 and "application champion is scorecard v1 (id 1) again" in out, out
    code, out = invoke("promote", "99", "--as", "ana")
    assert code == 1 and "NOT_FOUND" in out
    code, out = invoke("promote", "1", "--as", "ana", "--to", "champion")
    assert code == 1 and "CONFLICT" in out
    code, out = invoke("promote", "3", "--as", "ana", "--to", "challenger", "--reason", "x")
    assert code == 1 and "LEAKAGE_UNACKNOWLEDGED" in out and "late_instalments alone" in out
    code, out = invoke(
        "promote", "3", "--as", "ana", "--to", "challenger", "--acknowledge-leakage",
        "--reason", "checked: recorded before the observation date",
    )  # fmt: skip
    assert code == 0 and "now challenger" in out, out

    async def read() -> tuple[dict[int, str], set[str], set[str], list[str]]:
        statuses = dict(await models.ModelVersion.all().values_list("id", "status"))
        actors = set(await models.ModelPromotion.all().values_list("actor", flat=True))
        audited = set(
            await models.AuditLog.filter(action__startswith="model.").values_list(
                "actor", flat=True
            )
        )
        promotions = models.ModelPromotion.all().order_by("id")
        reasons = list(await promotions.values_list("reason", flat=True))
        return statuses, actors, audited, reasons  # type: ignore[return-value]

    statuses, actors, audited, reasons = _run(url, read)
    assert statuses == {1: "champion", 2: "retired", 3: "challenger"}
    assert actors == {"ana"} and audited == {"ana"}
    assert reasons[0] == "first" and reasons[-2] == "drift"
    ack = _run(url, lambda: models.ModelVersion.get(id=3).values("leakage_acknowledgement"))
    assert ack["leakage_acknowledgement"]["by"] == "ana"  # type: ignore[index]


def test_backtest_prints_grades_in_scale_order(tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path}/cli.sqlite3"
    _schema(url)
    version = _run(url, seed_backtest)
    env = {"SMECREDIT_DATABASE_URL": url}
    EXECUTOR_CACHE.clear()
    result = CliRunner().invoke(
        model, ["backtest", str(version.id), "--as-of", AS_OF.isoformat()], env=env
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "up to 2026-01-31 (complete)" in lines[0]
    rows = {line.split()[0]: line.split() for line in lines[2:]}
    assert list(rows) == ["LOW", "HIGH", "all"]
    assert rows["LOW"][1:3] == ["10", "1"] and rows["HIGH"][1:3] == ["10", "4"]
    assert rows["HIGH"][3:5] == ["20.0000%", "40.0000%"]
    assert rows["all"][1:3] == ["20", "5"]
    EXECUTOR_CACHE.clear()
    bad = CliRunner().invoke(
        model,
        ["backtest", str(version.id), "--as-of", AS_OF.isoformat(), "--horizon", "0"],
        env=env,
    )
    assert bad.exit_code == 1 and "INVALID_INPUT: horizon_months" in bad.output


def test_score_all_in_worker_processes_reports_progress(tmp_path: Path) -> None:
    from scoring_seed import seed_synthetic
    from smecredit_model_catboost.model import CatBoostModel
    from smecredit_source_synthetic.generator import observation_date

    from smecredit.cli.scoring import score
    from smecredit.security.principal import Principal
    from smecredit.services.scoring import registry
    from smecredit.services.scoring.features import book_training_data
    from smecredit.services.scoring.training import train_and_validate

    url = f"sqlite://{tmp_path}/cli.sqlite3"
    _schema(url)

    async def seed() -> None:
        await seed_synthetic(150, seed=21)
        data = await book_training_data([observation_date()])
        options = {"iterations": 40, "depth": 3}
        result = train_and_validate(CatBoostModel(), data, folds=2, options=options)
        version = await registry.register_version("catboost", result, created_by="trainer")
        await registry.promote(
            version.id,
            actor=Principal(1, "t", ("admin",), "HQ"),
            reason="test",
            acknowledge_leakage=bool(version.leakage_flags),
        )

    _run(url, seed)
    EXECUTOR_CACHE.clear()
    args = ["--all", "--batch-size", "40", "--workers", "2", "--as-of", "2026-06-30"]
    result = CliRunner().invoke(score, args, env={"SMECREDIT_DATABASE_URL": url})
    assert result.exit_code == 0, result.output
    assert "150 firms scored" in result.output
    assert "scored 150/150" in result.output  # progress, batch by batch
    assert _run(url, lambda: models.Score.all().count()) == 150
    bad = CliRunner().invoke(score, ["--all", "--workers", "-1"], env={})
    assert bad.exit_code == 2 and "--workers" in bad.output
