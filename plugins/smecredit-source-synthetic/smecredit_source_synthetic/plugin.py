"""Entry-point module of the synthetic data source (entry point group ``smecredit``).

Registers :class:`SyntheticSource`, which streams
:func:`smecredit_source_synthetic.generator.generate_portfolio` as
:class:`smecredit.sdk.SourceRecord` objects.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Mapping
from typing import Any

from smecredit.sdk import (
    RECORD_KINDS,
    DataSource,
    FetchRequest,
    SourceRecord,
    hookimpl,
    yield_to_event_loop,
)
from smecredit_source_synthetic.generator import DEFAULT_AS_OF, generate_portfolio

__all__ = ["SMECREDIT_SDK", "SyntheticSource", "register_data_sources"]

#: The smecredit SDK version this plugin is written against.
SMECREDIT_SDK = "1.0"

# Positions are zero-padded ordinals so that they sort as strings in yield order.
_POSITION_WIDTH = 12
# Generating is CPU-bound: hand the event loop back every so many records.
_YIELD_EVERY = 256


class SyntheticSource:
    """A deterministic synthetic SME portfolio, for demos, tests and model development.

    Not incremental (``since`` is ignored: every run yields the same portfolio) and needs
    no consent (no real person is behind the data). ``firm_usccs`` is ignored too: the
    firms are whatever the seed makes.
    """

    name = "synthetic"
    description = "Deterministic synthetic SME loan portfolio with learnable default"
    record_kinds: tuple[str, ...] = RECORD_KINDS
    incremental = False
    needs_consent = False
    raw_values = False  # records are schema-valid as yielded (unless dirt_rate asks otherwise)
    consent_scope = None  # needs no consent
    settings_schema: dict[str, Any] = {  # noqa: RUF012 - read-only by contract
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "n_firms": {"type": "integer", "minimum": 0, "default": 100},
            "seed": {"type": "integer", "default": 42},
            "as_of": {"type": "string", "format": "date", "default": DEFAULT_AS_OF.isoformat()},
            "dirt_rate": {"type": "number", "minimum": 0, "maximum": 1, "default": 0.0},
        },
    }

    async def fetch(self, request: FetchRequest) -> AsyncIterator[SourceRecord]:
        """Stream the portfolio; ``position`` is the record's ordinal, so resuming skips."""
        options = _options(request.settings)
        start = int(request.resume_from) + 1 if request.resume_from is not None else 0
        for ordinal, (kind, record) in enumerate(generate_portfolio(**options)):
            if ordinal % _YIELD_EVERY == 0:
                await yield_to_event_loop()
            if ordinal < start:
                continue
            yield SourceRecord(
                kind=kind,
                data=record,
                position=f"{ordinal:0{_POSITION_WIDTH}d}",
                locator=f"record {ordinal + 1}",
            )


def _options(settings: Mapping[str, Any]) -> dict[str, Any]:
    as_of = settings.get("as_of", DEFAULT_AS_OF)
    if isinstance(as_of, str):
        as_of = dt.date.fromisoformat(as_of)
    return {
        "n_firms": int(settings.get("n_firms", 100)),
        "seed": int(settings.get("seed", 42)),
        "as_of": as_of,
        "dirt_rate": float(settings.get("dirt_rate", 0.0)),
    }


@hookimpl
def register_data_sources() -> list[DataSource]:
    """The synthetic source."""
    return [SyntheticSource()]
