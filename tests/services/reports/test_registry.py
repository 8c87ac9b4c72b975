"""A report type is checked when its plugin loads: a malformed one is refused."""

from __future__ import annotations

from typing import Any

from smecredit.hookspecs import SDK_VERSION
from smecredit.plugins import load_plugins
from smecredit.sdk import hookimpl
from smecredit.sdk.reports import ReportDocument, ReportParam


class Declared:
    name, title_zh, title_en = "declared", "报表", "Report"
    formats: tuple[str, ...] = ("csv",)
    roles: tuple[str, ...] = ("risk_analyst",)
    params: tuple[ReportParam, ...] = ()

    def __init__(self, **changes: Any) -> None:
        for key, value in changes.items():
            setattr(self, key, value)

    async def build(self, context: Any, params: Any) -> ReportDocument:
        return ReportDocument(sections=())


def plugin(report: Declared) -> object:
    class Plugin:
        SMECREDIT_SDK = SDK_VERSION

        @hookimpl
        def register_report_types(self) -> list[Any]:
            return [report]

    return Plugin()


def test_a_well_formed_report_type_registers() -> None:
    registry = load_plugins(entry_points=False, extra_plugins=[plugin(Declared())])
    assert set(registry.report_types) == {"declared"}


def test_malformed_report_types_are_refused_naming_what_is_wrong() -> None:
    cases = {
        "formats": Declared(formats=("csv", "docx")),
        "roles": Declared(roles=("risk_manager",)),
        "no one": Declared(roles=()),
        "kind": Declared(params=(ReportParam("x", "colour", "x", "x"),)),  # type: ignore[arg-type]
        "category": Declared(category="misc"),
    }
    for expected, report in cases.items():
        registry = load_plugins(entry_points=False, extra_plugins=[plugin(report)])
        assert registry.report_types == {}, expected
        (info,) = registry.plugins
        assert info.status == "failed"
        assert "report type 'declared'" in (info.error or "")
        assert expected.split()[0] in (info.error or ""), (expected, info.error)
