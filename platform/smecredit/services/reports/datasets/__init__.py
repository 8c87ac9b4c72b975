"""Datasets of the report catalogue declared by other areas, one module per area.

:mod:`smecredit.services.reports.catalogue` adds each module's ``DATASETS`` to its own.
"""
