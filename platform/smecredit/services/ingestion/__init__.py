"""Ingestion: pull a data source into the platform, one module per job.

* :mod:`.sync` - the pipeline (authorise, claim, stream, batch, integrate, resume);
* :mod:`.results` - the prepared job, its progress and its result;
* :mod:`.assess` - one record at a time: clean, validate, consent, flag;
* :mod:`.clean` - cleaning records through a cache of repeated values;
* :mod:`.writer` - integrating a batch of valid records into firm profiles;
* :mod:`.tables` - how each record kind maps onto its table (types read from the models);
* :mod:`.bulk` - raw bulk SQL (chunked IN lookups, executemany) on the shared dialect
  helper :mod:`smecredit.services.sql_dialect`;
* :mod:`.runs` - runs across processes (lock, owner, heartbeat, dead runs);
* :mod:`.quarantine` - the quarantine at rest and on the way out;
* :mod:`.refresh` - the remembered ``since`` and rescoring after a sync.

Import from the modules; this package re-exports nothing.
"""
