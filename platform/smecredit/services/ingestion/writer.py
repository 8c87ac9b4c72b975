"""Integrate one batch of validated records into one firm profile, with raw bulk SQL.

Per batch, inside the caller's transaction:

1. **Persons** (person records and firms' legal representatives) are matched by the blind
   index of their ID number and folded with
   :func:`~smecredit.domain.cleaning.merge_person`; new ones inserted, changed ones updated.
2. **Firms** are matched by USCC and folded with
   :func:`~smecredit.domain.cleaning.merge_firm` - first the batch's records among
   themselves in arrival order, then the result into the stored profile (which ranks as
   older: the firm table keeps no ``fetched_at``, so fresh non-null values win and nulls
   never erase what is known).
3. **Evidence, loans and instalments** are upserted by their natural keys
   (``unique_together`` of the models); a record whose firm is unknown is returned for
   quarantine (``UNKNOWN_FIRM``), never dropped.

Every table is touched with one SELECT per 900 keys and one ``executemany`` for inserts and
one for updates: no per-row round trips.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from tortoise.backends.base.client import BaseDBAsyncClient

from smecredit.domain.cleaning import merge_firm, merge_person
from smecredit.services.ingestion.bulk import SqlRunner
from smecredit.services.ingestion.tables import (
    EVIDENCE_TABLES,
    FIRM_COLUMNS,
    TableSpec,
    from_db,
)
from smecredit.services.persons import (
    decrypt_person,
    encrypt_person_fields,
    new_key_ref,
    person_index,
)

__all__ = ["BatchOutcome", "Rejected", "ValidRecord", "write_batch"]


#: Key of a cleaned evidence record naming its imputed values (``field:method,...``), set
#: after schema validation (records are closed) and stored in the row's ``imputed`` column.
IMPUTED_KEY = "imputed"


class ValidRecord(NamedTuple):
    """A cleaned record that passed its schema.

    Attributes:
        kind: record kind.
        record: the cleaned record.
        locator: where it came from (for quarantine).
        raw: the record as the source gave it (for quarantine).
    """

    kind: str
    record: dict[str, Any]
    locator: str
    raw: dict[str, Any]


class Rejected(NamedTuple):
    """A valid record that could not be integrated (e.g. its firm is unknown)."""

    item: ValidRecord
    code: str
    field: str | None
    reason: str


@dataclass(slots=True)
class BatchOutcome:
    """What writing one batch did.

    Attributes:
        accepted: records integrated (inserted, updated or already up to date).
        merged: firm and person records folded into a profile that already existed
            (earlier in the batch, or stored).
        duplicates: records whose natural key already appeared earlier in the same run.
        inserted / updated: rows written, by table.
        rejected: records to quarantine.
        touched_firms: ids of the firms whose own row or evidence rows were inserted or
            changed (what a sync brought that is new: they are rescored after the run).
        touched_usccs: USCCs of firms inserted by the batch (no id known without a read).
    """

    accepted: int = 0
    merged: int = 0
    duplicates: int = 0
    inserted: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    rejected: list[Rejected] = field(default_factory=list)
    touched_firms: set[int] = field(default_factory=set)
    touched_usccs: set[str] = field(default_factory=set)


_FIRM_SELECT = [
    "f.id AS id",
    "f.uscc AS uscc",
    "f.name AS name",
    "f.industry_code AS industry_code",
    "f.region_code AS region_code",
    "f.established_on AS established_on",
    "f.registered_capital AS registered_capital",
    "f.employees AS employees",
    "f.status AS status",
    "f.branch_code AS branch_code",
    "f.representative_id AS representative_id",
    "f.version AS version",
    "f.created_at AS created_at",
    "f.updated_at AS updated_at",
    "p.name AS rep_name",
    "p.id_number AS rep_id_number",
    "p.phone AS rep_phone",
    "p.key_ref AS rep_key_ref",
]
_PERSON_WRITE = ("name", "id_number", "phone", "id_number_index", "key_ref")
_FIRM_FROM = "firm f LEFT JOIN person p ON p.id = f.representative_id"
_FIRM_VALUE_COLUMNS = [column.name for column in FIRM_COLUMNS]


def _amount_text(value: Any) -> str | None:
    return None if value is None else f"{Decimal(str(value)):.2f}"


def _iso(value: Any) -> str | None:
    date = from_db("date", value)
    return None if date is None else date.isoformat()


def _stored_firm(row: dict[str, Any]) -> dict[str, Any]:
    """A stored firm row as a record, so the merge rule can fold into it."""
    record: dict[str, Any] = {
        "uscc": row["uscc"],
        "name": row["name"],
        "industry_code": row["industry_code"],
        "region_code": row["region_code"],
        "established_on": _iso(row["established_on"]),
        "registered_capital": _amount_text(row["registered_capital"]),
        "employees": row["employees"],
        "status": row["status"],
        "branch_code": row["branch_code"],
    }
    if row["rep_id_number"] is not None:
        clear = decrypt_person(
            {
                "key_ref": row["rep_key_ref"],
                "name": row["rep_name"],
                "id_number": row["rep_id_number"],
                "phone": row["rep_phone"],
            }
        )
        record["representative"] = {
            "name": clear.name,
            "id_number": clear.id_number,
            "phone": clear.phone,
        }
    return record


def _touched_since(row: dict[str, Any], since: dt.datetime) -> bool:
    created = from_db("datetime", row.get("created_at"))
    updated = from_db("datetime", row.get("updated_at"))
    return bool((created and created >= since) or (updated and updated >= since))


class _BatchWriter:
    def __init__(self, conn: BaseDBAsyncClient, run_started: dt.datetime) -> None:
        self.sql = SqlRunner(conn)
        self.run_started = run_started
        self.now = dt.datetime.now(dt.UTC)
        self.outcome = BatchOutcome()
        self.indexes: dict[str, str] = {}

    def _count(self, what: dict[str, int], table: str, n: int) -> None:
        if n:
            what[table] = what.get(table, 0) + n

    # -- persons -------------------------------------------------------------------

    def index_of(self, id_number: str) -> str:
        """The blind index of an ID number, computed once per batch (HMAC is not free)."""
        index = self.indexes.get(id_number)
        if index is None:
            index = self.indexes[id_number] = person_index(id_number)
        return index

    async def persons(self, people: list[tuple[dict[str, Any], bool]]) -> dict[str, int]:
        """Upsert persons; ``people`` holds (record, is_top_level). Returns index -> id."""
        if not people:
            return {}
        indexes = [self.index_of(record["id_number"]) for record, _ in people]
        rows = await self.sql.select_in(
            "person",
            ["id", "name", "id_number", "phone", "id_number_index", "key_ref", "version"],
            "id_number_index",
            indexes,
        )
        existing = {row["id_number_index"]: row for row in rows}
        profiles: dict[str, dict[str, Any]] = {}
        for index, (record, top_level) in zip(indexes, people, strict=True):
            if top_level and (index in profiles or index in existing):
                self.outcome.merged += 1
            profiles[index] = (
                merge_person(profiles[index], record)[0] if index in profiles else record
            )
        # Personal fields are encrypted by services.persons alone, raw SQL or not.
        inserts, updates = [], []
        for index, profile in profiles.items():
            row = existing.get(index)
            clear = {
                "name": profile["name"],
                "id_number": profile["id_number"],
                "phone": profile.get("phone"),
            }
            if row is None:
                values = encrypt_person_fields(clear, new_key_ref(), index=index)
                inserts.append((*(values[c] for c in _PERSON_WRITE), self.now, self.now, 1))
                continue
            stored_clear = decrypt_person(row)
            stored = {
                "name": stored_clear.name,
                "id_number": stored_clear.id_number,
                "phone": stored_clear.phone,
            }
            merged, _ = merge_person(stored, profile)
            if (merged["name"], merged.get("phone")) != (stored["name"], stored["phone"]):
                clear = {**clear, "name": merged["name"], "phone": merged.get("phone")}
                values = encrypt_person_fields(clear, row["key_ref"] or new_key_ref(), index=index)
                updates.append(
                    (*(values[c] for c in _PERSON_WRITE), self.now, row["version"] + 1, row["id"])
                )
        await self.sql.insert_many(
            "person", [*_PERSON_WRITE, "created_at", "updated_at", "version"], inserts
        )
        await self.sql.update_many("person", [*_PERSON_WRITE, "updated_at", "version"], updates)
        self._count(self.outcome.inserted, "person", len(inserts))
        self._count(self.outcome.updated, "person", len(updates))
        ids = {index: row["id"] for index, row in existing.items()}
        if inserts:
            fresh = await self.sql.select_in(
                "person",
                ["id", "id_number_index"],
                "id_number_index",
                [r[_PERSON_WRITE.index("id_number_index")] for r in inserts],
            )
            ids.update({row["id_number_index"]: row["id"] for row in fresh})
        return ids

    # -- firms ---------------------------------------------------------------------

    def fold_firms(self, items: list[ValidRecord]) -> dict[str, dict[str, Any]]:
        """Fold the batch's firm records per USCC, in arrival order."""
        profiles: dict[str, dict[str, Any]] = {}
        for item in items:
            uscc = item.record["uscc"]
            if uscc in profiles:
                profiles[uscc], _ = merge_firm(profiles[uscc], item.record)
                self.outcome.merged += 1
                self.outcome.duplicates += 1
            else:
                profiles[uscc] = item.record
        return profiles

    async def stored_firms(self, usccs: Sequence[str]) -> dict[str, dict[str, Any]]:
        rows = await self.sql.select_in(_FIRM_FROM, _FIRM_SELECT, "f.uscc", usccs)
        return {row["uscc"]: row for row in rows}

    def merge_stored(
        self, profiles: dict[str, dict[str, Any]], stored: dict[str, dict[str, Any]]
    ) -> dict[str, dict[str, Any]]:
        """Fold each batch profile into its stored firm (the stored one ranks older)."""
        merged: dict[str, dict[str, Any]] = {}
        for uscc, profile in profiles.items():
            row = stored.get(uscc)
            if row is None:
                merged[uscc] = profile
                continue
            self.outcome.merged += 1
            if _touched_since(row, self.run_started):
                self.outcome.duplicates += 1
            merged[uscc] = merge_firm(_stored_firm(row), profile)[0]
        return merged

    async def firms(
        self,
        merged: dict[str, dict[str, Any]],
        stored: dict[str, dict[str, Any]],
        person_ids: dict[str, int],
    ) -> None:
        inserts, updates = [], []
        for uscc, profile in merged.items():
            row = stored.get(uscc)
            rep = profile.get("representative")
            rep_id = person_ids.get(self.index_of(rep["id_number"])) if rep else None
            values = (*(column.value(profile) for column in FIRM_COLUMNS), rep_id)
            if row is None:
                inserts.append((*values, self.now, self.now, 1))
                self.outcome.touched_usccs.add(uscc)
                continue
            current = (
                *(from_db(column.type, row[column.name]) for column in FIRM_COLUMNS),
                row["representative_id"],
            )
            if values != current:
                updates.append((*values, self.now, row["version"] + 1, row["id"]))
                self.outcome.touched_firms.add(int(row["id"]))
        columns = [*_FIRM_VALUE_COLUMNS, "representative_id"]
        await self.sql.insert_many(
            "firm", [*columns, "created_at", "updated_at", "version"], inserts
        )
        await self.sql.update_many("firm", [*columns, "updated_at", "version"], updates)
        self._count(self.outcome.inserted, "firm", len(inserts))
        self._count(self.outcome.updated, "firm", len(updates))

    # -- evidence ------------------------------------------------------------------

    async def evidence(
        self, spec: TableSpec, items: list[ValidRecord], firm_ids: dict[str, int]
    ) -> None:
        names = spec.value_columns()
        types = spec.column_types()
        key_positions = [names.index(name) for name in spec.key]
        wanted: dict[tuple[Any, ...], tuple[Any, ...]] = {}
        for item in items:
            record = item.record
            firm_id = firm_ids.get(record["firm_uscc"])
            if firm_id is None:
                reason = (
                    f"{spec.kind} refers to firm {record['firm_uscc']}, which is not known: "
                    "import the firm first"
                )
                self.outcome.rejected.append(Rejected(item, "UNKNOWN_FIRM", "firm_uscc", reason))
                continue
            values: list[Any] = [firm_id]
            if spec.evidence:
                values += [
                    record["source"],
                    from_db("datetime", record["fetched_at"]),
                    record.get(IMPUTED_KEY),
                ]
            values += [column.value(record) for column in spec.columns]
            key = tuple(values[position] for position in key_positions)
            if key in wanted:
                self.outcome.duplicates += 1
            wanted[key] = tuple(values)
            self.outcome.accepted += 1
        if not wanted:
            return
        select = ["id", *names] + (["version"] if spec.timestamped else [])
        rows = await self.sql.select_in(
            spec.table, select, spec.lookup_column, [key[0] for key in wanted]
        )
        stored: dict[tuple[Any, ...], dict[str, Any]] = {}
        for row in rows:
            key = tuple(from_db(types[name], row[name]) for name in spec.key)
            stored[key] = row
        inserts: list[tuple[Any, ...]] = []
        updates: list[tuple[Any, ...]] = []
        for key, wanted_values in wanted.items():
            found = stored.get(key)
            if found is None:
                extra = tuple(value for _, value in spec.insert_only)
                stamps = (self.now, self.now, 1) if spec.timestamped else ()
                inserts.append(wanted_values + extra + stamps)
                self.outcome.touched_firms.add(int(wanted_values[0]))  # firm_id comes first
                continue
            current = tuple(from_db(types[name], found[name]) for name in names)
            if wanted_values != current:
                self.outcome.touched_firms.add(int(wanted_values[0]))
                bump: tuple[Any, ...] = (self.now, found["version"] + 1) if spec.timestamped else ()
                updates.append((*wanted_values, *bump, found["id"]))
        insert_columns = names + [name for name, _ in spec.insert_only]
        update_columns = list(names)
        if spec.timestamped:
            insert_columns += ["created_at", "updated_at", "version"]
            update_columns += ["updated_at", "version"]
        await self.sql.insert_many(spec.table, insert_columns, inserts)
        await self.sql.update_many(spec.table, update_columns, updates)
        self._count(self.outcome.inserted, spec.table, len(inserts))
        self._count(self.outcome.updated, spec.table, len(updates))


async def write_batch(
    conn: BaseDBAsyncClient, items: Sequence[ValidRecord], *, run_started: dt.datetime
) -> BatchOutcome:
    """Integrate ``items`` (validated records of any kinds) through ``conn``.

    Args:
        conn: the transaction to write in.
        items: validated, cleaned records in arrival order.
        run_started: start of the sync run, to recognise rows this run already wrote.

    Returns:
        Counts and the records to quarantine.
    """
    writer = _BatchWriter(conn, run_started)
    by_kind: dict[str, list[ValidRecord]] = {}
    for item in items:
        by_kind.setdefault(item.kind, []).append(item)
    firm_items = by_kind.get("firm", [])
    person_items = by_kind.get("person", [])
    profiles = writer.fold_firms(firm_items)
    stored = await writer.stored_firms(list(profiles))
    merged = writer.merge_stored(profiles, stored)
    # Persons first: a firm row points at its representative's person row.
    people = [(p["representative"], False) for p in merged.values() if p.get("representative")]
    seen_person_keys: set[tuple[Any, ...]] = set()
    for item in person_items:
        record = item.record
        key = (record["id_number"], record.get("role"), record.get("firm_uscc"))
        if key in seen_person_keys:
            writer.outcome.duplicates += 1
        seen_person_keys.add(key)
        people.append((record, True))
    person_ids = await writer.persons(people)
    await writer.firms(merged, stored, person_ids)
    writer.outcome.accepted += len(firm_items) + len(person_items)
    evidence_kinds = [kind for kind in EVIDENCE_TABLES if by_kind.get(kind)]
    if evidence_kinds:
        usccs = {item.record["firm_uscc"] for kind in evidence_kinds for item in by_kind[kind]}
        rows = await writer.sql.select_in("firm", ["id", "uscc"], "uscc", usccs)
        firm_ids = {row["uscc"]: row["id"] for row in rows}
        for kind in evidence_kinds:
            await writer.evidence(EVIDENCE_TABLES[kind], by_kind[kind], firm_ids)
    return writer.outcome
