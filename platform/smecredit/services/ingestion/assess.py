"""Assess one record at a time: clean, validate, check consent, flag (no I/O).

A record the source could not parse, of an unknown kind, with cleaning errors or schema
violations, or about a firm without consent becomes a :class:`QuarantineItem` (with its
locator, field and reason); any other becomes a :class:`ValidRecord`, flagged when a date
is implausible, text looks like a formula or a value was imputed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from smecredit.domain.cleaning import IMPUTED, KINDS, fields_of, flag_implausible
from smecredit.records import validator_for
from smecredit.sdk import SourceRecord
from smecredit.services.ingestion.clean import clean_record
from smecredit.services.ingestion.quarantine import MAX_LOCATOR, QuarantineItem
from smecredit.services.ingestion.results import SyncJob
from smecredit.services.ingestion.writer import IMPUTED_KEY, Rejected, ValidRecord

__all__ = ["Assessor", "from_rejected"]


def _impute_method(kind: str, path: str) -> str | None:
    """The imputation method of a (dotted) field of ``kind``."""
    first, *rest = path.split(".")
    spec = fields_of(kind)[first]
    for name in rest:
        spec = spec.children[name]
    return spec.impute


def _hints(record: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """(firm USCC, branch code) of a record, to file its quarantine row under a branch."""
    uscc = record.get("uscc") or record.get("firm_uscc")
    branch = record.get("branch_code")
    return (
        uscc if isinstance(uscc, str) else None,
        branch if isinstance(branch, str) else None,
    )


class Assessor:
    """Cleans, validates and flags one record at a time (no I/O)."""

    def __init__(self, job: SyncJob) -> None:
        self.source_name = job.source.name
        self.default_fetched_at = job.run.started_at.isoformat()
        self.today = job.run.started_at.date()
        self.allowed = job.allowed_firms
        self.required: dict[str, frozenset[str]] = {}
        #: (kind, field, code, locator) of the flagged records since the last drain.
        self.flags: list[tuple[str, str, str, str]] = []

    def assess(self, item: SourceRecord) -> ValidRecord | QuarantineItem:
        kind, raw, locator = item.kind, item.data, item.locator[:MAX_LOCATOR]
        if item.error is not None:
            error = item.error
            return QuarantineItem(kind, locator, error.code, error.field, error.message, raw)
        if kind not in KINDS:
            reason = f"unknown record kind {kind!r}; known kinds: {', '.join(KINDS)}"
            return QuarantineItem(kind, locator, "UNKNOWN_KIND", None, reason, raw)
        if not isinstance(raw, Mapping):
            reason = f"a {kind} record must be an object, got {type(raw).__name__}"
            return QuarantineItem(kind, locator, "BAD_RECORD", None, reason, raw)
        data = raw
        if not raw.get("source") or not raw.get("fetched_at"):
            data = dict(raw)
            data["source"] = raw.get("source") or self.source_name
            data["fetched_at"] = raw.get("fetched_at") or self.default_fetched_at
        cleaned = clean_record(kind, data)
        record = cleaned.record
        validator = validator_for(kind)
        required = self.required.get(kind) or frozenset(validator.schema.get("required", ()))
        self.required[kind] = required
        empty = [
            name
            for name, value in record.items()
            if (value is None and name not in required)
            # e.g. representative columns present but all empty: absent, not invalid
            or (
                type(value) is dict
                and name != "extensions"
                and all(v is None for v in value.values())
            )
        ]
        for name in empty:
            del record[name]  # an empty optional value is an absent one
        errors = [issue for issue in cleaned.issues if issue.severity == "error"]
        violations = validator.violations(record)
        if errors or violations:
            messages = [issue.message for issue in errors]
            messages += [
                f"{v.field}: {v.message}" if v.field else v.message
                for v in violations
                if not any(v.field == issue.field for issue in errors)
            ]
            first_field = errors[0].field if errors else violations[0].field or None
            code = errors[0].code if errors else "SCHEMA_VIOLATION"
            return QuarantineItem(
                kind, locator, code, first_field, "; ".join(messages), raw, *_hints(record)
            )
        if self.allowed is not None:
            uscc = record.get("firm_uscc") or record.get("uscc")
            if uscc is not None and uscc not in self.allowed:
                reason = f"no valid consent recorded for firm {uscc}: record not taken in"
                field_name = "firm_uscc" if "firm_uscc" in record else "uscc"
                return QuarantineItem(
                    kind, locator, "CONSENT_MISSING", field_name, reason, raw, *_hints(record)
                )
        for issue in flag_implausible(kind, record, today=self.today):
            self.flags.append((kind, issue.field, issue.code, locator))
        imputed = []
        for issue in cleaned.issues:
            if issue.code == IMPUTED:  # counted per field like a flag: kept, but not as given
                self.flags.append((kind, issue.field, issue.code, locator))
                imputed.append(f"{issue.field}:{_impute_method(kind, issue.field)}")
        if imputed:
            record[IMPUTED_KEY] = ",".join(sorted(imputed))  # recorded on the stored row
        return ValidRecord(kind, record, locator, raw)

    def drain_flags(self) -> list[tuple[str, str, str, str]]:
        """The flags gathered since the last drain (they belong to the batch being cut)."""
        flags, self.flags = self.flags, []
        return flags


def from_rejected(rejected: Rejected) -> QuarantineItem:
    """The quarantine row of a record the writer refused."""
    item = rejected.item
    return QuarantineItem(
        item.kind,
        item.locator,
        rejected.code,
        rejected.field,
        rejected.reason,
        item.raw,
        *_hints(item.record),
    )
