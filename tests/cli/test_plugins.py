"""``smecredit plugins list``."""

from __future__ import annotations

import json

from click.testing import CliRunner

from smecredit.cli.plugins import format_table, plugins
from smecredit.plugins import PluginInfo


def test_list_json_shows_the_builtin_plugins() -> None:
    result = CliRunner().invoke(plugins, ["list", "--json"], env={"SMECREDIT_PLUGINS_DISABLED": ""})
    assert result.exit_code == 0, result.output
    listed = {p["name"]: p for p in json.loads(result.output)}
    assert listed["synthetic"]["distribution"] == "smecredit-source-synthetic"
    assert listed["synthetic"]["hooks"] == ["register_data_sources"]
    assert {listed[n]["status"] for n in ("synthetic", "files", "masking_cn")} == {"active"}


def test_list_table_shows_disabled_plugins() -> None:
    result = CliRunner().invoke(plugins, ["list"], env={"SMECREDIT_PLUGINS_DISABLED": "files"})
    assert result.exit_code == 0, result.output
    header, *rows = result.output.splitlines()
    assert header.split() == ["NAME", "VERSION", "DISTRIBUTION", "HOOKS", "STATUS", "ERROR"]
    files = next(r for r in rows if r.startswith("files "))
    assert files.split() == ["files", "0.1.0", "smecredit-source-files", "-", "disabled"]


def test_table_keeps_the_whole_error() -> None:
    error = "import failed: ModuleNotFoundError: No module named 'x'"
    table = format_table(
        [
            PluginInfo("a", None, None, [], "failed", error),
            PluginInfo("long_plugin_name", "1.0", "dist", ["startup"], "active", None),
        ]
    )
    first, second, third = table.splitlines()
    assert second.endswith(error) and second.startswith("a ")
    assert first.index("STATUS") == second.index("failed") == third.index("active")
    assert format_table([]).startswith("no plugins installed")
