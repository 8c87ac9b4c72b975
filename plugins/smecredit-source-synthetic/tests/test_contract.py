"""The synthetic source honours the data-source contract of smecredit.testing."""

from __future__ import annotations

from smecredit_source_synthetic import plugin
from smecredit_source_synthetic.plugin import SyntheticSource

from smecredit.sdk import FetchRequest
from smecredit.testing import DataSourceContract, collect_records, plugin_manager_for


class TestSyntheticContract(DataSourceContract):
    source = SyntheticSource()
    fetch_request = FetchRequest(settings={"n_firms": 4, "seed": 7, "as_of": "2026-06-30"})
    resume_points = 4


def test_plugin_module_registers_the_source() -> None:
    registry = plugin_manager_for(plugin)
    (info,) = registry.plugins
    assert (info.status, info.error, info.hooks) == ("active", None, ["register_data_sources"])
    assert isinstance(registry.data_sources["synthetic"], SyntheticSource)


def test_settings_reach_the_generator() -> None:
    source = SyntheticSource()
    small = collect_records(source, FetchRequest(settings={"n_firms": 1, "seed": 3}))
    other_seed = collect_records(source, FetchRequest(settings={"n_firms": 1, "seed": 4}))
    assert small[0].kind == "firm" and other_seed[0].kind == "firm"
    assert small[0].data["uscc"] != other_seed[0].data["uscc"]
    assert sum(r.kind == "firm" for r in small) == 1
    assert collect_records(source, FetchRequest(settings={"n_firms": 0})) == []
