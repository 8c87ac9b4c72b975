"""Contract tests and helpers for plugin authors (the tox / pytest style of plugin kit).

A data-source plugin checks itself against the platform's contract by subclassing
:class:`DataSourceContract` in its own test suite::

    from smecredit.sdk import FetchRequest
    from smecredit.testing import DataSourceContract

    from my_plugin.plugin import MySource


    class TestMySourceContract(DataSourceContract):
        source = MySource()
        fetch_request = FetchRequest(settings={"url": "https://sandbox.example"})

and runs ``pytest``. Scoring models, masking strategies and warning rules have their suites
too (:class:`ScoringModelContract`, :class:`MaskingStrategyContract`,
:class:`WarningRuleContract`, :class:`PolicyRuleContract`), written the same way. A report
type is built on an :class:`InMemoryReportContext` (lists of dicts per dataset) and checked
with :func:`check_report_type`.

For a data source, the request should yield a small but representative data set (a few
hundred records); the suite fetches it a few times. :func:`plugin_manager_for` loads plugin
modules in-process, as the platform would, to test hook implementations.
"""

from __future__ import annotations

from smecredit.testing.kit import assert_implements, plugin_manager_for
from smecredit.testing.masking import MaskingStrategyContract
from smecredit.testing.policy import PolicyRuleContract, sample_facts
from smecredit.testing.reports import InMemoryReportContext, check_report_type
from smecredit.testing.scoring import ScoringModelContract, training_sample
from smecredit.testing.sources import DataSourceContract, collect_records
from smecredit.testing.warnings import WarningRuleContract, random_columns

__all__ = [
    "DataSourceContract",
    "InMemoryReportContext",
    "MaskingStrategyContract",
    "PolicyRuleContract",
    "ScoringModelContract",
    "WarningRuleContract",
    "assert_implements",
    "check_report_type",
    "collect_records",
    "plugin_manager_for",
    "random_columns",
    "sample_facts",
    "training_sample",
]
