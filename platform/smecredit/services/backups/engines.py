"""Taking, checking and restoring a snapshot on each engine (plain files; encryption is
the caller's).

* SQLite: :meth:`sqlite3.Connection.backup` copies the live database page by page into a
  new file while other connections go on writing (under WAL they are not held up); the
  row counts are then read from the copy, so they describe exactly what it holds.
* PostgreSQL: a ``REPEATABLE READ`` transaction exports its snapshot, counts the rows
  under it, and ``pg_dump -Fc --snapshot`` dumps that same snapshot: counts and dump agree
  whatever is written meanwhile. ``pg_restore`` restores into a fresh database.

The password of a PostgreSQL URL goes to the tools in a private password file (libpq's
``passfile``), never on their command line (which any local user can read).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit, urlunsplit

__all__ = [
    "EngineError",
    "Snapshot",
    "asyncpg_url",
    "is_empty_postgres",
    "is_empty_sqlite",
    "pg_archive_readable",
    "pg_restore",
    "pg_snapshot",
    "postgres_table_counts",
    "quote_identifier",
    "sqlite_integrity",
    "sqlite_restore",
    "sqlite_snapshot",
    "sqlite_table_counts",
]

_MIGRATIONS_TABLE = "tortoise_migrations"


class EngineError(Exception):
    """A database tool failed, or the target is not a fresh database."""


@dataclass(frozen=True)
class Snapshot:
    """A plain snapshot file and what it holds."""

    path: Path
    row_counts: dict[str, int]
    applied_migrations: set[str]


def quote_identifier(name: str) -> str:
    """A SQL identifier in double quotes (quotes inside doubled): safe for any name."""
    return '"' + name.replace('"', '""') + '"'


# --------------------------------------------------------------------------- SQLite


def sqlite_table_counts(conn: sqlite3.Connection) -> dict[str, int]:
    """Rows per table of an open SQLite database."""
    tables = [
        str(row[0])
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    return {
        t: int(conn.execute(f"SELECT count(*) FROM {quote_identifier(t)}").fetchone()[0])
        for t in tables
    }


def _sqlite_applied(conn: sqlite3.Connection) -> set[str]:
    try:
        rows = conn.execute(f'SELECT "app", "name" FROM "{_MIGRATIONS_TABLE}"').fetchall()
    except sqlite3.OperationalError:
        return set()
    return {str(name) for app, name in rows if app == "smecredit"}


def sqlite_snapshot(source: Path, target: Path, *, busy_timeout: float = 30.0) -> Snapshot:
    """Copy the live SQLite database ``source`` into ``target`` with the online backup API."""
    src = sqlite3.connect(source, timeout=busy_timeout)
    try:
        dst = sqlite3.connect(target)
        try:
            # One step (pages=-1): the copy is one consistent state of the source.
            src.backup(dst)
            # The copy stands alone: no -wal file beside it to forget.
            dst.execute("PRAGMA journal_mode=DELETE")
            counts = sqlite_table_counts(dst)
            applied = _sqlite_applied(dst)
        finally:
            dst.close()
    finally:
        src.close()
    return Snapshot(target, counts, applied)


def sqlite_integrity(path: Path) -> str:
    """``PRAGMA integrity_check`` of a SQLite file: ``"ok"`` or the first problems found."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            rows = conn.execute("PRAGMA integrity_check").fetchall()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        return f"not a SQLite database ({exc})"
    return "; ".join(str(r[0]) for r in rows[:5])


def is_empty_sqlite(path: Path) -> bool:
    """True when ``path`` does not exist, is empty, or is a SQLite file without tables."""
    if not path.exists() or path.stat().st_size == 0:
        return True
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return not sqlite_table_counts(conn)
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        return False  # something else lives there: not ours to overwrite


def sqlite_restore(plain: Path, target: Path) -> None:
    """Put the decrypted snapshot ``plain`` at ``target`` (a fresh database only)."""
    if not is_empty_sqlite(target):
        raise EngineError("the target database is not empty: restore goes into a fresh one")
    target.parent.mkdir(parents=True, exist_ok=True)
    for leftover in (target.with_name(target.name + s) for s in ("-wal", "-shm")):
        leftover.unlink(missing_ok=True)
    tmp = target.with_name(f".{target.name}.restoring")
    shutil.copyfile(plain, tmp)
    os.chmod(tmp, 0o600)
    os.replace(tmp, target)


# ----------------------------------------------------------------------- PostgreSQL


@contextmanager
def _libpq(url: str) -> Iterator[str]:
    """The URL for the client tools, its password moved into a private password file."""
    parts = urlsplit(url)
    if parts.password is None:
        yield urlunsplit(("postgresql", parts.netloc, parts.path, parts.query, ""))
        return
    user = parts.username or ""
    host = parts.netloc.rsplit("@", 1)[1]
    netloc = f"{user}@{host}" if user else host
    secret = unquote(parts.password).replace("\\", "\\\\").replace(":", "\\:")
    with tempfile.TemporaryDirectory(prefix="smecredit-pg-") as work:
        passfile = Path(work) / "pgpass"
        fd = os.open(passfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(f"*:*:*:*:{secret}\n")
        query = "&".join(q for q in (parts.query, f"passfile={quote(str(passfile))}") if q)
        yield urlunsplit(("postgresql", netloc, parts.path, query, ""))


def asyncpg_url(url: str) -> str:
    """``url`` in the form asyncpg connects to (``postgresql://``)."""
    parts = urlsplit(url)
    return urlunsplit(("postgresql", parts.netloc, parts.path, parts.query, ""))


async def _run(*argv: str) -> str:
    """Run a PostgreSQL client tool; its standard output, or EngineError with its message."""
    if shutil.which(argv[0]) is None:
        raise EngineError(f"{argv[0]} is not installed (the PostgreSQL client tools are needed)")
    proc = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await proc.communicate()
    if proc.returncode != 0:
        message = err.decode("utf-8", "replace").strip().splitlines()
        raise EngineError(f"{argv[0]} failed: {message[-1] if message else proc.returncode}")
    return out.decode("utf-8", "replace")


async def postgres_table_counts(conn: Any) -> dict[str, int]:
    """Rows per table of the ``public`` schema, through an open asyncpg connection."""
    tables = await conn.fetch(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
    )
    counts: dict[str, int] = {}
    for row in tables:
        name = str(row["table_name"])
        query = f"SELECT count(*) FROM public.{quote_identifier(name)}"
        counts[name] = int(await conn.fetchval(query))
    return counts


async def pg_snapshot(url: str, target: Path) -> Snapshot:
    """``pg_dump -Fc`` of the database at ``url`` into ``target``, with its row counts."""
    import asyncpg

    conn = await asyncpg.connect(asyncpg_url(url))
    try:
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            snapshot = str(await conn.fetchval("SELECT pg_export_snapshot()"))
            counts = await postgres_table_counts(conn)
            applied: set[str] = set()
            if _MIGRATIONS_TABLE in counts:
                rows = await conn.fetch(f'SELECT "app", "name" FROM "{_MIGRATIONS_TABLE}"')
                applied = {str(r["name"]) for r in rows if r["app"] == "smecredit"}
            # The exported snapshot lives while this transaction is open.
            with _libpq(url) as dsn:
                await _run(
                    "pg_dump",
                    "-Fc",
                    "--no-owner",
                    f"--snapshot={snapshot}",
                    "-f",
                    str(target),
                    "-d",
                    dsn,
                )
    finally:
        await conn.close()
    return Snapshot(target, counts, applied)


async def pg_archive_readable(path: Path) -> int:
    """The number of entries ``pg_restore --list`` reads from a dump (EngineError: none)."""
    listing = await _run("pg_restore", "--list", str(path))
    entries = [line for line in listing.splitlines() if line and not line.startswith(";")]
    if not entries:
        raise EngineError("pg_restore lists no entry in the archive")
    return len(entries)


async def is_empty_postgres(url: str) -> bool:
    """True when the database at ``url`` has no table in any schema of its own."""
    import asyncpg

    try:
        conn = await asyncpg.connect(asyncpg_url(url))
    except (OSError, asyncpg.PostgresError) as exc:
        # The class only: the message may repeat the URL.
        raise EngineError(
            f"cannot open the target database ({type(exc).__name__}): create it first"
        ) from None
    try:
        count = await conn.fetchval(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema NOT IN "
            "('pg_catalog', 'information_schema')"
        )
    finally:
        await conn.close()
    return int(count) == 0


async def pg_restore(plain: Path, url: str) -> None:
    """``pg_restore`` the dump ``plain`` into the fresh database at ``url``."""
    if not await is_empty_postgres(url):
        raise EngineError("the target database is not empty: restore goes into a fresh one")
    with _libpq(url) as dsn:
        await _run(
            "pg_restore",
            "--no-owner",
            "--exit-on-error",
            "--single-transaction",
            "-d",
            dsn,
            str(plain),
        )
