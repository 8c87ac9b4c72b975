from __future__ import annotations

import re
import unicodedata
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from smecredit_masking_cn.plugin import STRATEGIES
from smecredit_masking_cn.strategies import (
    HASH_KEY_ENV,
    AddressStrategy,
    AmountStrategy,
    HashStrategy,
    MaskingKeyMissing,
    MaskingOptionError,
    PersonNameStrategy,
)

from smecredit.sdk import MaskingStrategy

BY_NAME = {s.name: s for s in STRATEGIES}
BASE_OPTIONS: dict[str, dict[str, Any]] = {"hash": {"key": "test-key"}}
FAST = settings(max_examples=150, deadline=None)

CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)
ID_CHARS = st.sampled_from("0123456789X")


def opts(name: str, **extra: Any) -> dict[str, Any]:
    return {**BASE_OPTIONS.get(name, {}), **extra}


def norm(value: str) -> str:
    return re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", value)).upper()


# --- contract shared by every strategy ---------------------------------------------------


def test_plugin_lists_every_expected_strategy() -> None:
    assert set(BY_NAME) == {
        "id_number",
        "mobile",
        "bank_card",
        "uscc",
        "person_name",
        "address",
        "amount",
        "keep_first_last",
        "hash",
        "redact",
    }
    assert len(BY_NAME) == len(STRATEGIES)
    for strategy in STRATEGIES:
        assert isinstance(strategy, MaskingStrategy)
        assert strategy.description


@pytest.mark.parametrize("name", sorted(BY_NAME))
def test_none_and_empty(name: str) -> None:
    assert BY_NAME[name].mask(None, **opts(name)) is None
    assert BY_NAME[name].mask("", **opts(name)) == ""


@pytest.mark.parametrize("name", sorted(BY_NAME))
def test_unknown_option_is_refused(name: str) -> None:
    with pytest.raises(MaskingOptionError) as err:
        BY_NAME[name].mask("x", **opts(name, no_such_option=1))
    assert err.value.code == "MASKING_OPTION_INVALID"
    assert "no_such_option" in str(err.value)


@pytest.mark.parametrize("name", sorted(BY_NAME))
@FAST
@given(value=st.text(min_size=1, max_size=40))
def test_idempotent_on_any_text(name: str, value: str) -> None:
    strategy = BY_NAME[name]
    once = strategy.mask(value, **opts(name))
    assert strategy.mask(once, **opts(name)) == once


# --- identifiers: keep a prefix and a suffix, every hidden position replaced --------------


IDENTIFIERS = {"id_number": (6, 4), "bank_card": (6, 4), "uscc": (6, 4), "mobile": (3, 4)}


def assert_keeps_ends(clear: str, masked: str, first: int, last: int) -> None:
    n = len(clear)
    assert len(masked) == n
    if first + last >= n:
        assert masked == "*" * n
        return
    assert masked[:first] == clear[:first]
    assert masked[n - last :] == clear[n - last :]
    assert set(masked[first : n - last]) == {"*"}


@pytest.mark.parametrize("name", sorted(IDENTIFIERS))
@FAST
@given(value=st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXYabc -", min_size=1, max_size=24))
def test_identifier_default_shape(name: str, value: str) -> None:
    assume(not value.startswith(("+86", "0086")))
    first, last = IDENTIFIERS[name]
    assert_keeps_ends(
        norm(value) if name != "mobile" else re.sub(r"[\s\-]", "", value),
        BY_NAME[name].mask(value) or "",
        first,
        last,
    )


@pytest.mark.parametrize("name", ["id_number", "bank_card", "uscc", "keep_first_last"])
@FAST
@given(
    value=st.text(alphabet=ID_CHARS, min_size=1, max_size=20),
    first=st.integers(0, 8),
    last=st.integers(0, 8),
)
def test_identifier_configurable_keep(name: str, value: str, first: int, last: int) -> None:
    masked = BY_NAME[name].mask(value, keep_first=first, keep_last=last)
    assert masked is not None
    assert_keeps_ends(value, masked, first, last)
    assert BY_NAME[name].mask(masked, keep_first=first, keep_last=last) == masked


@FAST
@given(st.lists(st.sampled_from("0123456789"), min_size=11, max_size=11))
def test_id_number_middle_digits_all_replaced(digits: list[str]) -> None:
    clear = "".join(digits[:6]) + "19900307" + "".join(digits[6:9]) + "X"
    masked = BY_NAME["id_number"].mask(clear.lower())
    assert masked == clear[:6] + "*" * 8 + clear[-4:]
    assert "19900307" not in masked  # the birth date is hidden


def test_examples_from_the_mission() -> None:
    assert BY_NAME["mobile"].mask("13812345678") == "138****5678"
    assert BY_NAME["mobile"].mask("+86 138-1234-5678") == "+86 138****5678"
    assert BY_NAME["id_number"].mask("11010519491231002x") == "110105********002X"
    assert BY_NAME["id_number"].mask("11010519491231002X", keep_first=3) == "110***********002X"
    assert BY_NAME["bank_card"].mask("6222 0200 1234 5678 901") == "622202*********8901"
    assert BY_NAME["uscc"].mask("91310115MA1K4AB12X") == "913101********B12X"
    assert BY_NAME["keep_first_last"].mask("abcdefz") == "a*****z"
    assert BY_NAME["redact"].mask("anything") == "[已隐藏]"
    assert BY_NAME["redact"].mask("anything", text="***") == "***"


def test_invalid_mask_char_or_counts() -> None:
    with pytest.raises(MaskingOptionError):
        BY_NAME["mobile"].mask("13812345678", mask_char="-")
    with pytest.raises(MaskingOptionError):
        BY_NAME["mobile"].mask("13812345678", mask_char="**")
    with pytest.raises(MaskingOptionError):
        BY_NAME["id_number"].mask("11010519491231002X", keep_first=-1)
    assert BY_NAME["mobile"].mask("13812345678", mask_char="#") == "138####5678"


# --- names --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("clear", "masked"),
    [
        ("张三", "张*"),
        ("张小三", "张*三"),
        ("司马相如", "司**如"),
        ("阿沛·阿旺晋美", "阿*·***美"),
        ("张", "*"),
        ("John Smith", "J*** S****"),
    ],
)
def test_person_name_examples(clear: str, masked: str) -> None:
    assert BY_NAME["person_name"].mask(clear) == masked


@FAST
@given(st.text(alphabet=CJK, min_size=1, max_size=8), st.booleans())
def test_chinese_name_hides_every_inner_character(name: str, keep_last: bool) -> None:
    masked = PersonNameStrategy().mask(name, keep_last=keep_last)
    assert masked is not None and len(masked) == len(name)
    n = len(name)
    kept = {0} if n >= 2 else set()
    if n >= 3 and keep_last:
        kept.add(n - 1)
    for i, (c, m) in enumerate(zip(name, masked, strict=True)):
        assert m == (c if i in kept else "*")


@FAST
@given(
    st.lists(
        st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFXYZ", min_size=1), min_size=1, max_size=4
    )
)
def test_latin_name_keeps_initials_only(words: list[str]) -> None:
    masked = BY_NAME["person_name"].mask(" ".join(words))
    assert masked == " ".join(w[0] + "*" * (len(w) - 1) for w in words)


# --- address ------------------------------------------------------------------------------

PROVINCES = st.sampled_from(["广东省", "浙江省", "新疆维吾尔自治区", "内蒙古自治区", "四川省"])
CITIES = st.sampled_from(["广州市", "杭州市", "乌鲁木齐市", "呼和浩特市", "凉山彝族自治州"])
TAIL = st.text(
    alphabet=st.sampled_from("天河区体育西路号镇乡村组栋单元0123456789"), min_size=1, max_size=20
)


@FAST
@given(PROVINCES, CITIES, TAIL)
def test_address_keeps_province_and_city_and_hides_the_rest(
    province: str, city: str, tail: str
) -> None:
    masked = AddressStrategy().mask(province + city + tail)
    assert masked == province + city + "*" * len(tail)
    only_province = AddressStrategy().mask(province + city + tail, level="province")
    assert only_province == province + "*" * (len(city) + len(tail))
    fixed = AddressStrategy().mask(province + city + tail, tail_length=4)
    assert fixed == province + city + "****"


@FAST
@given(st.text(min_size=1, max_size=40))
def test_address_output_is_a_clear_prefix_then_masks(value: str) -> None:
    clear = unicodedata.normalize("NFKC", value).strip()
    masked = AddressStrategy().mask(value) or ""
    assert len(masked) == len(clear)
    k = 0
    while k < len(clear) and masked[k] == clear[k] and clear[k] != "*":
        k += 1
    assert set(masked[k:]) <= {"*"}
    assert k <= 20  # only an administrative prefix may stay


def test_address_examples() -> None:
    address = AddressStrategy()
    assert address.mask("北京市朝阳区建国路88号") == "北京市*********"
    assert address.mask("湖南省长沙县星沙镇某超市") == "湖南省*********"
    assert address.mask("123 Main St") == "***********"


# --- amount -------------------------------------------------------------------------------

LABELS = AmountStrategy._labels(list(AmountStrategy.defaults["buckets"]))
AMOUNTS = st.decimals(min_value=-(10**6), max_value=10**10, places=2, allow_nan=False)


@FAST
@given(AMOUNTS, AMOUNTS)
def test_amount_buckets_are_ordered_and_cover_every_amount(a: Decimal, b: Decimal) -> None:
    amount = AmountStrategy()
    low, high = sorted((a, b))
    label_low, label_high = amount.mask(str(low)), amount.mask(str(high))
    assert label_low in LABELS and label_high in LABELS
    assert LABELS.index(label_low) <= LABELS.index(label_high)
    assert amount.mask(label_low) == label_low
    # integer fen give the same bucket as yuan
    assert amount.mask(str(int(low * 100)), unit="fen") == label_low


@pytest.mark.parametrize(
    ("value", "label"),
    [
        ("350000", "10万-50万"),
        ("100000", "10万-50万"),
        ("99999.99", "1万-10万"),
        ("¥1,234,567.89元", "100万-500万"),
        ("12.5万", "10万-50万"),
        ("2亿", "1亿以上"),
        ("-1", "0以下"),
        ("not a number", "[已隐藏]"),
    ],
)
def test_amount_examples(value: str, label: str) -> None:
    assert AmountStrategy().mask(value) == label


def test_amount_custom_buckets() -> None:
    amount = AmountStrategy()
    assert amount.mask("1500", buckets=[0, 1000, 5000]) == "1000-5000"
    assert amount.mask("5000", buckets=["0", "5000"]) == "5000以上"
    with pytest.raises(MaskingOptionError):
        amount.mask("1", buckets=[5, 1])


# --- hash ---------------------------------------------------------------------------------


@FAST
@given(st.text(alphabet=CJK, min_size=1, max_size=20))
def test_hash_is_deterministic_keyed_and_hides_the_value(value: str) -> None:
    strategy = HashStrategy()
    pseudonym = strategy.mask(value, key="k1")
    assert pseudonym is not None
    assert re.fullmatch(r"h:[0-9a-f]{16}", pseudonym)
    assert strategy.mask(value, key="k1") == pseudonym
    assert strategy.mask(value, key="k2") != pseudonym
    assert not set(value) & set(pseudonym)
    assert strategy.mask(pseudonym, key="k1") == pseudonym
    assert len(strategy.mask(value, key="k1", length=32) or "") == 34


def test_hash_key_from_environment_or_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(HASH_KEY_ENV, raising=False)
    with pytest.raises(MaskingKeyMissing) as err:
        HashStrategy().mask("13812345678")
    assert err.value.code == "MASKING_KEY_MISSING"
    assert HASH_KEY_ENV in str(err.value)
    monkeypatch.setenv(HASH_KEY_ENV, "env-key")
    assert HashStrategy().mask("13812345678") == HashStrategy().mask("13812345678", key="env-key")
