"""The record JSON Schemas (``schema/records``): loading, cached validators, fast checks.

Validation at entry runs once per imported record, so it must be cheap. Each schema is
compiled once into a plain-Python checker for the keywords the record schemas use (type,
enum, pattern, length and minimum bounds, required, properties, additionalProperties,
local ``$ref`` and ``oneOf``, ``date``/``date-time`` formats). A record that passes the fast
check is valid; one that fails it is handed to ``jsonschema`` for the exact error messages,
so the two can never disagree on what is rejected. A schema that uses a keyword the fast
compiler does not know is validated by ``jsonschema`` alone.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

__all__ = [
    "RecordValidator",
    "SchemaError",
    "SchemaViolation",
    "load_schema",
    "record_kinds",
    "validator_for",
]

_REPO_SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schema" / "records"
_SUFFIX = ".schema.json"

Check = Callable[[Any], bool]


class SchemaError(LookupError):
    """No schema exists for a record kind.

    Attributes:
        code: ``UNKNOWN_KIND``.
    """

    code = "UNKNOWN_KIND"


@dataclass(frozen=True, slots=True)
class SchemaViolation:
    """One way a record breaks its schema.

    Attributes:
        field: dotted path of the offending value (``""`` for the record itself).
        message: what is wrong, for a person.
    """

    field: str
    message: str


def _package_dir() -> Path | None:
    folder = resources.files("smecredit") / "data" / "records"
    path = Path(str(folder))
    return path if path.is_dir() else None


def _schema_dirs() -> list[Path]:
    # The installed package copy wins; a source checkout falls back to the repo's schema/.
    package = _package_dir()
    return [package, _REPO_SCHEMA_DIR] if package else [_REPO_SCHEMA_DIR]


@functools.cache
def record_kinds() -> tuple[str, ...]:
    """The record kinds that have a schema, sorted."""
    names = {p.name[: -len(_SUFFIX)] for d in _schema_dirs() for p in d.glob(f"*{_SUFFIX}")}
    return tuple(sorted(names))


@functools.cache
def load_schema(kind: str) -> Mapping[str, Any]:
    """The JSON Schema of ``kind``.

    Raises:
        SchemaError: when no schema exists for ``kind``.
    """
    if re.fullmatch(r"[a-z_]+", kind):
        for folder in _schema_dirs():
            path = folder / f"{kind}{_SUFFIX}"
            if path.is_file():
                loaded: Mapping[str, Any] = json.loads(path.read_text(encoding="utf-8"))
                return loaded
    raise SchemaError(
        f"no record schema for kind {kind!r}; known kinds: {', '.join(record_kinds())}"
    )


class _Unsupported(Exception):
    """The schema uses a keyword the fast compiler does not handle."""


_ANNOTATIONS = frozenset({"$schema", "$id", "$defs", "title", "description", "$comment"})
_TYPES: dict[str, Check] = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "null": lambda v: v is None,
}


def _is_date(value: Any) -> bool:
    if not isinstance(value, str):
        return True
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _is_datetime(value: Any) -> bool:
    if not isinstance(value, str):
        return True
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return parsed.tzinfo is not None and "T" in value.upper()


_FORMATS: dict[str, Check] = {"date": _is_date, "date-time": _is_datetime}
_STRING_KEYS = frozenset({"type", "pattern", "minLength", "maxLength", "format"})


class _Compiler:
    def __init__(self, root: Mapping[str, Any]) -> None:
        self.root = root
        self.refs: dict[str, Check] = {}

    def ref(self, pointer: str) -> Check:
        if pointer not in self.refs:
            if not pointer.startswith("#/$defs/"):
                raise _Unsupported(pointer)
            self.refs[pointer] = self.compile(self.root["$defs"][pointer[len("#/$defs/") :]])
        return self.refs[pointer]

    def compile(self, schema: Mapping[str, Any]) -> Check:
        checks: list[Check] = []
        for key in schema:
            if key not in _ANNOTATIONS and key not in _KNOWN:
                raise _Unsupported(key)
        if "$ref" in schema:
            checks.append(self.ref(schema["$ref"]))
        if (
            schema.get("type") == "string"
            and "pattern" in schema
            and not set(schema) - _STRING_KEYS - _ANNOTATIONS
        ):
            # The commonest shape (a typed, patterned string): one closure, no dispatch.
            search = re.compile(schema["pattern"]).search
            low, high = schema.get("minLength", 0), schema.get("maxLength", 1 << 62)
            fmt = _FORMATS.get(schema.get("format", ""), lambda v: True)
            return lambda v: (
                isinstance(v, str) and low <= len(v) <= high and search(v) is not None and fmt(v)
            )
        if "type" in schema:
            checks.append(_TYPES[schema["type"]])
        if "enum" in schema:
            allowed = list(schema["enum"])
            checks.append(lambda v: any(v == a and type(v) is type(a) for a in allowed))
        if "pattern" in schema:
            search = re.compile(schema["pattern"]).search
            checks.append(lambda v: not isinstance(v, str) or search(v) is not None)
        if "minLength" in schema or "maxLength" in schema:
            low, high = schema.get("minLength", 0), schema.get("maxLength", float("inf"))
            checks.append(lambda v: not isinstance(v, str) or low <= len(v) <= high)
        if "minimum" in schema or "maximum" in schema:
            lo, hi = schema.get("minimum", float("-inf")), schema.get("maximum", float("inf"))
            checks.append(
                lambda v: isinstance(v, bool) or not isinstance(v, int | float) or lo <= v <= hi
            )
        if "format" in schema and schema["format"] in _FORMATS:
            checks.append(_FORMATS[schema["format"]])
        if "oneOf" in schema:
            options = [self.compile(option) for option in schema["oneOf"]]
            checks.append(lambda v: sum(1 for option in options if option(v)) == 1)
        if "properties" in schema or "required" in schema or "additionalProperties" in schema:
            checks.append(self._object(schema))
        if len(checks) == 1:
            return checks[0]
        if len(checks) == 2:
            first, second = checks
            return lambda v: first(v) and second(v)

        return lambda v: all(check(v) for check in checks)

    def _object(self, schema: Mapping[str, Any]) -> Check:
        properties = {name: self.compile(sub) for name, sub in schema.get("properties", {}).items()}
        required = tuple(schema.get("required", ()))
        extra = schema.get("additionalProperties", True)
        if not isinstance(extra, bool):
            raise _Unsupported("additionalProperties schema")
        closed = extra is False

        def check(value: Any) -> bool:
            if not isinstance(value, dict):
                return True
            for name in required:
                if name not in value:
                    return False
            for name, item in value.items():
                sub = properties.get(name)
                if sub is None:
                    if closed:
                        return False
                elif not sub(item):
                    return False
            return True

        return check


_KNOWN = frozenset(
    {
        "$ref",
        "type",
        "enum",
        "pattern",
        "minLength",
        "maxLength",
        "minimum",
        "maximum",
        "format",
        "oneOf",
        "properties",
        "required",
        "additionalProperties",
    }
)


def _path(error: jsonschema.ValidationError) -> str:
    parts = [str(p) for p in error.absolute_path]
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = [name for name in error.validator_value if name not in error.instance]
        parts += missing[:1]
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = error.schema.get("properties", {})
        parts += [name for name in error.instance if name not in allowed][:1]
    return ".".join(parts)


class RecordValidator:
    """Validates records of one kind against its schema (fast path, exact fallback)."""

    def __init__(self, kind: str, schema: Mapping[str, Any]) -> None:
        self.kind = kind
        self.schema = schema
        self._full = jsonschema.Draft202012Validator(
            schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
        )
        try:
            self._fast: Check | None = _Compiler(schema).compile(schema)
        except _Unsupported:
            self._fast = None

    @property
    def has_fast_path(self) -> bool:
        """True when the schema compiled to the fast checker."""
        return self._fast is not None

    def is_valid(self, record: Any) -> bool:
        """True when ``record`` satisfies the schema."""
        if self._fast is not None and self._fast(record):
            return True
        return bool(self._full.is_valid(record))

    def violations(self, record: Any) -> list[SchemaViolation]:
        """Every way ``record`` breaks the schema, empty when it is valid."""
        if self._fast is not None and self._fast(record):
            return []
        errors = sorted(self._full.iter_errors(record), key=lambda e: list(e.absolute_path))
        return [SchemaViolation(_path(error), error.message) for error in errors]


@functools.cache
def validator_for(kind: str) -> RecordValidator:
    """The cached validator of ``kind``.

    Raises:
        SchemaError: when no schema exists for ``kind``.
    """
    return RecordValidator(kind, load_schema(kind))
