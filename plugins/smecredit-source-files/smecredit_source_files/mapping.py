"""Column-header mapping: a partner's column names -> record field names, per record kind.

Loaded from TOML (see ``default_mapping.toml`` for the format). A user file extends the
default: its columns are added to (and win over) the default ones, and its ``required``
list, when given, replaces the default list of that kind.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

__all__ = ["ColumnTarget", "HeaderMapping", "KindMapping", "MappingError", "header_key"]

_COMMON = "common"


class MappingError(ValueError):
    """A mapping file is malformed.

    Attributes:
        code: ``BAD_MAPPING``.
    """

    code = "BAD_MAPPING"


def header_key(header: str) -> str:
    """The form headers are compared in: NFKC, no blanks or BOM, case-folded."""
    text = unicodedata.normalize("NFKC", header).replace("\ufeff", "")
    return re.sub(r"\s", "", text).casefold()


@dataclass(frozen=True, slots=True)
class ColumnTarget:
    """Where a column's values go.

    Attributes:
        field: dotted record field (``representative.name``); ``""`` means ignore the column.
        unit: appended to every non-blank raw value (``"万"`` for a column in 万元).
    """

    field: str
    unit: str = ""


@dataclass(frozen=True, slots=True)
class KindMapping:
    """The mapping of one record kind.

    Attributes:
        columns: header key (see :func:`header_key`) -> target.
        required: fields a file of this kind must have a column for; ``None`` inherits
            the list of the mapping being extended.
    """

    columns: Mapping[str, ColumnTarget] = field(default_factory=dict)
    required: tuple[str, ...] | None = None


def _target(value: Any, where: str) -> ColumnTarget:
    if isinstance(value, str):
        return ColumnTarget(value.strip())
    if isinstance(value, Mapping) and isinstance(value.get("field"), str):
        unit = value.get("unit", "")
        if not isinstance(unit, str):
            raise MappingError(f"{where}: unit must be text")
        return ColumnTarget(value["field"].strip(), unit.strip())
    raise MappingError(f'{where}: expected a field name or {{ field = "...", unit = "..." }}')


def _columns(table: Any, where: str) -> dict[str, ColumnTarget]:
    if table is None:
        return {}
    if not isinstance(table, Mapping):
        raise MappingError(f"{where} must be a table of header = field")
    return {header_key(h): _target(v, f"{where}.{h!r}") for h, v in table.items()}


class HeaderMapping:
    """Header-to-field mappings for every record kind.

    Build one with :meth:`default`, :meth:`from_toml` or :meth:`from_dict`; combine with
    :meth:`extended_by`.
    """

    def __init__(self, kinds: Mapping[str, KindMapping]) -> None:
        self._kinds = dict(kinds)

    @classmethod
    def default(cls) -> HeaderMapping:
        """The mapping shipped with the plugin (common Chinese headers for every kind)."""
        return _default_mapping()

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], *, extend: HeaderMapping | None = None
    ) -> HeaderMapping:
        """Build from parsed TOML data.

        Args:
            data: ``{kind: {"required": [...], "columns": {header: field}}}``; the table
                ``common.columns`` applies to every kind.
            extend: a mapping to extend (``None`` builds a stand-alone mapping).

        Raises:
            MappingError: when the data is malformed.
        """
        common_table = data.get(_COMMON, {})
        common = _columns(
            common_table.get("columns") if isinstance(common_table, Mapping) else common_table,
            f"{_COMMON}.columns",
        )
        kinds: dict[str, KindMapping] = {}
        for kind, table in data.items():
            if kind == _COMMON:
                continue
            if not isinstance(table, Mapping):
                raise MappingError(f"[{kind}] must be a table")
            required = table.get("required")
            if required is not None and not (
                isinstance(required, list) and all(isinstance(r, str) for r in required)
            ):
                raise MappingError(f"{kind}.required must be a list of field names")
            columns = {**common, **_columns(table.get("columns"), f"{kind}.columns")}
            kinds[kind] = KindMapping(columns, None if required is None else tuple(required))
        if extend is None:
            return cls(kinds)
        for kind in extend.kinds:  # the user's common columns reach kinds the file omits
            kinds.setdefault(kind, KindMapping(common))
        return extend.extended_by(cls(kinds))

    @classmethod
    def from_toml(cls, path: Path, *, extend: HeaderMapping | None = None) -> HeaderMapping:
        """Load a mapping file; by default it extends :meth:`default`.

        Args:
            path: the TOML file.
            extend: the mapping to extend; default :meth:`default`.

        Raises:
            MappingError: when the file is not valid TOML or malformed.
        """
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as error:
            raise MappingError(f"mapping file {path} is not valid TOML: {error}") from None
        return cls.from_dict(data, extend=cls.default() if extend is None else extend)

    def extended_by(self, other: HeaderMapping) -> HeaderMapping:
        """A new mapping: ``other``'s columns win, its ``required`` (when set) replaces ours."""
        kinds = dict(self._kinds)
        for kind, theirs in other._kinds.items():
            ours = kinds.get(kind, KindMapping())
            required = ours.required if theirs.required is None else theirs.required
            kinds[kind] = KindMapping({**ours.columns, **theirs.columns}, required)
        return HeaderMapping(kinds)

    @property
    def kinds(self) -> tuple[str, ...]:
        """The record kinds this mapping knows."""
        return tuple(self._kinds)

    def _kind(self, kind: str) -> KindMapping:
        try:
            return self._kinds[kind]
        except KeyError:
            raise MappingError(
                f"no column mapping for record kind {kind!r}; known: {', '.join(self._kinds)}"
            ) from None

    def target(self, kind: str, header: str) -> ColumnTarget | None:
        """Where the column ``header`` goes, or ``None`` when the header is unknown.

        A record field name (``uscc``, ``representative.name``) always maps to itself.
        """
        mapping = self._kind(kind)
        key = header_key(header)
        found = mapping.columns.get(key)
        if found is not None:
            return found
        if key in _field_names(mapping):
            return ColumnTarget(key)
        return None

    def required(self, kind: str) -> tuple[str, ...]:
        """The fields a file of ``kind`` must have a column for."""
        return self._kind(kind).required or ()

    def headers_for(self, kind: str, field_name: str) -> list[str]:
        """The header keys that map to ``field_name`` (for error messages)."""
        return [h for h, t in self._kind(kind).columns.items() if t.field == field_name]


def _field_names(mapping: KindMapping) -> frozenset[str]:
    targets = {t.field for t in mapping.columns.values() if t.field}
    return frozenset(targets | set(mapping.required or ()))


@cache
def _default_mapping() -> HeaderMapping:
    text = resources.files(__package__).joinpath("default_mapping.toml").read_text(encoding="utf-8")
    return HeaderMapping.from_dict(tomllib.loads(text))
