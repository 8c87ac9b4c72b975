"""Dated warning signals: distress that precedes a default, and false alarms that do not.

A lender's warning system earns trust when its signals come *before* defaults, by months,
and not on every healthy firm. The hidden risk of :mod:`smecredit_source_synthetic.generator`
makes risky firms look worse throughout, but says nothing about *when*. This module adds
the timing, after a firm's records are built, from a random stream of its own (so the
firm's other records stay exactly as they were drawn):

* a defaulter (default on day ``D``: its first unpaid instalment reaching 90 days past due)
  enters distress on ``D`` minus a lead drawn between :data:`LEAD_DAYS` (1 to 6 months):
  from then on its taxable sales fall, lawsuits as defendant or enforcements arrive,
  bureau reports show overdue accounts at other lenders, some are listed for abnormal
  operation, and instalments due meanwhile are paid late. Each signal shows with its own
  probability, and :data:`SILENT_DEFAULT_SHARE` of defaults come with none at all;
* a firm that does not default gets, with probability :data:`FALSE_ALARM_SHARE`, one
  passing scare at a random date after the observation date: a few weak months of
  sales, a lawsuit, or an overdue account elsewhere.

Before adding them it thins the generator's *undated* news after the observation date
(lawsuits and overdue accounts drawn over the whole outcome window, however far from any
default): a warning system fed only those would look random, a real book is not that
noisy. Only records dated after the observation date change, so what a model may learn from
(everything up to the observation date) is untouched, and so are the defaults themselves:
late payments stay below 90 days past due and are never later than ``as_of``.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from smecredit_source_synthetic.dates import add_months, month_end
from smecredit_source_synthetic.money import fen_from_yuan, yuan

__all__ = [
    "FALSE_ALARM_SHARE",
    "KEEP_UNDATED_OVERDUES",
    "KEEP_UNDATED_SUITS",
    "LEAD_DAYS",
    "SIGNAL_SHARES",
    "SILENT_DEFAULT_SHARE",
    "add_distress_signals",
    "distress_onset",
]

#: Days between the onset of distress and the default (1 to 6 months).
LEAD_DAYS: tuple[int, int] = (30, 180)
#: Share of defaults that no signal announces.
SILENT_DEFAULT_SHARE = 0.2
#: Share of firms that never default but have one passing scare.
FALSE_ALARM_SHARE = 0.08
#: Probability of each signal for a defaulter in distress.
SIGNAL_SHARES: dict[str, float] = {
    "tax_drop": 0.65,
    "lawsuit": 0.55,
    "bureau_overdue": 0.55,
    "abnormal_listing": 0.2,
    "late_payments": 0.6,
}

Records = list[tuple[str, dict[str, Any]]]

#: Share of the undated lawsuits and enforcements after the observation date kept
#: (healthy firms, defaulters).
KEEP_UNDATED_SUITS: tuple[float, float] = (0.6, 0.25)
#: Share of the undated overdue accounts in bureau reports after the observation date kept.
KEEP_UNDATED_OVERDUES: tuple[float, float] = (0.37, 0.15)
_SUITS = ("lawsuit_defendant", "enforcement")


def distress_onset(
    default_from: dt.date, default_dpd: int, rng: random.Random
) -> tuple[dt.date, dt.date]:
    """(onset of distress, default day) for a firm whose first unpaid instalment is due then."""
    default_day = default_from + dt.timedelta(days=default_dpd)
    return default_day - dt.timedelta(days=rng.randint(*LEAD_DAYS)), default_day


def _month_end_of(month: str) -> dt.date:
    year, mon = (int(p) for p in month.split("-"))
    return month_end(year, mon)


def _stamp(records: Records) -> dict[str, Any]:
    """The ``source`` and ``fetched_at`` of the firm's records, for records added here."""
    firm = records[0][1]
    return {"source": firm["source"], "fetched_at": firm["fetched_at"]}


def _sales_drop(records: Records, start: dt.date, end: dt.date, rng: random.Random) -> None:
    """Taxable sales (and tax) of the months ending in ``[start, end]`` fall by 35-70%."""
    factor = rng.uniform(0.3, 0.65)
    for kind, record in records:
        if kind != "tax_record" or not start <= _month_end_of(record["month"]) <= end:
            continue
        for name in ("taxable_sales", "tax_paid"):
            record[name] = yuan(fen_from_yuan(float(record[name]) * factor))


def _lawsuit(
    records: Records, day: dt.date, rng: random.Random, *, kind: str = "lawsuit_defendant"
) -> None:
    uscc = records[0][1]["uscc"]
    court = f"{records[0][1]['region_code'][2:]}"
    taken = {r["case_no"] for k, r in records if k == "legal_case"}
    while True:  # case numbers are unique per firm
        number = rng.randint(20_000, 29_999)  # apart from the generator's 100-19,999
        if kind == "enforcement":
            case_no, text = f"({day.year}){court}执{number}号", "被执行人，执行标的：借款合同纠纷"
        else:
            case_no, text = f"({day.year}){court}民初{number}号", "买卖合同纠纷（被告）"
        if case_no not in taken:
            break
    records.append(
        (
            "legal_case",
            {
                "firm_uscc": uscc,
                "case_no": case_no,
                "kind": kind,
                "case_date": day.isoformat(),
                "amount": yuan(rng.randint(50_000, 2_000_000) * 100),
                "severity": rng.choice(("medium", "high")),
                "description": text,
                **_stamp(records),
            },
        )
    )


def _bureau_overdue(records: Records, start: dt.date, end: dt.date, rng: random.Random) -> None:
    """Bureau reports dated in ``[start, end]`` show 1-4 more overdue accounts."""
    for kind, record in records:
        if kind != "bureau_summary":
            continue
        if start <= dt.date.fromisoformat(record["report_date"]) <= end:
            extra = rng.randint(1, 4)
            record["overdue_count"] = int(record["overdue_count"]) + extra
            owed = float(record["debt_other_lenders"]) * rng.uniform(0.02, 0.08) * extra
            record["overdue_amount"] = yuan(
                fen_from_yuan(float(record["overdue_amount"]) + max(owed, 1_000.0))
            )


def _abnormal_listing(records: Records, day: dt.date) -> None:
    listed = {
        r["event_date"]
        for k, r in records
        if k == "registry_event" and r["kind"] == "abnormal_listing"
    }
    if day.isoformat() in listed:  # one event of a kind per day
        return
    records.append(
        (
            "registry_event",
            {
                "firm_uscc": records[0][1]["uscc"],
                "event_date": day.isoformat(),
                "kind": "abnormal_listing",
                "description": "通过登记的住所或者经营场所无法联系，列入经营异常名录",
                **_stamp(records),
            },
        )
    )


def _late_payments(
    records: Records, start: dt.date, end: dt.date, as_of: dt.date, rng: random.Random
) -> None:
    """Instalments due in ``[start, end)`` and paid on time are paid 10-45 days late."""
    for kind, record in records:
        if kind != "repayment_history" or record["paid_date"] is None:
            continue
        due = dt.date.fromisoformat(record["due_date"])
        if not start <= due < end or record["days_past_due"]:
            continue
        late = rng.randint(10, 45)
        paid = due + dt.timedelta(days=late)
        if paid <= as_of:
            record["paid_date"] = paid.isoformat()
            record["days_past_due"] = late


def _distress(
    records: Records,
    rng: random.Random,
    onset: dt.date,
    default_day: dt.date,
    default_from: dt.date,
    as_of: dt.date,
) -> None:
    shares = SIGNAL_SHARES
    span = max(1, (default_day - onset).days)
    if rng.random() < shares["tax_drop"]:
        _sales_drop(records, onset, as_of, rng)
    if rng.random() < shares["lawsuit"]:
        for _ in range(rng.choice((1, 1, 2))):
            day = onset + dt.timedelta(days=rng.randint(0, span - 1))
            _lawsuit(
                records,
                min(day, as_of),
                rng,
                kind=rng.choice(("lawsuit_defendant",) * 3 + ("enforcement",)),
            )
    if rng.random() < shares["bureau_overdue"]:
        _bureau_overdue(records, onset, as_of, rng)
    if rng.random() < shares["abnormal_listing"]:
        _abnormal_listing(records, min(as_of, onset + dt.timedelta(days=rng.randint(0, span - 1))))
    if rng.random() < shares["late_payments"]:
        _late_payments(records, onset, default_from, as_of, rng)


def _false_alarm(
    records: Records, rng: random.Random, observation: dt.date, as_of: dt.date
) -> None:
    day = observation + dt.timedelta(days=rng.randint(1, max(1, (as_of - observation).days - 1)))
    scare = rng.choice(("tax_drop", "lawsuit", "bureau_overdue"))
    if scare == "tax_drop":
        _sales_drop(records, day, add_months(day, rng.randint(2, 4)), rng)
    elif scare == "lawsuit":
        _lawsuit(records, day, rng)
    else:
        _bureau_overdue(records, day, add_months(day, 3), rng)


def _thin_undated(
    records: Records, rng: random.Random, observation: dt.date, defaulted: bool
) -> None:
    """Drop some undated suits and overdues after ``observation`` (see the docstring)."""
    keep_suits = KEEP_UNDATED_SUITS[defaulted]
    keep_overdues = KEEP_UNDATED_OVERDUES[defaulted]
    kept: Records = []
    for kind, record in records:
        if (
            kind == "legal_case"
            and record["kind"] in _SUITS
            and dt.date.fromisoformat(record["case_date"]) > observation
        ):
            if rng.random() >= keep_suits:
                continue
        elif (
            kind == "bureau_summary"
            and int(record["overdue_count"])
            and dt.date.fromisoformat(record["report_date"]) > observation
        ):
            before = int(record["overdue_count"])
            after = sum(rng.random() < keep_overdues for _ in range(before))
            record["overdue_count"] = after
            owed = float(record["overdue_amount"]) * after / before
            record["overdue_amount"] = yuan(fen_from_yuan(owed))
        kept.append((kind, record))
    records[:] = kept


def add_distress_signals(
    records: Records,
    rng: random.Random,
    *,
    defaulted: bool,
    default_from: dt.date | None,
    observation: dt.date,
    as_of: dt.date,
    default_dpd: int,
) -> None:
    """Add the dated signals of one firm to its ``records`` (changed in place).

    Args:
        records: the firm's ``(kind, record)`` pairs, its ``firm`` record first.
        rng: the firm's own stream for these signals.
        defaulted: whether the firm defaults.
        default_from: due date of its first unpaid instalment (defaulters).
        observation: the observation date; nothing on or before it changes.
        as_of: the data date; nothing is dated after it.
        default_dpd: days past due that make a default.
    """
    _thin_undated(records, rng, observation, defaulted)
    silent = rng.random() < SILENT_DEFAULT_SHARE
    scare = rng.random() < FALSE_ALARM_SHARE
    if defaulted and default_from is not None:
        onset, default_day = distress_onset(default_from, default_dpd, rng)
        onset = max(onset, observation + dt.timedelta(days=1))
        if not silent:
            _distress(records, rng, onset, default_day, default_from, as_of)
    elif not defaulted and scare:
        _false_alarm(records, rng, observation, as_of)
