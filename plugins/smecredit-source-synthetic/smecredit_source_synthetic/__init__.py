"""smecredit data source yielding a deterministic synthetic SME loan portfolio.

The records follow the contract in ``schema/records/``; see
:func:`smecredit_source_synthetic.generator.generate_portfolio`.
"""

from __future__ import annotations

from smecredit_source_synthetic.generator import (
    DEFAULT_AS_OF,
    OBSERVATION_MONTHS,
    GeneratedRecord,
    generate_annotated,
    generate_portfolio,
    observation_date,
)

__all__ = [
    "DEFAULT_AS_OF",
    "OBSERVATION_MONTHS",
    "GeneratedRecord",
    "generate_annotated",
    "generate_portfolio",
    "observation_date",
]
__version__ = "0.1.0"
