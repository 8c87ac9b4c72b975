"""De-duplication: many records of one firm (or person) become one profile.

Merge rule
==========
Firms are matched on their normalised unified social credit code (USCC), persons on their
normalised resident ID number. Records of one entity merge as follows:

1. **Rank.** Records are ranked newest first by ``fetched_at`` (a missing or unreadable
   timestamp ranks oldest). Equal timestamps are ordered by the record's canonical JSON, so
   :func:`dedupe_firms` gives the same result whatever order the records arrive in.
2. **Newest non-null wins, field by field.** Each field takes the value of the highest-ranked
   record in which it is not null. A null never overwrites a non-null value, so a sparse
   fresh record cannot erase what an older, fuller one knew.
3. **Nested representative.** ``representative`` merges field by field under rule 2 - unless
   two records name different representatives (different ``id_number``): then the
   higher-ranked representative is taken whole, never a name from one person with the ID
   number of another.
4. **Identity conflicts are reported, not hidden.** When two non-null values of an identity
   field differ - firm: ``representative.id_number``, ``established_on``; person: ``name`` -
   a ``CONFLICT`` warning names the entity and both values (ID numbers masked). The winner
   is still chosen by rule 2 so the outcome is deterministic, and a person can review it.
5. **Aliases.** Every other firm name seen for the USCC is kept, sorted, in
   ``extensions["aliases"]`` (the schemas allow extra data only under ``extensions``).
   ``extensions`` itself merges key by key under rule 2.
6. **Unmatchable records pass through.** A record without a valid key cannot be matched
   safely; it is returned as is, with a ``BAD_CODE`` issue carrying its input index.

:func:`merge_firm` applies the same rule to one pair, for streaming imports that keep the
profile so far and fold in each new record: ``incoming`` wins field by field when its
``fetched_at`` is strictly newer, otherwise it only fills fields that are still null. That
equals the batch result whenever records arrive oldest first (the normal case of scheduled
refreshes); for arbitrary order within a batch use :func:`dedupe_firms`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from smecredit.domain.cleaning.convert import ConversionError, is_null, to_datetime
from smecredit.domain.cleaning.issues import BAD_CODE, CONFLICT, Issue
from smecredit.domain.identity import IdentityError, validate_id_number, validate_uscc

__all__ = ["DedupeResult", "Merge", "dedupe_firms", "dedupe_persons", "merge_firm", "merge_person"]

_OLDEST = dt.datetime.min.replace(tzinfo=dt.UTC)
_FIRM_IDENTITY = ("representative.id_number", "established_on")
_PERSON_IDENTITY = ("name",)


@dataclass(frozen=True, slots=True)
class Merge:
    """One entity that had several records.

    Attributes:
        key: the USCC or ID number the records shared.
        count: how many records were merged.
        sources: the distinct ``source`` values of those records, sorted.
    """

    key: str
    count: int
    sources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DedupeResult:
    """The outcome of de-duplicating a batch.

    Attributes:
        records: one record per entity (sorted by key), then the unmatchable records in input order.
        merges: the entities that had more than one record.
        issues: ``CONFLICT`` warnings and ``BAD_CODE`` errors for unmatchable records.
    """

    records: list[dict[str, Any]]
    merges: list[Merge] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)


def _fetched_at(record: Mapping[str, Any]) -> dt.datetime:
    value = record.get("fetched_at")
    if is_null(value):
        return _OLDEST
    try:
        return dt.datetime.fromisoformat(to_datetime(value).value)
    except (ConversionError, ValueError):
        return _OLDEST


def _mask(value: Any) -> str:
    text = str(value)
    return text if len(text) < 10 else f"{text[:3]}{'*' * (len(text) - 7)}{text[-4:]}"


def _get(record: Mapping[str, Any], path: str) -> Any:
    value: Any = record
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return None if is_null(value) else value


def _fill(winner: Mapping[str, Any], loser: Mapping[str, Any]) -> dict[str, Any]:
    """Winner's non-null fields, loser's fields where the winner has nothing."""
    merged = dict(winner)
    for name, value in loser.items():
        if is_null(merged.get(name)) and not is_null(value):
            merged[name] = value
    return merged


def _names(record: Mapping[str, Any]) -> set[str]:
    names = set()
    if not is_null(record.get("name")):
        names.add(record["name"])
    extensions = record.get("extensions")
    if isinstance(extensions, Mapping):
        names.update(extensions.get("aliases") or ())
    return names


def _merge(
    existing: Mapping[str, Any] | None,
    incoming: Mapping[str, Any],
    *,
    label: str,
    identity_fields: tuple[str, ...],
    keep_aliases: bool,
) -> tuple[dict[str, Any], list[Issue]]:
    if existing is None:
        return dict(incoming), []
    incoming_wins = _fetched_at(incoming) > _fetched_at(existing)
    winner, loser = (incoming, existing) if incoming_wins else (existing, incoming)
    issues = []
    for path in identity_fields:
        kept, other = _get(winner, path), _get(loser, path)
        if kept is not None and other is not None and kept != other:
            message = (
                f"{label}: {path} differs between records: "
                f"{_mask(kept)!r} kept, {_mask(other)!r} not"
            )
            issues.append(Issue(path, CONFLICT, message, "warning"))
    merged = _fill(winner, loser)
    for nested in ("representative", "extensions"):
        win_part, lose_part = winner.get(nested), loser.get(nested)
        if not (isinstance(win_part, Mapping) and isinstance(lose_part, Mapping)):
            continue
        same_person = (
            nested != "representative"
            or _get(win_part, "id_number") is None
            or _get(lose_part, "id_number") is None
            or _get(win_part, "id_number") == _get(lose_part, "id_number")
        )
        merged[nested] = _fill(win_part, lose_part) if same_person else dict(win_part)
    if keep_aliases:
        aliases = sorted((_names(existing) | _names(incoming)) - {merged.get("name")})
        extensions = dict(merged.get("extensions") or {})
        if aliases:
            extensions["aliases"] = aliases
        else:
            extensions.pop("aliases", None)
        if extensions:
            merged["extensions"] = extensions
        else:
            merged.pop("extensions", None)
    return merged, issues


def merge_firm(
    existing: dict[str, Any] | None, incoming: dict[str, Any]
) -> tuple[dict[str, Any], list[Issue]]:
    """Fold one firm record into the profile built so far (see the module's merge rule).

    Args:
        existing: the merged profile so far, or ``None`` for the first record.
        incoming: a cleaned firm record with the same USCC.

    Returns:
        A new merged record (neither argument is mutated) and any ``CONFLICT`` issues.
    """
    label = f"firm {_get(incoming, 'uscc') or _get(existing or {}, 'uscc')}"
    return _merge(
        existing, incoming, label=label, identity_fields=_FIRM_IDENTITY, keep_aliases=True
    )


def merge_person(
    existing: dict[str, Any] | None, incoming: dict[str, Any]
) -> tuple[dict[str, Any], list[Issue]]:
    """Fold one person record into the profile built so far (see the module's merge rule)."""
    label = f"person {_mask(_get(incoming, 'id_number') or _get(existing or {}, 'id_number'))}"
    return _merge(
        existing, incoming, label=label, identity_fields=_PERSON_IDENTITY, keep_aliases=False
    )


def _canonical(record: Mapping[str, Any]) -> str:
    return json.dumps(record, sort_keys=True, ensure_ascii=False, default=str)


def _dedupe(
    records: Iterable[dict[str, Any]],
    *,
    key_field: str,
    validate: Callable[[str], str],
    merge: Callable[[dict[str, Any] | None, dict[str, Any]], tuple[dict[str, Any], list[Issue]]],
) -> DedupeResult:
    groups: dict[str, list[dict[str, Any]]] = {}
    unmatched: list[dict[str, Any]] = []
    issues: list[Issue] = []
    for index, record in enumerate(records):
        raw = record.get(key_field)
        try:
            if not isinstance(raw, str):
                raise IdentityError(
                    BAD_CODE, f"{key_field} is {'missing' if raw is None else 'not text'}"
                )
            key = validate(raw)
        except IdentityError as error:
            unmatched.append(dict(record))
            issues.append(
                Issue(key_field, BAD_CODE, f"record not de-duplicated: {error}", "error", index)
            )
            continue
        groups.setdefault(key, []).append(record)
    merged_records: list[dict[str, Any]] = []
    merges: list[Merge] = []
    for key in sorted(groups):
        group = sorted(groups[key], key=lambda r: (_fetched_at(r), _canonical(r)), reverse=True)
        profile: dict[str, Any] | None = None
        for record in group:  # newest first: later (older) records only fill gaps
            profile, found = merge(profile, record)
            issues.extend(found)
        assert profile is not None  # every group has at least one record
        profile[key_field] = key
        merged_records.append(profile)
        if len(group) > 1:
            sources = sorted({str(r["source"]) for r in group if not is_null(r.get("source"))})
            merges.append(Merge(key, len(group), tuple(sources)))
    return DedupeResult(merged_records + unmatched, merges, issues)


def dedupe_firms(records: Iterable[dict[str, Any]]) -> DedupeResult:
    """Merge firm records that share a USCC, by the module's merge rule.

    Args:
        records: cleaned firm records (see
            :func:`~smecredit.domain.cleaning.normalise.normalise_record`).

    Returns:
        One record per distinct valid USCC plus the unmatchable records, the merges made
        and the issues found. The merged fields do not depend on the input order.
    """
    return _dedupe(records, key_field="uscc", validate=validate_uscc, merge=merge_firm)


def dedupe_persons(records: Iterable[dict[str, Any]]) -> DedupeResult:
    """Merge person records that share a resident ID number, by the module's merge rule."""
    return _dedupe(records, key_field="id_number", validate=validate_id_number, merge=merge_person)
