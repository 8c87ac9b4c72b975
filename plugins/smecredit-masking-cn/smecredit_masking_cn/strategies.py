"""Masking (脱敏) strategies for Chinese financial data, after JR/T 0171-2020 practice.

Every strategy follows the :class:`smecredit.sdk.MaskingStrategy` contract:

* ``None`` stays ``None`` and ``""`` stays ``""`` (nothing to hide).
* Idempotent: masking a masked value returns it unchanged.
* Every hidden character is replaced by the mask character (default ``*``); a value too
  short for the requested shape is masked entirely rather than partly revealed.
* Unknown or invalid options raise :class:`MaskingOptionError` (code
  ``MASKING_OPTION_INVALID``).

Identifier strategies first normalise the value (NFKC, whitespace and hyphens removed,
upper case), then keep a prefix and a suffix; they are length-preserving with respect to
the normalised value.

=================  =====================================  ==================================
name               default                                example
=================  =====================================  ==================================
``id_number``      first 6 + last 4                       ``110105********002X``
``mobile``         first 3 + last 4                       ``138****5678``
``bank_card``      first 6 + last 4                       ``622202*********8901``
``uscc``           first 6 + last 4 (see below)           ``913101********512X``
``person_name``    first (+ last) character               ``张*三``, ``张*``, ``J*** S****``
``address``        province and city kept                 ``广东省广州市**********``
``amount``         bucketed                               ``10万-50万``
``keep_first_last`` first 1 + last 1                      ``a*****z``
``hash``           keyed HMAC-SHA256, 16 hex              ``h:3fa9c2d1e4b5a6f7``
``redact``         fixed text                             ``[已隐藏]``
=================  =====================================  ==================================

USCC default: the first 6 characters are the registration authority, the entity type and
the province/prefecture of registration (already public at that grain, and useful for
regional grouping); the last 4 let staff tell codes apart like an ID number's last 4. The
8 characters between (most of the organisation code) are hidden.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import os
import re
import unicodedata
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

__all__ = [
    "ALL_STRATEGIES",
    "DEFAULT_AMOUNT_BUCKETS",
    "HASH_KEY_ENV",
    "AddressStrategy",
    "AmountStrategy",
    "BankCardStrategy",
    "HashStrategy",
    "IdNumberStrategy",
    "KeepFirstLastStrategy",
    "MaskingKeyMissing",
    "MaskingOptionError",
    "MobileStrategy",
    "PersonNameStrategy",
    "RedactStrategy",
    "UsccStrategy",
]

HASH_KEY_ENV = "SMECREDIT_MASKING_HASH_KEY"
"""Environment variable holding the key of the ``hash`` strategy (when no ``key`` option)."""


class MaskingOptionError(ValueError):
    """A masking option is unknown or has an invalid value."""

    code = "MASKING_OPTION_INVALID"


class MaskingKeyMissing(MaskingOptionError):
    """The ``hash`` strategy has no key (neither the ``key`` option nor the env variable)."""

    code = "MASKING_KEY_MISSING"


_SEPARATORS = re.compile(r"[\s\-]")


def _normalise_identifier(value: str, *, upper: bool = True, drop: str = "") -> str:
    # Upper-casing can produce characters NFKC changes again (and vice versa): iterate to a
    # fixed point so that masking a masked value sees exactly the same characters.
    previous = None
    text = value
    while text != previous:
        previous = text
        text = _SEPARATORS.sub("", unicodedata.normalize("NFKC", text))
        text = text.translate({ord(c): None for c in drop})
        if upper:
            text = text.upper()
    return text


def _mask_middle(text: str, keep_first: int, keep_last: int, mask_char: str) -> str:
    """Keep ``keep_first`` and ``keep_last`` characters, replace the rest one for one."""
    n = len(text)
    if keep_first + keep_last >= n:
        # Too short to reveal anything safely: hide it all.
        return mask_char * n
    return text[:keep_first] + mask_char * (n - keep_first - keep_last) + text[n - keep_last :]


class _Strategy:
    """Shared option handling; subclasses define ``defaults`` and ``_apply``."""

    name: str
    description: str
    length_preserving: ClassVar[bool] = False
    defaults: ClassVar[Mapping[str, Any]] = {}
    count_options: ClassVar[tuple[str, ...]] = ("keep_first", "keep_last")
    flag_options: ClassVar[tuple[str, ...]] = ()

    def __repr__(self) -> str:
        return f"<masking strategy {self.name!r}>"

    def _options(self, options: Mapping[str, Any]) -> dict[str, Any]:
        unknown = set(options) - set(self.defaults)
        if unknown:
            raise MaskingOptionError(
                f"masking strategy {self.name!r}: unknown option(s) {', '.join(sorted(unknown))}"
                f"; accepted: {', '.join(sorted(self.defaults)) or 'none'}"
            )
        merged = {**self.defaults, **options}
        for key in self.count_options:
            value = merged.get(key, 0)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise MaskingOptionError(
                    f"masking strategy {self.name!r}: {key} must be a non-negative integer"
                )
        for key in self.flag_options:
            if not isinstance(merged[key], bool):
                raise MaskingOptionError(f"masking strategy {self.name!r}: {key} must be a bool")
        if "mask_char" in merged:
            char = merged["mask_char"]
            if not isinstance(char, str) or len(char) != 1 or _SEPARATORS.fullmatch(char):
                raise MaskingOptionError(
                    f"masking strategy {self.name!r}: mask_char must be one character, "
                    "not a space or hyphen"
                )
        return merged

    def mask(self, value: str | None, **options: Any) -> str | None:
        """Mask ``value``; see the module docstring for the contract.

        Args:
            value: the clear (or already masked) value.
            **options: strategy options, see ``defaults``.

        Returns:
            The masked value, None for None.

        Raises:
            MaskingOptionError: for an unknown or invalid option.
        """
        opts = self._options(options)
        if value is None:
            return None
        if value == "":
            return ""
        return self._apply(value, opts)

    def _apply(self, value: str, opts: dict[str, Any]) -> str:
        raise NotImplementedError


class _KeepEndsIdentifier(_Strategy):
    length_preserving = True

    def _apply(self, value: str, opts: dict[str, Any]) -> str:
        return _mask_middle(
            _normalise_identifier(value), opts["keep_first"], opts["keep_last"], opts["mask_char"]
        )


class IdNumberStrategy(_KeepEndsIdentifier):
    """Resident ID number: first 6 (region) + last 4 kept, ``110105********002X``."""

    name = "id_number"
    description = "居民身份证号: keep first 6 and last 4 (110105********002X)"
    defaults: ClassVar[Mapping[str, Any]] = {"keep_first": 6, "keep_last": 4, "mask_char": "*"}


class BankCardStrategy(_KeepEndsIdentifier):
    """Bank card number: first 6 (issuer BIN) + last 4 kept."""

    name = "bank_card"
    description = "银行卡号: keep first 6 (BIN) and last 4 (622202*********8901)"
    defaults: ClassVar[Mapping[str, Any]] = {"keep_first": 6, "keep_last": 4, "mask_char": "*"}


class UsccStrategy(_KeepEndsIdentifier):
    """Unified social credit code: first 6 + last 4 kept (see the module docstring)."""

    name = "uscc"
    description = "统一社会信用代码: keep first 6 (authority, type, region) and last 4"
    defaults: ClassVar[Mapping[str, Any]] = {"keep_first": 6, "keep_last": 4, "mask_char": "*"}


class MobileStrategy(_Strategy):
    """Mobile number: 3 + 4 kept, ``138****5678``; a ``+86``/``0086`` prefix becomes ``+86 ``."""

    name = "mobile"
    description = "手机号: keep first 3 and last 4 (138****5678)"
    length_preserving = True  # for the national number, the +86 prefix aside
    defaults: ClassVar[Mapping[str, Any]] = {"keep_first": 3, "keep_last": 4, "mask_char": "*"}

    def _apply(self, value: str, opts: dict[str, Any]) -> str:
        number = _normalise_identifier(value, upper=False, drop="()")
        prefix = ""
        for country in ("+86", "0086"):
            if number.startswith(country):
                prefix, number = "+86 ", number[len(country) :]
                break
        return prefix + _mask_middle(
            number, opts["keep_first"], opts["keep_last"], opts["mask_char"]
        )


class KeepFirstLastStrategy(_Strategy):
    """Generic: keep ``keep_first`` and ``keep_last`` characters, mask the rest one for one."""

    name = "keep_first_last"
    description = "通用: keep the first and last characters, mask the middle"
    length_preserving = True
    defaults: ClassVar[Mapping[str, Any]] = {"keep_first": 1, "keep_last": 1, "mask_char": "*"}

    def _apply(self, value: str, opts: dict[str, Any]) -> str:
        return _mask_middle(value, opts["keep_first"], opts["keep_last"], opts["mask_char"])


_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
_NAME_SEPARATORS = frozenset("·•・.． \t")


class PersonNameStrategy(_Strategy):
    """Person name.

    Chinese names (first character is CJK): ``张*`` for 2 characters, ``张*三`` for 3,
    ``司**如`` for longer (first + stars + last; ``keep_last=False`` gives ``张**``); a
    single character is fully masked. Separators such as ``·`` in ``阿沛·阿旺晋美`` stay.
    Other names: each whitespace-separated word keeps its first letter (``J*** S****``).
    """

    name = "person_name"
    description = "姓名: 张*三 / 张* / J*** S****"
    length_preserving = True
    defaults: ClassVar[Mapping[str, Any]] = {"keep_last": True, "mask_char": "*"}
    count_options: ClassVar[tuple[str, ...]] = ()
    flag_options: ClassVar[tuple[str, ...]] = ("keep_last",)

    def _apply(self, value: str, opts: dict[str, Any]) -> str:
        text = unicodedata.normalize("NFKC", value).strip()
        star = opts["mask_char"]
        first = next((c for c in text if c not in _NAME_SEPARATORS), "")
        # Decide by the first character, which the Chinese rule keeps: the same rule is then
        # chosen again for the masked value (idempotence).
        if _CJK.match(first):
            positions = [i for i, c in enumerate(text) if c not in _NAME_SEPARATORS]
            keep = set(positions[:1]) if len(positions) >= 2 else set()
            if len(positions) >= 3 and opts["keep_last"]:
                keep.add(positions[-1])
            return "".join(
                c if (i in keep or c in _NAME_SEPARATORS) else star for i, c in enumerate(text)
            )
        return re.sub(r"\S+", lambda m: m.group(0)[0] + star * (len(m.group(0)) - 1), text)


_PROVINCE = re.compile(r"^[^\s*市县区镇乡路街道号]{2,10}?(?:省|自治区|特别行政区)")
_MUNICIPALITY = re.compile(r"^(?:北京|上海|天津|重庆)市?")
_CITY = re.compile(r"^[^\s*省市县区镇乡路街道号]{1,7}?(?:市|自治州|地区|盟)")


class AddressStrategy(_Strategy):
    """Address: keep the province and the city (prefecture) level, mask the rest.

    ``广东省广州市天河区体育西路 1 号`` -> ``广东省广州市*********`` (one ``*`` per hidden
    character, or ``tail_length`` of them to hide the length too). Municipalities keep
    ``北京市``. With ``level="province"`` only the province is kept. An address whose
    province or municipality is not recognised is masked entirely.
    """

    name = "address"
    description = "地址: keep province and city, mask the rest (广东省广州市****)"
    length_preserving = True  # when tail_length is None, for the stripped value
    defaults: ClassVar[Mapping[str, Any]] = {
        "level": "city",
        "tail_length": None,
        "mask_char": "*",
    }

    def _kept_prefix(self, text: str, level: str) -> str:
        province = _PROVINCE.match(text)
        if province is None:
            municipality = _MUNICIPALITY.match(text)
            return municipality.group(0) if municipality else ""
        kept = province.group(0)
        if level == "city":
            city = _CITY.match(text[len(kept) :])
            if city is not None:
                kept += city.group(0)
        return kept

    def _apply(self, value: str, opts: dict[str, Any]) -> str:
        level, tail = opts["level"], opts["tail_length"]
        if level not in ("city", "province"):
            raise MaskingOptionError("masking strategy 'address': level must be city or province")
        if tail is not None and (not isinstance(tail, int) or isinstance(tail, bool) or tail < 1):
            raise MaskingOptionError(
                "masking strategy 'address': tail_length must be a positive integer or None"
            )
        text = unicodedata.normalize("NFKC", value).strip()
        kept = self._kept_prefix(text, level)
        hidden = len(text) - len(kept)
        if hidden == 0:
            return kept
        return kept + opts["mask_char"] * (hidden if tail is None else tail)


_WAN = Decimal(10_000)
_YI = Decimal(100_000_000)
DEFAULT_AMOUNT_BUCKETS: tuple[Decimal, ...] = tuple(
    Decimal(b)
    for b in (0, 10_000, 100_000, 500_000, 1_000_000, 5_000_000, 10_000_000, 50_000_000, 10**8)
)
"""Bucket boundaries in yuan: 0, 1万, 10万, 50万, 100万, 500万, 1000万, 5000万, 1亿."""


def _plain(amount: Decimal) -> str:
    text = f"{amount:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _format_boundary(amount: Decimal) -> str:
    for unit, label in ((_YI, "亿"), (_WAN, "万")):
        if amount != 0 and amount % unit == 0:
            return _plain(amount / unit) + label
    return _plain(amount)


class AmountStrategy(_Strategy):
    """Amount: replaced by the bucket it falls in, e.g. ``10万-50万``.

    Buckets are half-open ``[low, high)``; below the first boundary gives ``0以下``, from the
    last one up ``1亿以上``. Inputs may carry ``¥``, ``元``, thousands separators, or a
    ``万``/``亿`` suffix; ``unit="fen"`` reads integer fen. A value that is not a number (and
    not already a bucket label) becomes ``unparsable_text``.
    """

    name = "amount"
    description = "金额: bucketed into ranges such as 10万-50万"
    defaults: ClassVar[Mapping[str, Any]] = {
        "buckets": DEFAULT_AMOUNT_BUCKETS,
        "unit": "yuan",
        "unparsable_text": "[已隐藏]",
    }

    @staticmethod
    def _boundaries(raw: Sequence[Any]) -> list[Decimal]:
        try:
            bounds = [Decimal(str(b)) for b in raw]
        except (InvalidOperation, TypeError) as exc:
            raise MaskingOptionError("masking strategy 'amount': buckets must be numbers") from exc
        if not bounds or any(b >= c for b, c in itertools.pairwise(bounds)):
            raise MaskingOptionError(
                "masking strategy 'amount': buckets must be a non-empty increasing sequence"
            )
        return bounds

    @staticmethod
    def _labels(bounds: list[Decimal]) -> list[str]:
        labels = [f"{_format_boundary(bounds[0])}以下"]
        labels += [
            f"{_format_boundary(lo)}-{_format_boundary(hi)}"
            for lo, hi in itertools.pairwise(bounds)
        ]
        labels.append(f"{_format_boundary(bounds[-1])}以上")
        return labels

    @staticmethod
    def _parse(value: str, unit: str) -> Decimal | None:
        text = unicodedata.normalize("NFKC", value).strip()
        text = re.sub(r"[\s,，¥￥元]|RMB|CNY", "", text)
        factor = Decimal(1)
        if text.endswith("亿"):
            factor, text = _YI, text[:-1]
        elif text.endswith("万"):
            factor, text = _WAN, text[:-1]
        try:
            amount = Decimal(text) * factor
        except InvalidOperation:
            return None
        if not amount.is_finite():
            return None
        return amount / 100 if unit == "fen" else amount

    def _apply(self, value: str, opts: dict[str, Any]) -> str:
        unit = opts["unit"]
        if unit not in ("yuan", "fen"):
            raise MaskingOptionError("masking strategy 'amount': unit must be yuan or fen")
        bounds = self._boundaries(opts["buckets"])
        labels = self._labels(bounds)
        if value in labels or value == opts["unparsable_text"]:
            return value
        amount = self._parse(value, unit)
        if amount is None:
            return str(opts["unparsable_text"])
        index = sum(1 for b in bounds if amount >= b)
        return labels[index]


class HashStrategy(_Strategy):
    """Keyed pseudonym: ``h:`` + the first ``length`` hex digits of HMAC-SHA256.

    The same value always gives the same pseudonym under one key, so masked tables can
    still be joined, but without the key nobody can test guesses against it. The key comes
    from the ``key`` option or the ``SMECREDIT_MASKING_HASH_KEY`` environment variable.
    The value is NFKC-normalised and stripped first.
    """

    name = "hash"
    description = "假名化: keyed HMAC-SHA256 pseudonym for joining without revealing"
    defaults: ClassVar[Mapping[str, Any]] = {"key": None, "length": 16, "prefix": "h:"}

    def _apply(self, value: str, opts: dict[str, Any]) -> str:
        length, prefix = opts["length"], opts["prefix"]
        if not isinstance(length, int) or isinstance(length, bool) or not 8 <= length <= 64:
            raise MaskingOptionError("masking strategy 'hash': length must be between 8 and 64")
        if not isinstance(prefix, str):
            raise MaskingOptionError("masking strategy 'hash': prefix must be a string")
        if re.fullmatch(re.escape(prefix) + f"[0-9a-f]{{{length}}}", value):
            return value  # already a pseudonym
        key = opts["key"] if opts["key"] is not None else os.environ.get(HASH_KEY_ENV)
        if not key:
            raise MaskingKeyMissing(
                f"masking strategy 'hash' needs a key: pass key=... or set {HASH_KEY_ENV}"
            )
        key_bytes = key.encode("utf-8") if isinstance(key, str) else bytes(key)
        text = unicodedata.normalize("NFKC", value).strip()
        digest = hmac.new(key_bytes, text.encode("utf-8"), hashlib.sha256).hexdigest()
        return prefix + digest[:length]


class RedactStrategy(_Strategy):
    """Replaces the whole value with a fixed text, ``[已隐藏]`` by default."""

    name = "redact"
    description = "隐藏: replace the whole value with [已隐藏]"
    defaults: ClassVar[Mapping[str, Any]] = {"text": "[已隐藏]"}

    def _apply(self, value: str, opts: dict[str, Any]) -> str:
        return str(opts["text"])


ALL_STRATEGIES: tuple[_Strategy, ...] = (
    IdNumberStrategy(),
    MobileStrategy(),
    BankCardStrategy(),
    UsccStrategy(),
    PersonNameStrategy(),
    AddressStrategy(),
    AmountStrategy(),
    KeepFirstLastStrategy(),
    HashStrategy(),
    RedactStrategy(),
)
"""One instance of every strategy, in documentation order."""
