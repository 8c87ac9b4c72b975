"""Early warning (R5): indicator inputs, versioned configuration, scans, lifecycle,
live push, back-tests and weight re-estimation.

Entry points: :func:`smecredit.services.early_warning.scan.scan_firms` (after a sync or a
repayment event), :func:`~smecredit.services.early_warning.scan.scan_portfolio` (the
``smecredit warnings scan`` command, the ``runWarningScan`` mutation and the built-in
schedule of :mod:`~smecredit.services.early_warning.schedule`; one at a time, see
:mod:`~smecredit.services.early_warning.runs`).
"""

from __future__ import annotations

__all__: list[str] = []
