"""Benchmark: reports - the five-category distribution and PAR against raw SQL, and XLSX
of N synthetic loan rows in constant memory.

Usage::

    .venv/bin/python benchmarks/reports.py                  # 100,000 and 200,000 rows
    .venv/bin/python benchmarks/reports.py --rows 50000     # 50,000 and 100,000 rows
    .venv/bin/python benchmarks/reports.py --part xlsx
    .venv/bin/python benchmarks/reports.py --part book --loans 100000

Part ``book``: a fresh SQLite file with N loans (50,000 firms, classes and days past due
spread as in a real book), then the five-category distribution and PAR 30/60/90 as the
report plugin computes them (``five_category_and_par`` through the engine's context: the
loans dataset, its joins, row scope and field policy, one GROUP BY) against one raw SQL
aggregate of the same figures on the loan table; best of three each, and the ratio
(target <= 3).

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
#: The report's figures against one raw SQL aggregate of the same figures.
TARGET_BOOK_RATIO = 3.0
BOOK_DAY = dt.date(2026, 6, 30)
#: (class, share of loans, days past due range) of the seeded book.
BOOK_CLASSES = (
    ("normal", 0.86, (0, 0)),
    ("special_mention", 0.07, (1, 89)),
    ("substandard", 0.03, (90, 180)),
    ("doubtful", 0.02, (181, 360)),
    ("loss", 0.02, (361, 720)),
)
#: The baseline: per class, the count and balance, and the balances past 30, 60 and 90 days.
RAW_BOOK_SQL = (
    "SELECT classification, COUNT(*) AS loans,"
    " SUM(CAST(outstanding_principal AS NUMERIC)) AS balance,"
    " SUM(CASE WHEN days_past_due > 30 THEN CAST(outstanding_principal AS NUMERIC) END) AS p30,"
    " SUM(CASE WHEN days_past_due > 60 THEN CAST(outstanding_principal AS NUMERIC) END) AS p60,"
    " SUM(CASE WHEN days_past_due > 90 THEN CAST(outstanding_principal AS NUMERIC) END) AS p90"
    " FROM loan WHERE CAST(outstanding_principal AS NUMERIC) > 0 GROUP BY classification"
)
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


def _book_class(pick: float) -> tuple[str, int, int]:
    """The class and days-past-due range a uniform ``pick`` in [0, 1) falls on."""
    acc = 0.0
    for name, share, (low, high) in BOOK_CLASSES:
        acc += share
        if pick <= acc:
            return name, low, high
    name, _, (low, high) = BOOK_CLASSES[-1]
    return name, low, high


async def _seed_book(n_loans: int, rng: random.Random) -> None:
    from tortoise.transactions import in_transaction

    from smecredit.domain.identity import uscc_check_char

    stamp = "2026-01-01 00:00:00+00:00"
    n_firms = max(1, n_loans // 2)
    async with in_transaction() as tx:
        await tx.execute_many(
            "INSERT INTO firm (id, created_at, updated_at, version, uscc, name, industry_code,"
            " region_code, status, branch_code) VALUES (?, ?, ?, 1, ?, ?, 'C13', '110000',"
            " 'active', ?)",
            [
                [i, stamp, stamp, (b := f"91110000{i:09d}") + uscc_check_char(b), f"Firm {i}",
                 f"B0{i % 4}"]
                for i in range(1, n_firms + 1)
            ],
        )  # fmt: skip
        rows = []
        for loan_id in range(1, n_loans + 1):
            name, low, high = _book_class(rng.random())
            amount = f"{rng.choice((60_000, 120_000, 300_000, 800_000))}.00"
            balance = f"{Decimal(amount) * Decimal(rng.randint(10, 100)) / 100:.2f}"
            firm_id = rng.randint(1, n_firms)
            start = BOOK_DAY - dt.timedelta(days=rng.randint(30, 700))
            rows.append(
                [loan_id, stamp, stamp, f"BM{loan_id:09d}", amount, name, rng.randint(low, high),
                 balance, f"B0{firm_id % 4}", 3 if name in ("substandard", "doubtful", "loss")
                 else 1, firm_id, start.isoformat()]
            )  # fmt: skip
        await tx.execute_many(
            "INSERT INTO loan (id, created_at, updated_at, version, loan_ref, product, principal,"
            " annual_rate, term_months, repayment_method, purpose, guarantee_type, status,"
            " classification, days_past_due, outstanding_principal, branch_code, credit_balance,"
            " ifrs9_stage, classification_overridden, firm_id, disbursed_on)"
            " VALUES (?, ?, ?, 1, ?, 'SME-WC', ?, '0.12', 12, 'equal_principal', '', 'credit',"
            " 'active', ?, ?, ?, ?, '0', ?, 0, ?, ?)",
            rows,
        )


async def _best_of(runs: int, work: Any) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(runs):
        started = time.perf_counter()
        result = await work()
        best = min(best, time.perf_counter() - started)
    return best, result


async def part_book(n_loans: int) -> None:
    """Five-category distribution + PAR through the report context vs one raw SQL aggregate."""
    from smecredit_reports_core.book import five_category_and_par
    from smecredit_reports_core.layout import outstanding
    from tortoise import Tortoise, connections

    from smecredit.security.policy import PolicyStore, parse_policy_text, set_policy_store
    from smecredit.security.principal import Principal
    from smecredit.services.reports.context import EngineContext

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "book.sqlite3"
        await Tortoise.init(
            config={
                "connections": {"default": f"sqlite://{path}?journal_mode=WAL"},
                "apps": {
                    "smecredit": {"models": ["smecredit.models"], "default_connection": "default"}
                },
                "use_tz": True,
                "timezone": "UTC",
            }
        )
        try:
            await Tortoise.generate_schemas()
            seeded = time.perf_counter()
            await _seed_book(n_loans, random.Random(11))
            print(f"book: seeded {n_loans:,} loans in {time.perf_counter() - seeded:.1f}s")
            # The risk analyst's rules of the shipped policy: every field, every branch.
            set_policy_store(
                PolicyStore(
                    rules=parse_policy_text(
                        "p, risk_analyst, *, *, read, allow\n"
                        "p, risk_analyst, *, rows, all_branches, allow\n"
                    )
                )
            )
            who = Principal(user_id=1, username="bench", roles=("risk_analyst",), branch_code="HQ")
            context = EngineContext(who, None, "zh", BOOK_DAY, "five_category")
            where = outstanding({}, BOOK_DAY, BOOK_DAY)
            conn = connections.get("default")

            async def raw() -> Any:
                return await conn.execute_query_dict(RAW_BOOK_SQL)

            async def report() -> Any:
                return await five_category_and_par(context, where)

            raw_s, raw_rows = await _best_of(3, raw)
            report_s, figures = await _best_of(3, report)
            # The same figures, or the comparison means nothing.
            total = sum(Decimal(str(r["balance"])) for r in raw_rows)
            p90 = sum(Decimal(str(r["p90"] or 0)) for r in raw_rows)
            counts = {r["classification"]: r["loans"] for r in raw_rows}
            assert {k: v[0] for k, v in figures.distribution.items()} == counts
            assert abs(figures.par[90] - p90 / total) < Decimal("0.000001"), (figures.par, p90)
            ratio = report_s / raw_s
            print(
                f"book N={n_loans:,}: five-category + PAR via the report context "
                f"{report_s * 1000:.0f} ms, raw SQL aggregate {raw_s * 1000:.0f} ms: "
                f"ratio {ratio:.2f} (target <= {TARGET_BOOK_RATIO:g})",
                flush=True,
            )
        finally:
            set_policy_store(None)
            await Tortoise.close_connections()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="N (2N is run too)")
    parser.add_argument("--loans", type=int, default=100_000, help="loans of the book part")
    parser.add_argument("--part", choices=("book", "xlsx", "all"), default="all")
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--traced", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        print(json.dumps(asyncio.run(child(args.child, args.traced))))
        return 0
    if args.part in ("book", "all"):
        asyncio.run(part_book(args.loans))
    if args.part in ("xlsx", "all"):
        part_xlsx(args.rows)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
