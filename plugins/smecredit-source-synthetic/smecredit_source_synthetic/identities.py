"""Builders for valid identity codes: USCC, organisation code, resident ID number, mobile.

Check characters come from :mod:`smecredit.sdk` so the generator and the platform's
validators can never disagree.
"""

from __future__ import annotations

import datetime as dt
import random

from smecredit.sdk import id_number_check_char, uscc_check_char

__all__ = [
    "MOBILE_PREFIXES",
    "make_id_number",
    "make_org_code",
    "make_phone",
    "make_uscc",
    "org_code_check_char",
]

_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
# Characters that are valid both in an organisation code body and in a USCC.
_ORG_BODY_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"

#: Mainland mobile prefixes in real use (China Mobile, Unicom, Telecom, virtual operators).
MOBILE_PREFIXES: tuple[str, ...] = (
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139",
    "150", "151", "152", "153", "155", "156", "157", "158", "159",
    "166", "170", "173", "175", "176", "177", "178",
    "180", "181", "182", "183", "184", "185", "186", "187", "188", "189",
    "191", "198", "199",
)  # fmt: skip


def _org_value(ch: str) -> int:
    return int(ch) if ch.isdigit() else ord(ch) - ord("A") + 10


def org_code_check_char(body: str) -> str:
    """Return the GB 11714-1997 check character of an 8-character organisation code body.

    Args:
        body: 8 digits or upper-case letters.

    Returns:
        ``"0"``-``"9"`` or ``"X"``.
    """
    if len(body) != 8 or not all(ch.isdigit() or "A" <= ch <= "Z" for ch in body):
        raise ValueError(f"organisation code body must be 8 digits or letters, got {body!r}")
    total = sum(_org_value(ch) * w for ch, w in zip(body, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def make_org_code(rng: random.Random, *, issued_after_2015: bool) -> str:
    """Draw a 9-character organisation code (body + GB 11714 check character).

    Codes issued with the unified code reform start with ``MA``; older ones are digits.
    """
    if issued_after_2015:
        body = "MA" + "".join(rng.choice(_ORG_BODY_CHARS) for _ in range(6))
    else:
        body = str(rng.randint(10_000_000, 99_999_999))
    return body + org_code_check_char(body)


def make_uscc(authority: str, kind: str, region_code: str, org_code: str) -> str:
    """Assemble an 18-character USCC and append its GB 32100 check character."""
    first17 = f"{authority}{kind}{region_code}{org_code}"
    return first17 + uscc_check_char(first17)


def make_id_number(rng: random.Random, region_code: str, birth_date: dt.date, *, male: bool) -> str:
    """Draw a valid resident ID number; the sequence's parity encodes the sex (odd = male)."""
    sequence = rng.randrange(1, 500) * 2 + (1 if male else 0)
    first17 = f"{region_code}{birth_date:%Y%m%d}{sequence:03d}"
    return first17 + id_number_check_char(first17)


def make_phone(rng: random.Random) -> str:
    """Draw a mainland mobile number from a real prefix."""
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(100_000_000):08d}"
