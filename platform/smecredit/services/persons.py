"""Persons: the one place personal data is written, indexed and (later) encrypted."""

from __future__ import annotations

import hashlib
import hmac
import os

from smecredit.domain.identity import normalize_id_number

__all__ = ["person_index"]

# Development fallback only: production sets SMECREDIT_BLIND_INDEX_KEY (see security).
_DEV_INDEX_KEY = b"smecredit-dev-blind-index-key"


def person_index(id_number: str) -> str:
    """Keyed blind index of a resident ID number for exact-match lookups."""
    key = os.environ.get("SMECREDIT_BLIND_INDEX_KEY", "").encode() or _DEV_INDEX_KEY
    return hmac.new(key, normalize_id_number(id_number).encode(), hashlib.sha256).hexdigest()
