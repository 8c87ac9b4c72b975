"""Shared model pieces: money fields, timestamps, optimistic-lock version."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

__all__ = ["MONEY_DIGITS", "EvidenceModel", "TimestampedModel", "money_field"]

#: Precision of every money column: up to 10^16 yuan, exact to the fen.
MONEY_DIGITS = (18, 2)


def money_field(**kwargs: Any) -> Any:
    """A DecimalField sized for yuan amounts (never float)."""
    return fields.DecimalField(max_digits=MONEY_DIGITS[0], decimal_places=MONEY_DIGITS[1], **kwargs)


class TimestampedModel(Model):
    """Adds created/updated timestamps and an optimistic-lock ``version``."""

    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    # Incremented by every service-layer update: portable optimistic locking
    # because ``select_for_update`` is a plain SELECT on SQLite.
    version = fields.IntField(default=1)

    class Meta:
        abstract = True


class EvidenceModel(Model):
    """Evidence about a firm: every fact records which source said it and when.

    ``imputed`` names the values the platform filled in because the source left them
    empty, as ``field:method`` pairs joined by commas (e.g. ``amount_paid:zero``; see the
    missing-value policy of :mod:`smecredit.domain.cleaning.fields`); null when every
    value is the source's own.
    """

    source = fields.CharField(max_length=64)
    fetched_at = fields.DatetimeField()
    imputed = fields.CharField(max_length=255, null=True)

    class Meta:
        abstract = True
