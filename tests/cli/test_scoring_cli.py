"""``smecredit model train --csv`` and ``smecredit model features-doc``."""

from __future__ import annotations

import asyncio
import csv
import json
import random
from pathlib import Path

from click.testing import CliRunner
from tortoise import Tortoise
from tortoise.backends.base.executor import EXECUTOR_CACHE

from smecredit.cli.scoring import model
from smecredit.db import tortoise_config
from smecredit.domain.features import FEATURE_CODES
from smecredit.settings import load_settings


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
