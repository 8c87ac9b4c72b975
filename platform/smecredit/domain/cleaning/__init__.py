"""Cleaning and integration of source records (R3): normalise, de-duplicate, flag outliers.

Pure functions over plain dicts shaped like ``schema/records/<kind>.schema.json``:

* :func:`normalise_record` - one canonical format per field, issues for what cannot be fixed;
* :func:`dedupe_firms` / :func:`dedupe_persons` / :func:`merge_firm` - one profile per entity
  (the merge rule is documented in :mod:`smecredit.domain.cleaning.dedupe`);
* :func:`flag_outliers` and :func:`missing_rates` - data-quality checks over a batch;
* :func:`flag_implausible` - implausible dates and formula-like text in one record.
"""

from __future__ import annotations

from smecredit.domain.cleaning.dedupe import (
    DedupeResult,
    Merge,
    dedupe_firms,
    dedupe_persons,
    merge_firm,
    merge_person,
)
from smecredit.domain.cleaning.fields import (
    FIELDS,
    IMPUTE,
    KEEP,
    KINDS,
    MISSING_POLICIES,
    QUARANTINE,
    FieldSpec,
    UnknownKindError,
    fields_of,
    missing_policies,
    missing_policy,
)
from smecredit.domain.cleaning.issues import (
    BAD_CODE,
    BAD_FORMAT,
    CONFLICT,
    CONVERTED_UNIT,
    FORMULA_TEXT,
    IMPLAUSIBLE_DATE,
    IMPUTED,
    MISSING_VALUE,
    OUT_OF_RANGE,
    OUTLIER,
    UNKNOWN_FIELD,
    CleanResult,
    Issue,
    Severity,
)
from smecredit.domain.cleaning.normalise import missing_value, normalise_record, normalise_value
from smecredit.domain.cleaning.outliers import flag_outliers, missing_rates, robust_z_scores
from smecredit.domain.cleaning.plausibility import flag_implausible

__all__ = [
    "BAD_CODE",
    "BAD_FORMAT",
    "CONFLICT",
    "CONVERTED_UNIT",
    "FIELDS",
    "FORMULA_TEXT",
    "IMPLAUSIBLE_DATE",
    "IMPUTE",
    "IMPUTED",
    "KEEP",
    "KINDS",
    "MISSING_POLICIES",
    "MISSING_VALUE",
    "OUTLIER",
    "OUT_OF_RANGE",
    "QUARANTINE",
    "UNKNOWN_FIELD",
    "CleanResult",
    "DedupeResult",
    "FieldSpec",
    "Issue",
    "Merge",
    "Severity",
    "UnknownKindError",
    "dedupe_firms",
    "dedupe_persons",
    "fields_of",
    "flag_implausible",
    "flag_outliers",
    "merge_firm",
    "merge_person",
    "missing_policies",
    "missing_policy",
    "missing_rates",
    "missing_value",
    "normalise_record",
    "normalise_value",
    "robust_z_scores",
]
