"""Backups of the database: encrypted, checksummed, verified, restored into a fresh database.

:mod:`.archive` encrypts the file, :mod:`.manifest` describes it, :mod:`.engines` takes and
restores the snapshot on SQLite (the online backup API) and PostgreSQL (``pg_dump -Fc`` /
``pg_restore``), :mod:`.service` ties them to the ``smecredit backup`` commands.
"""
