"""Benchmark: importing firms through the pipeline vs a raw executemany of the same rows.

Usage::

    python benchmarks/ingest.py [--rows 100000] [--batch-size 1000] [--no-memory]

Writes a CSV of N firm records (synthetic, each with a legal representative), then in the
same process:

(a) imports it through the whole pipeline - files source -> clean -> validate -> integrate
    (persons encrypted, blind-indexed, firms merged by USCC) - into a fresh SQLite DB;
(b) loads the same rows with the least work that yields the same tables: csv.reader, type
    conversion, person encryption and blind index (the columns need them), and one raw
    ``executemany`` per table in one transaction - into another fresh SQLite DB.

Prints both times, rows/s and the ratio (target <= 4), checks both DBs hold the same rows,
then measures the pipeline's memory for N and 2N rows in fresh child processes (tracemalloc
peak during the import, and the process's peak RSS) to show that it stays flat as the file
grows.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import datetime as dt
import random
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from decimal import Decimal
from pathlib import Path
from typing import Any

from tortoise import Tortoise
from tortoise.transactions import in_transaction

COLUMNS = [
    "uscc", "name", "industry_code", "region_code", "established_on", "registered_capital",
    "employees", "status", "branch_code", "representative.name", "representative.id_number",
    "representative.phone", "source", "fetched_at",
]  # fmt: skip
_POOL = 500


def write_csv(path: Path, rows: int, seed: int = 42) -> None:
    """N firm rows: a pool of generated firms, re-issued with fresh USCCs and ID numbers."""
    from smecredit_source_synthetic.generator import generate_portfolio
    from smecredit_source_synthetic.identities import make_id_number, make_org_code, make_uscc

    pool = [r for k, r in generate_portfolio(min(rows, _POOL), seed=seed) if k == "firm"]
    rng = random.Random(seed)
    usccs: set[str] = set()
    ids: set[str] = set()
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(COLUMNS)
        for index in range(rows):
            firm = pool[index % len(pool)]
            uscc, id_number = firm["uscc"], firm["representative"]["id_number"]
            if index >= len(pool):
                while uscc in usccs:
                    org = make_org_code(rng, issued_after_2015=True)
                    uscc = make_uscc("9", uscc[1], firm["region_code"], org)
                while id_number in ids:
                    birth = dt.date(1960, 1, 1) + dt.timedelta(days=rng.randint(0, 14_000))
                    id_number = make_id_number(rng, id_number[:6], birth, male=rng.random() < 0.7)
            usccs.add(uscc)
            ids.add(id_number)
            rep = firm["representative"]
            writer.writerow([
                uscc, firm["name"], firm["industry_code"], firm["region_code"],
                firm["established_on"], firm["registered_capital"], firm["employees"],
                firm["status"], firm["branch_code"], rep["name"], id_number, rep["phone"],
                "files", firm["fetched_at"],
            ])  # fmt: skip


async def _open(db_path: Path) -> None:
    await Tortoise.init(
        config={
            "connections": {"default": f"sqlite://{db_path}?journal_mode=WAL"},
            "apps": {"smecredit": {"models": ["smecredit.models"]}},
            "use_tz": True,
            "timezone": "UTC",
        }
    )
    await Tortoise.generate_schemas()


async def _counts() -> tuple[int, int]:
    from smecredit import models

    return await models.Firm.all().count(), await models.Person.all().count()


async def pipeline(
    csv_path: Path, db_path: Path, batch_size: int
) -> tuple[float, Any, tuple[int, int]]:
    """(a) The files source through run_sync; returns seconds, the result, table counts."""
    from smecredit_source_files.plugin import FileSource

    from smecredit.services.ingestion.sync import run_sync

    await _open(db_path)
    try:
        start = time.perf_counter()
        # The ingestion alone: the rescoring and warning refresh after it is a separate job.
        result = await run_sync(
            FileSource(), path=csv_path, kind="firm", batch_size=batch_size, refresh=False
        )
        elapsed = time.perf_counter() - start
        return elapsed, result, await _counts()
    finally:
        await Tortoise.close_connections()


async def raw(csv_path: Path, db_path: Path) -> tuple[float, tuple[int, int]]:
    """(b) The least work that fills the same tables: parse, convert, encrypt, executemany."""
    from smecredit.services.persons import encrypt_person_fields, new_key_ref

    await _open(db_path)
    try:
        start = time.perf_counter()
        now = dt.datetime.now(dt.UTC)
        people: list[list[Any]] = []
        firms: list[list[Any]] = []
        with csv_path.open(encoding="utf-8", newline="") as stream:
            reader = csv.reader(stream)
            next(reader)
            for row in reader:
                enc = encrypt_person_fields(
                    {"name": row[9], "id_number": row[10], "phone": row[11]}, new_key_ref()
                )
                people.append([enc["name"], enc["id_number"], enc["phone"],
                               enc["id_number_index"], enc["key_ref"], now, now, 1])  # fmt: skip
                firms.append([row[0], row[1], row[2], row[3], dt.date.fromisoformat(row[4]),
                              Decimal(row[5]), int(row[6]), row[7], row[8], enc["id_number_index"],
                              now, now, 1])  # fmt: skip
        async with in_transaction() as conn:
            await conn.execute_many(
                "INSERT INTO person (name, id_number, phone, id_number_index, key_ref, "
                "created_at, updated_at, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                people,
            )
            ids = {
                r["id_number_index"]: r["id"]
                for r in await conn.execute_query_dict("SELECT id, id_number_index FROM person")
            }
            for firm in firms:
                firm[9] = ids[firm[9]]
            await conn.execute_many(
                "INSERT INTO firm (uscc, name, industry_code, region_code, established_on, "
                "registered_capital, employees, status, branch_code, representative_id, "
                "created_at, updated_at, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                firms,
            )
        elapsed = time.perf_counter() - start
        return elapsed, await _counts()
    finally:
        await Tortoise.close_connections()


def _peak_rss_mb() -> float:
    # ru_maxrss is KiB on Linux, bytes on macOS.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _probe(csv_path: Path, batch_size: int) -> None:
    """Child process: import the file through the pipeline, print the peak RSS."""
    import smecredit_source_files.plugin  # noqa: F401 - imported before the baseline

    import smecredit.services.ingestion.sync  # noqa: F401

    with tempfile.TemporaryDirectory() as tmp:
        before = _peak_rss_mb()
        # tracemalloc sees what the import itself allocates; the RSS peak is mostly the
        # interpreter and libraries loaded before it.
        tracemalloc.start()
        elapsed, result, _ = asyncio.run(pipeline(csv_path, Path(tmp) / "p.sqlite3", batch_size))
        traced_peak = tracemalloc.get_traced_memory()[1] / (1024 * 1024)
        tracemalloc.stop()
        print(
            f"{before:.1f} {_peak_rss_mb():.1f} {elapsed:.2f} {result.accepted} {traced_peak:.1f}"
        )


def _measure_memory(csv_path: Path, batch_size: int) -> tuple[float, float, float, int, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--probe", str(csv_path), "--batch-size", str(batch_size)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return float(out[0]), float(out[1]), float(out[2]), int(out[3]), float(out[4])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--no-memory", action="store_true", help="skip the N / 2N memory probe")
    parser.add_argument("--probe", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.probe is not None:
        _probe(args.probe, args.batch_size)
        return
    rows = args.rows
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "firms.csv"
        start = time.perf_counter()
        write_csv(csv_path, rows)
        size_mb = csv_path.stat().st_size / 1e6
        took = time.perf_counter() - start
        print(f"CSV: {rows:,} firm rows, {size_mb:.1f} MB (written in {took:.1f}s)")
        piped, result, piped_counts = asyncio.run(
            pipeline(csv_path, Path(tmp) / "pipeline.sqlite3", args.batch_size)
        )
        raw_s, raw_counts = asyncio.run(raw(csv_path, Path(tmp) / "raw.sqlite3"))
        print(f"(a) pipeline   : {piped:7.2f}s  {rows / piped:9,.0f} rows/s  ({result})")
        print(f"(b) executemany: {raw_s:7.2f}s  {rows / raw_s:9,.0f} rows/s")
        print(f"ratio (a)/(b)  : {piped / raw_s:.2f}  (target <= 4)")
        print(f"rows: pipeline firms/persons {piped_counts}, raw {raw_counts}")
        if piped_counts != raw_counts or result.accepted != rows:
            print("MISMATCH: the two loads did not produce the same rows", file=sys.stderr)
            sys.exit(1)
        if args.no_memory:
            return
        double = Path(tmp) / "firms2.csv"
        write_csv(double, 2 * rows)
        for n, path in ((rows, csv_path), (2 * rows, double)):
            base, peak, elapsed, accepted, traced = _measure_memory(path, args.batch_size)
            print(
                f"{n:>9,} rows: traced peak during import {traced:6.1f} MB, process peak RSS "
                f"{peak:.1f} MB (before import {base:.1f} MB); {accepted:,} accepted in "
                f"{elapsed:.1f}s (slowed by tracemalloc)"
            )


if __name__ == "__main__":
    main()
