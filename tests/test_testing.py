"""The plugin-author kit (smecredit.testing) catches sources that break the contract."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from smecredit.sdk import FetchRequest, RecordError, SourceRecord, hookimpl
from smecredit.testing import DataSourceContract, collect_records, plugin_manager_for

FIRM = {
    "uscc": "91330106MA2H3XXX1X",
    "name": "杭州甲乙科技有限公司",
    "industry_code": "I65",
    "region_code": "330106",
    "established_on": "2018-03-12",
    "registered_capital": "5000000.00",
    "employees": 23,
    "status": "active",
    "branch_code": "HZ01",
    "source": "good",
    "fetched_at": "2026-06-30T12:00:00+08:00",
}


class GoodSource:
    name = "good"
    description = "valid records, proper positions"
    record_kinds: tuple[str, ...] = ("firm",)
    incremental = False
    needs_consent = False
    settings_schema: dict[str, Any] = {  # noqa: RUF012
        "type": "object",
        "properties": {"count": {"type": "integer"}},
        "additionalProperties": False,
    }

    def make(self, i: int) -> SourceRecord:
        return SourceRecord("firm", {**FIRM, "employees": i}, f"{i:05d}", f"item {i}")

    async def fetch(self, request: FetchRequest) -> AsyncIterator[SourceRecord]:
        start = int(request.resume_from) + 1 if request.resume_from else 0
        for i in range(start, int(request.settings.get("count", 12))):
            yield self.make(i)


class UnsortablePositions(GoodSource):
    # "10" sorts before "9": the core could not tell the latest checkpoint.
    def make(self, i: int) -> SourceRecord:
        return SourceRecord("firm", {**FIRM, "employees": i}, str(i), f"item {i}")


class ResumeRepeatsTheRecord(GoodSource):
    async def fetch(self, request: FetchRequest) -> AsyncIterator[SourceRecord]:
        start = int(request.resume_from) if request.resume_from else 0  # off by one
        for i in range(start, 12):
            yield self.make(i)


class InvalidRecords(GoodSource):
    def make(self, i: int) -> SourceRecord:
        return SourceRecord("firm", {**FIRM, "employees": "many"}, f"{i:05d}", f"item {i}")


class UndeclaredKind(GoodSource):
    def make(self, i: int) -> SourceRecord:
        return SourceRecord("loan", {}, f"{i:05d}", f"item {i}")


class BadErrorCode(GoodSource):
    def make(self, i: int) -> SourceRecord:
        return SourceRecord("firm", {}, f"{i:05d}", "x", RecordError("bad row", "oops"))


class RawWithTypo(GoodSource):
    raw_values = True

    def make(self, i: int) -> SourceRecord:
        return SourceRecord("firm", {"uscc": "x", "nmae": "typo"}, f"{i:05d}", f"item {i}")


class NotAGenerator(GoodSource):
    def fetch(self, request: FetchRequest) -> AsyncIterator[SourceRecord]:  # type: ignore[override]
        return super().fetch(request)


class UnknownKindDeclared(GoodSource):
    record_kinds = ("firm", "satellite_image")


def contract_for(source: object, **settings: Any) -> DataSourceContract:
    class Contract(DataSourceContract):
        pass

    Contract.source = source  # type: ignore[assignment]
    Contract.fetch_request = FetchRequest(settings=settings)
    return Contract()


def run_all(contract: DataSourceContract) -> None:
    for name in dir(contract):
        if name.startswith("test_"):
            getattr(contract, name)()


def test_a_good_source_passes_every_check() -> None:
    run_all(contract_for(GoodSource()))


@pytest.mark.parametrize(
    ("source", "check", "message"),
    [
        (UnsortablePositions(), "test_positions_are_unique_and_increasing", "zero-pad"),
        (ResumeRepeatsTheRecord(), "test_resume_yields_exactly_the_remainder", "resuming after"),
        (InvalidRecords(), "test_records_are_declared_and_valid", "employees"),
        (UndeclaredKind(), "test_records_are_declared_and_valid", "kind not in record_kinds"),
        (BadErrorCode(), "test_records_are_declared_and_valid", "UPPER_SNAKE"),
        (RawWithTypo(), "test_records_are_declared_and_valid", "nmae"),
        (NotAGenerator(), "test_fetch_is_an_async_generator", "async generator"),
        (UnknownKindDeclared(), "test_declares_identity", "satellite_image"),
    ],
    ids=lambda value: type(value).__name__ if not isinstance(value, str) else "",
)
def test_a_broken_source_fails_the_matching_check(source: object, check: str, message: str) -> None:
    contract = contract_for(source)
    with pytest.raises(AssertionError, match=message):
        getattr(contract, check)()


@pytest.mark.parametrize(
    ("settings", "check"),
    [
        ({"count": 0}, "test_yields_records"),
        ({"count": "six"}, "test_settings_schema_is_valid_and_accepts_the_request"),
    ],
)
def test_requests_that_prove_nothing_or_break_the_schema_fail(
    settings: dict[str, Any], check: str
) -> None:
    with pytest.raises(AssertionError):
        getattr(contract_for(GoodSource(), **settings), check)()


def test_collect_records_stops_at_the_limit_and_closes_the_stream() -> None:
    closed: list[bool] = []

    class Tracking(GoodSource):
        async def fetch(self, request: FetchRequest) -> AsyncIterator[SourceRecord]:
            try:
                for i in range(100):
                    yield self.make(i)
            finally:
                closed.append(True)

    records = collect_records(Tracking(), FetchRequest(), limit=3)
    assert [r.position for r in records] == ["00000", "00001", "00002"]
    assert closed == [True]


def test_plugin_manager_for_ignores_installed_plugins() -> None:
    class Only:
        @hookimpl
        def register_data_sources(self) -> list[Any]:
            return [GoodSource()]

    registry = plugin_manager_for(Only())
    assert [p.name for p in registry.plugins] == ["Only"]
    assert list(registry.data_sources) == ["good"]


def test_every_contract_check_is_exercised_above() -> None:
    checks = {name for name in dir(DataSourceContract) if name.startswith("test_")}
    covered: set[str] = {
        "test_positions_are_unique_and_increasing",
        "test_resume_yields_exactly_the_remainder",
        "test_records_are_declared_and_valid",
        "test_fetch_is_an_async_generator",
        "test_declares_identity",
        "test_yields_records",
        "test_settings_schema_is_valid_and_accepts_the_request",
    }
    assert checks == covered
