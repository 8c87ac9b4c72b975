"""Which committed migrations the open database has applied, and which are pending.

``smecredit db migrate`` applies the modules of :mod:`smecredit.migrations` through
Tortoise's migration executor, which records each applied one as a row ``(app, name)`` of
the ``tortoise_migrations`` table. The pending migrations are the committed modules that
have no row: ``smecredit db check`` lists them, ``/readyz`` refuses traffic while there
are any, and a backup's manifest names the newest applied one (its schema head).
"""

from __future__ import annotations

import pkgutil

from tortoise import connections

from smecredit import migrations

__all__ = [
    "MIGRATIONS_TABLE",
    "applied_migrations",
    "committed_migrations",
    "migration_head",
    "pending_migrations",
]

#: The table in which Tortoise's migration recorder lists the applied migrations.
MIGRATIONS_TABLE = "tortoise_migrations"
_APP = "smecredit"


def committed_migrations() -> list[str]:
    """The names of the migration modules shipped with this version, in order."""
    return sorted(m.name for m in pkgutil.iter_modules(migrations.__path__) if m.name[:4].isdigit())


async def applied_migrations(connection_name: str = "default") -> set[str]:
    """The migrations the database records as applied (empty: never migrated)."""
    conn = connections.get(connection_name)
    try:
        # The table name and app are constants: nothing of the caller goes into the SQL.
        rows = await conn.execute_query_dict(f'SELECT "app", "name" FROM "{MIGRATIONS_TABLE}"')
    except Exception:  # no such table: the database was never migrated
        return set()
    return {str(r["name"]) for r in rows if r["app"] == _APP}


async def pending_migrations(connection_name: str = "default") -> list[str]:
    """The committed migrations the database has not applied, oldest first."""
    applied = await applied_migrations(connection_name)
    return [name for name in committed_migrations() if name not in applied]


async def migration_head(connection_name: str = "default") -> str | None:
    """The newest committed migration the database has applied (None: none)."""
    applied = await applied_migrations(connection_name)
    done = [name for name in committed_migrations() if name in applied]
    return done[-1] if done else None
