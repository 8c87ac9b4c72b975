"""Compliance checks of the platform's own operation (R10), one module per check group.

* :mod:`.lending` - pricing within product limits, concentration, maker-checker;
* :mod:`.data` - consent for bureau pulls, stale data sources;
* :mod:`.platform_ops` - close of business every business day, audit chain, key age,
  password and second-factor policy, backups;
* :mod:`.monitoring` - models monitored, PSI within band;
* :mod:`.catalogue` - all of them in report order; :mod:`.runs` - a run and its results;
  :mod:`.schedule` - the daily run (``SMECREDIT_COMPLIANCE_SCHEDULE``).

The method and weight of each check are in ``docs/compliance.md``; the scoring is
:mod:`smecredit.domain.compliance`.
"""
