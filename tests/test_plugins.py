"""Plugin discovery, enable/disable, isolation and conflicts (smecredit.plugins)."""

from __future__ import annotations

import importlib.metadata
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from smecredit.hookspecs import SDK_VERSION
from smecredit.plugins import (
    PluginConflictError,
    PluginRegistry,
    load_plugins,
    sdk_incompatibility,
)
from smecredit.sdk import (
    FetchRequest,
    KeyFigures,
    PluginSettings,
    ReportDocument,
    RuleResult,
    SourceRecord,
    hookimpl,
)
from smecredit.settings import Settings

BUILTIN = {
    "synthetic": "smecredit-source-synthetic",
    "files": "smecredit-source-files",
    "masking_cn": "smecredit-masking-cn",
}


# ----------------------------------------------------------------- fake plugin objects


class FakeSource:
    description = "test source"
    record_kinds = ("firm",)
    incremental = False
    needs_consent = False
    settings_schema: dict[str, Any] = {"type": "object"}  # noqa: RUF012

    def __init__(self, name: str = "fake", count: int = 3) -> None:
        self.name, self.count = name, count

    async def fetch(self, request: FetchRequest) -> AsyncIterator[SourceRecord]:
        start = int(request.resume_from) + 1 if request.resume_from else 0
        for i in range(start, self.count):
            yield SourceRecord("firm", {"i": i}, f"{i:04d}", f"item {i}")


class FakeMasking:
    description = "test masking"

    def __init__(self, name: str) -> None:
        self.name = name

    def mask(self, value: str | None, **options: Any) -> str | None:
        return None if value is None else "*" * len(value)


class FakeModel:
    name, description, version = "fake_model", "test model", "0.1"

    def fit(self, X: Any, y: Any, *, categorical: Any, options: Any) -> bytes:
        return b"artefact"

    def predict_proba(self, artefact: bytes, X: Any) -> list[float]:
        return [0.5 for _ in X]

    def explain(self, artefact: bytes, X: Any, top_n: int) -> list[list[Any]]:
        return [[] for _ in X]


class FakeReport:
    name, title_zh, title_en, formats = "fake_report", "测试报表", "Fake report", ("csv",)
    roles, params = ("risk_analyst",), ()

    async def build(self, context: Any, params: Any) -> ReportDocument:
        return ReportDocument(sections=(KeyFigures("k", "指标", "Figures", ()),))


class FakeRule:
    code, name, group, kind = "FAKE_RULE", "Fake rule", "credit", "quantitative"
    thresholds = {"blue": 1.0, "yellow": 2.0, "orange": 3.0, "red": 4.0}  # noqa: RUF012
    direction, inputs = "higher_is_worse", ("loan",)

    def evaluate(self, frame: Any) -> list[RuleResult]:
        return [RuleResult(row["firm_uscc"], row["dpd"], None) for row in frame]


class EverythingPlugin:
    """Implements every registration hook."""

    SMECREDIT_SDK = SDK_VERSION
    __version__ = "9.9"

    @hookimpl
    def register_data_sources(self) -> list[Any]:
        return [FakeSource()]

    @hookimpl
    def register_scoring_models(self) -> list[Any]:
        return [FakeModel()]

    @hookimpl
    def register_masking_strategies(self) -> list[Any]:
        return [FakeMasking("stars")]

    @hookimpl
    def register_report_types(self) -> list[Any]:
        return [FakeReport()]

    @hookimpl
    def register_warning_rules(self) -> list[Any]:
        return [FakeRule()]


def source_plugin(plugin_name: str, *source_names: str) -> object:
    """A plugin object named ``plugin_name`` registering sources ``source_names``."""

    class Plugin:
        @hookimpl
        def register_data_sources(self) -> list[Any]:
            return [FakeSource(n) for n in source_names]

    Plugin.__name__ = plugin_name
    return Plugin()


def load(*plugins: object, **settings: Any) -> PluginRegistry:
    return load_plugins(Settings(**settings), extra_plugins=plugins, entry_points=False)


# ----------------------------------------------------------------------------- discovery


def test_discovers_the_installed_builtin_plugins_through_entry_points() -> None:
    registry = load_plugins(Settings())
    found = {p.name: p for p in registry.plugins}
    for name, distribution in BUILTIN.items():
        info = found[name]
        assert (info.status, info.error, info.distribution) == ("active", None, distribution)
        assert info.version == importlib.metadata.version(distribution)
    assert found["synthetic"].hooks == ["register_data_sources"]
    assert {"synthetic", "files"} <= set(registry.data_sources)
    assert registry.owner("data_sources", "files") == "files"
    assert {"mobile", "id_number"} <= set(registry.masking_strategies)


@pytest.mark.parametrize(
    ("enabled", "disabled", "active"),
    [
        ((), (), {"synthetic", "files", "masking_cn"}),
        (("synthetic",), (), {"synthetic"}),
        (("smecredit-masking-cn", "files"), (), {"masking_cn", "files"}),
        ((), ("files",), {"synthetic", "masking_cn"}),
        ((), ("smecredit-source-synthetic", "masking_cn"), {"files"}),
        (("synthetic", "files"), ("files",), {"synthetic"}),  # the deny list wins
    ],
)
def test_allow_and_deny_lists(
    enabled: tuple[str, ...], disabled: tuple[str, ...], active: set[str]
) -> None:
    registry = load_plugins(Settings(plugins_enabled=enabled, plugins_disabled=disabled))
    status = {p.name: p.status for p in registry.plugins if p.name in BUILTIN}
    assert {n for n, s in status.items() if s == "active"} == active
    assert {n for n, s in status.items() if s == "disabled"} == set(BUILTIN) - active
    assert ("synthetic" in registry.data_sources) == ("synthetic" in active)
    assert bool(registry.masking_strategies) == ("masking_cn" in active)


def test_a_disabled_plugin_is_not_even_imported() -> None:
    never = importlib.metadata.EntryPoint("never", "smecredit_test_no_such_module", "smecredit")
    registry = load_plugins(Settings(plugins_disabled=("never",)), entry_points=[never])
    (info,) = registry.plugins
    assert (info.status, info.error) == ("disabled", None)


# ----------------------------------------------------------------------------- isolation


def test_a_plugin_that_fails_to_import_is_isolated(tmp_path: Path, monkeypatch: Any) -> None:
    (tmp_path / "smecredit_test_boom.py").write_text("raise RuntimeError('boom at import')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    entry_points = [
        importlib.metadata.EntryPoint("missing", "smecredit_test_no_such_module", "smecredit"),
        importlib.metadata.EntryPoint("boom", "smecredit_test_boom", "smecredit"),
    ]
    registry = load_plugins(
        Settings(), extra_plugins=[EverythingPlugin()], entry_points=entry_points
    )
    missing, boom, good = registry.plugins
    assert missing.status == "failed" and missing.error is not None
    assert missing.error.startswith("import failed: ModuleNotFoundError")
    assert (boom.status, boom.error) == ("failed", "import failed: RuntimeError: boom at import")
    assert good.status == "active" and "fake" in registry.data_sources


def test_a_plugin_raising_in_a_hook_is_isolated_and_loses_everything_it_registered() -> None:
    class Faulty:
        @hookimpl
        def register_masking_strategies(self) -> list[Any]:
            return [FakeMasking("faulty_mask")]

        @hookimpl
        def register_data_sources(self) -> list[Any]:
            raise KeyError("no credentials")

    faulty_plugin = Faulty()
    registry = load(faulty_plugin, EverythingPlugin())
    faulty = registry.plugin("Faulty")
    assert faulty is not None and faulty.status == "failed"
    assert faulty.error == "register_data_sources: KeyError: 'no credentials'"
    assert "faulty_mask" not in registry.masking_strategies
    assert registry.plugin("EverythingPlugin").status == "active"  # type: ignore[union-attr]
    assert set(registry.masking_strategies) == {"stars"}
    assert not registry.manager.is_registered(faulty_plugin)


def test_registering_an_object_that_breaks_the_protocol_fails_the_plugin() -> None:
    class Incomplete:
        name = "half"
        description = "no fetch, no flags"

    class Plugin:
        @hookimpl
        def register_data_sources(self) -> list[Any]:
            return [Incomplete()]

    info = load(Plugin()).plugins[0]
    assert info.status == "failed" and info.error is not None
    assert "data source 'half' lacks" in info.error
    assert "fetch" in info.error and "needs_consent" in info.error
    # optional members (a default in the protocol) are never demanded
    assert "raw_values" not in info.error and "consent_scope" not in info.error


def test_objects_without_the_optional_attributes_register() -> None:
    registry = load(EverythingPlugin())
    rule = registry.warning_rules["FAKE_RULE"]
    assert not hasattr(rule, "window_days")  # FakeRule declares only the required members
    assert registry.plugins[0].status == "active"


def test_an_async_registration_hook_is_refused() -> None:
    class Plugin:
        @hookimpl
        async def register_data_sources(self) -> list[Any]:
            return [FakeSource()]

    info = load(Plugin()).plugins[0]
    assert info.status == "failed" and info.error is not None
    assert "returned an awaitable" in info.error


def test_two_plugins_with_the_same_name_keep_the_first() -> None:
    registry = load(source_plugin("twin", "a"), source_plugin("twin", "b"))
    first, second = registry.plugins
    assert (first.status, second.status) == ("active", "failed")
    assert set(registry.data_sources) == {"a"}


# ----------------------------------------------------------------------------- conflicts


def test_duplicate_source_names_stop_start_up_naming_both_plugins() -> None:
    with pytest.raises(PluginConflictError) as caught:
        load(source_plugin("bank_a", "ledger"), source_plugin("bank_b", "other", "ledger"))
    assert caught.value.code == "PLUGIN_CONFLICT"
    message = str(caught.value)
    assert "'ledger'" in message and "'bank_a'" in message and "'bank_b'" in message


def test_a_duplicate_within_one_plugin_is_a_conflict_too() -> None:
    with pytest.raises(PluginConflictError, match="plugin 'solo' \\(twice\\)"):
        load(source_plugin("solo", "x", "x"))


def test_warning_rules_conflict_on_their_code() -> None:
    class Again:
        @hookimpl
        def register_warning_rules(self) -> list[Any]:
            return [FakeRule()]

    with pytest.raises(PluginConflictError, match=r"warning rule 'FAKE_RULE'.*'EverythingPlugin'"):
        load(EverythingPlugin(), Again())


def test_a_disabled_duplicate_is_no_conflict() -> None:
    registry = load(
        source_plugin("p1", "same"), source_plugin("p2", "same"), plugins_disabled=("p2",)
    )
    assert registry.owner("data_sources", "same") == "p1"


# ----------------------------------------------------------------------- SDK versions


@pytest.mark.parametrize(
    ("declared", "compatible"),
    [
        ("1.0", True),
        (" 1.0 ", True),
        ("1.1", True),
        ("1.2", True),
        ("1.3", True),
        ("1.4", True),
        ("1.5", False),
        ("2.0", False),
        ("0.9", False),
    ],
)
def test_sdk_compatibility_rule(declared: str, compatible: bool) -> None:
    assert SDK_VERSION == "1.4"  # the cases above assume the current SDK
    assert (sdk_incompatibility("p", declared) is None) == compatible


@pytest.mark.parametrize("declared", ["2.0", "1.7", "one", 1.0])
def test_an_incompatible_plugin_is_refused_with_a_message(declared: object) -> None:
    class Future:
        SMECREDIT_SDK = declared

        @hookimpl
        def register_data_sources(self) -> list[Any]:
            return [FakeSource("future")]

    registry = load(Future())
    (info,) = registry.plugins
    assert info.status == "incompatible" and info.error is not None
    assert "'Future'" in info.error and repr(declared).strip("'") in info.error
    assert f"SDK {SDK_VERSION}" in info.error
    assert "future" not in registry.data_sources


def test_a_plugin_without_a_declaration_loads_with_a_warning(caplog: Any) -> None:
    with caplog.at_level(logging.WARNING, logger="smecredit.plugins"):
        registry = load(source_plugin("undeclared", "u"))
    assert registry.plugins[0].status == "active"
    assert "undeclared declares no SMECREDIT_SDK" in caplog.text


# ------------------------------------------------------------------------ bad hookimpls


def test_a_misspelled_hookimpl_fails_that_plugin_loudly() -> None:
    class Typo:
        @hookimpl
        def register_data_source(self) -> list[Any]:  # missing "s"
            return [FakeSource("typo")]

    typo_plugin = Typo()
    registry = load(typo_plugin, EverythingPlugin())
    typo = registry.plugin("Typo")
    assert typo is not None and typo.status == "failed" and typo.error is not None
    assert "unknown hook(s) register_data_source in plugin 'Typo'" in typo.error
    assert "register_data_sources" in typo.error  # the list of real hooks helps the author
    assert not registry.manager.is_registered(typo_plugin)
    registry.manager.check_pending()  # the survivors are all valid
    assert "fake" in registry.data_sources


def test_a_hookimpl_with_arguments_the_spec_lacks_is_refused() -> None:
    class BadArgs:
        @hookimpl
        def startup(self, settings: Any, database: Any) -> None:
            pass

    (info,) = load(BadArgs()).plugins
    assert info.status == "failed" and info.error is not None
    assert "PluginValidationError" in info.error and "'startup'" in info.error


# ---------------------------------------------------------------------- registered objects


def test_every_registration_hook_fills_its_registry() -> None:
    registry = load(EverythingPlugin())
    (info,) = registry.plugins
    assert info.version == "9.9" and info.distribution is None
    assert info.hooks == sorted(
        [
            "register_data_sources",
            "register_masking_strategies",
            "register_report_types",
            "register_scoring_models",
            "register_warning_rules",
        ]
    )
    assert set(registry.data_sources) == {"fake"}
    assert set(registry.scoring_models) == {"fake_model"}
    assert set(registry.masking_strategies) == {"stars"}
    assert set(registry.report_types) == {"fake_report"}
    assert set(registry.warning_rules) == {"FAKE_RULE"}
    assert registry.masking_strategies["stars"].mask("abc") == "***"
    rule = registry.warning_rules["FAKE_RULE"]
    assert rule.evaluate([{"firm_uscc": "U", "dpd": 3.0}])[0].value == 3.0


@pytest.mark.anyio
async def test_async_fetch_and_build_work_through_the_registry() -> None:
    registry = load(EverythingPlugin())
    source = registry.data_sources["fake"]
    records = [r async for r in source.fetch(FetchRequest())]
    assert [r.position for r in records] == ["0000", "0001", "0002"]
    resumed = [r async for r in source.fetch(FetchRequest(resume_from="0000"))]
    assert resumed == records[1:]
    document = await registry.report_types["fake_report"].build(None, {})
    assert isinstance(document, ReportDocument)


# ----------------------------------------------------------------------------- lifecycle


class Recorder:
    SMECREDIT_SDK = "1.3"  # startup gets a PluginSettings view (older plugins: see below)

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []


class Lifecycle(Recorder):
    @hookimpl
    def startup(self, settings: Any) -> None:
        self.calls.append(("startup", settings))

    @hookimpl
    def shutdown(self) -> None:
        self.calls.append(("shutdown", None))


class AsyncLifecycle(Recorder):
    @hookimpl
    async def startup(self, settings: Any) -> None:
        self.calls.append(("async startup", settings))

    @hookimpl
    async def shutdown(self) -> None:
        self.calls.append(("async shutdown", None))


@pytest.mark.anyio
async def test_startup_and_shutdown_run_sync_and_async_implementations() -> None:
    sync_plugin, async_plugin = Lifecycle(), AsyncLifecycle()
    registry = load(sync_plugin, async_plugin)
    settings = Settings()
    await registry.startup(settings)
    await registry.shutdown()
    view = PluginSettings(plugin="Lifecycle", environment="dev")
    async_view = PluginSettings(plugin="AsyncLifecycle", environment="dev")
    assert sync_plugin.calls == [("startup", view), ("shutdown", None)]
    assert async_plugin.calls == [("async startup", async_view), ("async shutdown", None)]
    assert registry.plugin("Lifecycle").hooks == ["shutdown", "startup"]  # type: ignore[union-attr]


@pytest.mark.anyio
async def test_startup_gets_the_plugins_own_view_not_the_core_settings(
    tmp_path: Path,
) -> None:
    plugin = Lifecycle()
    registry = load(plugin)
    settings = Settings(
        env="prod",
        database_url="postgres://secret@db/x",
        extra={
            "SMECREDIT_PLUGIN_LIFECYCLE_URL": "https://bureau.example",
            "SMECREDIT_PLUGIN_OTHER_URL": "https://not-mine.example",
        },
        data_dir=tmp_path,
    )
    await registry.startup(settings)
    ((_, view),) = plugin.calls
    assert view == PluginSettings(
        plugin="Lifecycle",
        environment="prod",
        options={"url": "https://bureau.example"},
        data_dir=tmp_path / "plugins" / "Lifecycle",
    )
    assert view.option("URL") == "https://bureau.example" and view.option("x", "d") == "d"
    assert not hasattr(view, "database_url")


@pytest.mark.anyio
async def test_a_plugin_written_for_an_older_sdk_still_gets_the_core_settings() -> None:
    plugin = Lifecycle()
    plugin.SMECREDIT_SDK = "1.2"  # type: ignore[attr-defined]
    registry = load(plugin)
    settings = Settings()
    await registry.startup(settings)
    assert plugin.calls == [("startup", settings)]


@pytest.mark.anyio
async def test_a_failing_startup_withdraws_the_plugin_and_the_rest_keep_serving() -> None:
    class Flaky:
        @hookimpl
        def register_data_sources(self) -> list[Any]:
            return [FakeSource("flaky")]

        @hookimpl
        async def startup(self, settings: Any) -> None:
            raise ConnectionError("bureau unreachable")

        @hookimpl
        def shutdown(self) -> None:
            raise RuntimeError("already closed")

    survivor = Lifecycle()
    registry = load(Flaky(), survivor, EverythingPlugin())
    assert "flaky" in registry.data_sources
    await registry.startup(Settings())
    flaky = registry.plugin("Flaky")
    assert flaky is not None and flaky.status == "failed"
    assert flaky.error == "startup: ConnectionError: bureau unreachable"
    assert "flaky" not in registry.data_sources and "fake" in registry.data_sources
    await registry.shutdown()  # the failed plugin's shutdown still runs, and may fail
    assert flaky.error.endswith("; shutdown: RuntimeError: already closed")
    assert [c[0] for c in survivor.calls] == ["startup", "shutdown"]
