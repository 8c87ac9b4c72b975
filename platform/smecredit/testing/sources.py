"""The data-source contract: :class:`DataSourceContract` and :func:`collect_records`."""

from __future__ import annotations

import inspect
import itertools
import re
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any, ClassVar

import anyio
import jsonschema

from smecredit.records import load_schema, record_kinds, validator_for
from smecredit.sdk import RECORD_KINDS, DataSource, FetchRequest, SourceRecord, declared
from smecredit.testing.kit import assert_implements

__all__ = ["DataSourceContract", "collect_records"]

_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_CODE_RE = re.compile(r"^[A-Z][A-Z0-9_]*$")


def collect_records(
    source: DataSource, request: FetchRequest, *, limit: int | None = None
) -> list[SourceRecord]:
    """Run ``source.fetch(request)`` to the end (or ``limit`` records) and return the records."""

    async def collect() -> list[SourceRecord]:
        records: list[SourceRecord] = []
        stream: AsyncIterator[SourceRecord] = source.fetch(request)
        try:
            async for record in stream:
                records.append(record)
                if limit is not None and len(records) >= limit:
                    break
        finally:
            aclose = getattr(stream, "aclose", None)
            if aclose is not None:
                await aclose()
        return records

    return anyio.run(collect)


class DataSourceContract:
    """Pytest base class: what every :class:`~smecredit.sdk.DataSource` must honour.

    Subclass it in a ``Test*`` class and set the class attributes.

    Attributes:
        source: the data source under test.
        fetch_request: a request that yields a small, representative data set.
        max_records: records read per fetch at most (keeps huge sources testable).
        resume_points: how many positions the resume test restarts from.
    """

    source: ClassVar[DataSource]
    fetch_request: ClassVar[FetchRequest] = FetchRequest()
    max_records: ClassVar[int] = 5_000
    resume_points: ClassVar[int] = 3

    _cache: ClassVar[dict[type, list[SourceRecord]]] = {}

    def records(self) -> list[SourceRecord]:
        """The records of :attr:`fetch_request`, fetched once per test class."""
        cls = type(self)
        if cls not in DataSourceContract._cache:
            DataSourceContract._cache[cls] = collect_records(
                self.source, self.fetch_request, limit=self.max_records
            )
        return DataSourceContract._cache[cls]

    def test_declares_identity(self) -> None:
        """name, description, record kinds and flags are declared with the right types."""
        source = self.source
        assert_implements(source, DataSource)
        assert isinstance(source.name, str) and _NAME_RE.match(source.name), (
            f"name {source.name!r} must be lower_snake_case, at most 63 characters"
        )
        assert isinstance(source.description, str) and source.description.strip()
        kinds = source.record_kinds
        assert isinstance(kinds, tuple) and kinds, "record_kinds must be a non-empty tuple"
        unknown = sorted(set(kinds) - set(RECORD_KINDS))
        assert not unknown, f"record_kinds {unknown} are not among {RECORD_KINDS}"
        assert set(kinds) <= set(record_kinds()), "a declared kind has no packaged schema"
        assert isinstance(source.incremental, bool)
        assert isinstance(source.needs_consent, bool)
        assert isinstance(declared(source, DataSource, "raw_values"), bool)
        scope = declared(source, DataSource, "consent_scope")
        assert scope is None or (isinstance(scope, str) and _NAME_RE.match(scope)), (
            f"consent_scope {scope!r} must be None or lower_snake_case"
        )

    def test_settings_schema_is_valid_and_accepts_the_request(self) -> None:
        """settings_schema is a JSON Schema and the test request's settings satisfy it."""
        schema = self.source.settings_schema
        assert isinstance(schema, dict), "settings_schema must be a dict (a JSON Schema)"
        validator_class = jsonschema.validators.validator_for(
            schema, default=jsonschema.Draft202012Validator
        )
        validator_class.check_schema(schema)
        validator = validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)
        errors = [e.message for e in validator.iter_errors(dict(self.fetch_request.settings))]
        assert not errors, f"fetch_request.settings do not match settings_schema: {errors}"

    def test_fetch_is_an_async_generator(self) -> None:
        """fetch is an ``async def`` generator, consumed with ``async for``."""
        assert inspect.isasyncgenfunction(self.source.fetch), (
            "fetch must be an async generator: `async def fetch(self, request): ... yield`"
        )

    def test_yields_records(self) -> None:
        """The test request yields at least one record (else the contract proves nothing)."""
        records = self.records()
        assert records, "fetch_request yielded nothing; give one that yields a few records"
        for record in records:
            assert isinstance(record, SourceRecord), f"yielded {type(record).__name__}"

    def test_records_are_declared_and_valid(self) -> None:
        """Every record's kind is declared and its data matches the kind's JSON Schema."""
        raw = declared(self.source, DataSource, "raw_values")
        problems: list[str] = []
        for record in self.records():
            where = f"{record.locator} ({record.kind})"
            if record.kind not in self.source.record_kinds:
                problems.append(f"{where}: kind not in record_kinds")
                continue
            assert isinstance(record.locator, str) and record.locator, "empty locator"
            if record.error is not None:
                if not _CODE_RE.match(record.error.code) or not record.error.message:
                    problems.append(f"{where}: error needs an UPPER_SNAKE code and a message")
                continue
            if raw:
                extra = _unknown_fields(record.kind, record.data)
                if extra:
                    problems.append(f"{where}: fields not in the schema: {', '.join(extra)}")
            else:
                for violation in validator_for(record.kind).violations(record.data):
                    problems.append(
                        f"{where}: {violation.field or '(record)'}: {violation.message}"
                    )
                if record.data.get("source") != self.source.name:
                    problems.append(f"{where}: source is not {self.source.name!r}")
            if len(problems) >= 20:
                break
        assert not problems, "records break the contract:\n" + "\n".join(problems)

    def test_positions_are_unique_and_increasing(self) -> None:
        """Positions are strings, strictly increasing (as strings) in yield order."""
        positions = [r.position for r in self.records()]
        assert all(isinstance(p, str) and p for p in positions), "positions must be strings"
        for index, (before, after) in enumerate(itertools.pairwise(positions)):
            assert before < after, (
                f"position {after!r} of record {index + 2} does not sort after {before!r}; "
                "zero-pad numbers so positions sort as strings"
            )

    def test_resume_yields_exactly_the_remainder(self) -> None:
        """Fetching with resume_from=position yields exactly the records after it."""
        records = self.records()
        for index in _resume_indices(len(records), self.resume_points):
            request = replace(self.fetch_request, resume_from=records[index].position)
            expected = records[index + 1 :]
            resumed = collect_records(self.source, request, limit=max(len(expected), 1))
            assert [_identity(r) for r in resumed[: len(expected)]] == [
                _identity(r) for r in expected
            ], f"resuming after {records[index].position!r} gave different records"
            if len(records) < self.max_records:  # the first run was complete
                assert len(resumed) == len(expected), (
                    f"resuming after {records[index].position!r} gave {len(resumed)} records, "
                    f"expected {len(expected)}"
                )


def _resume_indices(count: int, points: int) -> Sequence[int]:
    if count == 0:
        return ()
    if count <= points:
        return range(count)
    step = (count - 1) / max(points - 1, 1)
    return sorted({round(i * step) for i in range(points)})


def _identity(record: SourceRecord) -> tuple[Any, ...]:
    return (record.kind, record.data, record.position, record.locator, record.error)


def _unknown_fields(kind: str, data: Mapping[str, Any]) -> list[str]:
    """Field paths of ``data`` that the schema of ``kind`` does not declare.

    Records of raw values are not expected to validate yet (the cleaning step converts
    them), but a misspelled field is still a bug of the source.
    """
    schema = load_schema(kind)
    return list(_unknown(schema, schema, data, ""))


def _resolve(root: Mapping[str, Any], node: Mapping[str, Any]) -> Mapping[str, Any]:
    ref = node.get("$ref")
    while isinstance(ref, str) and ref.startswith("#/"):
        target: Any = root  # the record schemas only use local refs (#/$defs/...)
        for part in ref[2:].split("/"):
            target = target[part]
        node = target
        ref = node.get("$ref")
    return node


def _unknown(
    root: Mapping[str, Any], node: Mapping[str, Any], data: Mapping[str, Any], prefix: str
) -> Iterator[str]:
    properties = _resolve(root, node).get("properties")
    if not isinstance(properties, Mapping):
        return
    for key, value in data.items():
        path = f"{prefix}{key}"
        if key not in properties:
            yield path
        elif isinstance(value, Mapping) and key != "extensions":
            yield from _unknown(root, properties[key], value, f"{path}.")
