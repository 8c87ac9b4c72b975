"""Identity builders always produce codes the platform's validators accept."""

from __future__ import annotations

import datetime as dt
import random

from hypothesis import given, settings
from hypothesis import strategies as st
from smecredit_source_synthetic import catalog
from smecredit_source_synthetic.identities import (
    make_id_number,
    make_org_code,
    make_phone,
    make_uscc,
    org_code_check_char,
)
from smecredit_source_synthetic.money import monthly_interest_fen, rate_str, yuan

from smecredit.sdk import validate_id_number, validate_phone, validate_uscc


@settings(max_examples=200, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    modern=st.booleans(),
    kind=st.sampled_from("12"),
    region=st.sampled_from(catalog.REGIONS),
)
def test_built_uscc_is_valid(seed: int, modern: bool, kind: str, region: catalog.Region) -> None:
    org = make_org_code(random.Random(seed), issued_after_2015=modern)
    assert org_code_check_char(org[:8]) == org[8]
    uscc = make_uscc("9", kind, region.code, org)
    assert validate_uscc(uscc) == uscc


@settings(max_examples=200, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    birth=st.dates(dt.date(1940, 1, 1), dt.date(2008, 12, 31)),
    male=st.booleans(),
    region=st.sampled_from(catalog.BIRTHPLACE_CODES),
)
def test_built_id_number_is_valid_and_encodes_sex(
    seed: int, birth: dt.date, male: bool, region: str
) -> None:
    number = make_id_number(random.Random(seed), region, birth, male=male)
    assert validate_id_number(number) == number
    assert number[6:14] == f"{birth:%Y%m%d}"
    assert int(number[16]) % 2 == (1 if male else 0)


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 2**32))
def test_built_phone_is_valid(seed: int) -> None:
    phone = make_phone(random.Random(seed))
    assert validate_phone(phone) == phone


@settings(max_examples=200, deadline=None)
@given(fen=st.integers(-(10**12), 10**12))
def test_yuan_round_trips_fen(fen: int) -> None:
    text = yuan(fen)
    whole, cents = text.lstrip("-").split(".")
    assert len(cents) == 2
    assert (-1 if text.startswith("-") else 1) * (int(whole) * 100 + int(cents)) == fen


def test_rate_and_interest_formatting() -> None:
    assert rate_str(435) == "0.0435"
    # 1,000,000.00 yuan at 4.35% a year: 3,625.00 yuan a month.
    assert monthly_interest_fen(100_000_000, 435) == 362_500
    # Half a fen rounds up.
    assert monthly_interest_fen(1, 60_000) == 1


def test_catalog_tables_are_consistent() -> None:
    assert len(catalog.REGIONS) == len(catalog.REGION_WEIGHTS)
    assert len(catalog.INDUSTRIES) == len(catalog.INDUSTRY_WEIGHTS)
    assert abs(sum(s.weight for s in catalog.SIZES) - 1.0) < 1e-9
    assert len({i.code for i in catalog.INDUSTRIES}) == len(catalog.INDUSTRIES)
