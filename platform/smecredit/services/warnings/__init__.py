"""Early warning (R5): indicator inputs, versioned configuration, scans, lifecycle,
live push, back-tests and weight re-estimation.

Entry points: :func:`smecredit.services.warnings.scan.scan_firms` (after a sync or a
repayment event), :func:`~smecredit.services.warnings.scan.scan_portfolio` (the
``smecredit warnings scan`` command, the ``runWarningScan`` mutation and the built-in
schedule of :mod:`~smecredit.services.warnings.schedule`; one at a time, see
:mod:`~smecredit.services.warnings.runs`). The officer steps are
:mod:`~smecredit.services.warnings.lifecycle`, over the guarded status change of
:mod:`~smecredit.services.warnings.transitions`.
"""

from __future__ import annotations

__all__: list[str] = []
