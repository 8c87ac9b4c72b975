"""Benchmark: report writers - XLSX of N synthetic loan rows in constant memory.

Usage::

    .venv/bin/python benchmarks/reports.py                  # 100,000 and 200,000 rows
    .venv/bin/python benchmarks/reports.py --rows 50000     # 50,000 and 100,000 rows
    .venv/bin/python benchmarks/reports.py --part xlsx

Part ``xlsx``: for N and 2N rows, a fresh subprocess writes one table of N loan rows (an
async generator: id, firm, product, branch, balance, rate, DPD, class, disbursed,
updated) through ``write_report(..., "xlsx", ...)`` to a temporary file, and reports the
rows per second, the peak resident memory the write added over the process's baseline
(``ru_maxrss`` after the imports and a warm-up report) and the peak of Python's own
allocations (``tracemalloc``, a second run: it slows the writer). Constant memory means
the 2N/N ratio of both peaks is about 1 (target <= 1.2), whatever N.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from smecredit.sdk.reports import ReportColumn, ReportDocument, Table
from smecredit.services.reports.formats import Cover, write_report

TARGET_MEMORY_RATIO = 1.2
COLUMNS = (
    ReportColumn("loan_id", "贷款编号", "Loan"),
    ReportColumn("firm", "企业", "Firm"),
    ReportColumn("product", "产品", "Product"),
    ReportColumn("branch", "机构", "Branch"),
    ReportColumn("balance", "余额", "Balance", "money"),
    ReportColumn("rate", "利率", "Rate", "percent"),
    ReportColumn("dpd", "逾期天数", "DPD", "int"),
    ReportColumn("class", "五级分类", "Class"),
    ReportColumn("disbursed", "放款日", "Disbursed", "date"),
    ReportColumn("updated", "更新时间", "Updated", "datetime"),
)
_PRODUCTS = ("经营贷", "税易贷", "科创贷", "供应链贷")
_CLASSES = ("正常", "关注", "次级", "可疑", "损失")
_COVER = Cover(
    title="贷款明细",
    report_name="loan_detail",
    parameters=(("统计日", "2026-11-30"),),
    generated_at=dt.datetime(2026, 12, 1, tzinfo=dt.UTC),
    generated_by="benchmark",
)


async def loan_rows(count: int, seed: int = 7) -> AsyncIterator[tuple[Any, ...]]:
    """``count`` synthetic loan rows, generated as they are read (nothing kept)."""
    rng = random.Random(seed)
    start = dt.date(2023, 1, 1)
    for i in range(count):
        yield (
            f"LN{i:08d}",
            f"杭州第{i % 50_000}号科技有限公司",
            _PRODUCTS[i % len(_PRODUCTS)],
            f"BR{i % 40:03d}",
            Decimal(rng.randrange(1_000_000, 1_000_000_000)) / 100,
            Decimal(rng.randrange(300, 1200)) / 10_000,
            rng.choice((0, 0, 0, 0, 5, 35, 95)),
            _CLASSES[min(i % 23, 4)],
            start + dt.timedelta(days=i % 1000),
            dt.datetime(2026, 11, 30, 17, 0, 0) + dt.timedelta(seconds=i % 86_400),
        )


async def _nothing() -> None:
    return None


async def write_xlsx(count: int, path: Path) -> float:
    """Write ``count`` rows to ``path``; the seconds it took."""
    document = ReportDocument((Table("loans", "贷款明细", "Loans", COLUMNS, loan_rows(count)),))
    began = time.perf_counter()
    with path.open("wb") as out:
        await write_report(document, "xlsx", out, cover=_COVER, language="zh", checkpoint=_nothing)
    return time.perf_counter() - began


def _rss_mib() -> float:
    # ru_maxrss is in KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def child(count: int, traced: bool) -> dict[str, float]:
    """One measurement in this (fresh) process."""
    with tempfile.TemporaryDirectory() as tmp:
        await write_xlsx(1_000, Path(tmp) / "warm.xlsx")
        baseline = _rss_mib()
        if traced:
            tracemalloc.start()
        seconds = await write_xlsx(count, Path(tmp) / "loans.xlsx")
        out = {
            "seconds": seconds,
            "rss_added_mib": _rss_mib() - baseline,
            "bytes": (Path(tmp) / "loans.xlsx").stat().st_size,
        }
        if traced:
            out["traced_peak_mib"] = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
    return out


def _run_child(count: int, traced: bool) -> dict[str, float]:
    args = [sys.executable, __file__, "--child", str(count)] + (["--traced"] if traced else [])
    done = subprocess.run(args, check=True, capture_output=True, text=True)
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def part_xlsx(rows: int) -> None:
    """XLSX of N and 2N rows: rows per second and peak memory, and the 2N/N ratios."""
    measured = []
    for count in (rows, 2 * rows):
        speed = _run_child(count, traced=False)
        memory = _run_child(count, traced=True)
        measured.append((count, speed, memory))
        print(
            f"xlsx N={count:,}: {speed['seconds']:.1f}s, {count / speed['seconds']:,.0f} rows/s, "
            f"{speed['bytes'] / 2**20:.1f} MiB file | peak RSS added "
            f"{speed['rss_added_mib']:.1f} MiB | tracemalloc peak "
            f"{memory['traced_peak_mib']:.1f} MiB",
            flush=True,
        )
    (_, small, small_mem), (_, large, large_mem) = measured
    traced_ratio = large_mem["traced_peak_mib"] / small_mem["traced_peak_mib"]
    rss_ratio = max(large["rss_added_mib"], 1.0) / max(small["rss_added_mib"], 1.0)
    print(
        f"xlsx peak memory {2 * rows:,}/{rows:,} rows: tracemalloc {traced_ratio:.2f}x, "
        f"RSS added {rss_ratio:.2f}x (target <= {TARGET_MEMORY_RATIO:g}: flat)",
        flush=True,
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="N (2N is run too)")
    parser.add_argument("--part", choices=("xlsx", "all"), default="all")
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--traced", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        print(json.dumps(asyncio.run(child(args.child, args.traced))))
        return 0
    if args.part in ("xlsx", "all"):
        part_xlsx(args.rows)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
