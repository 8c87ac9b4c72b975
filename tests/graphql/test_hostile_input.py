"""Hostile values for every argument of every operation of the built schema, over real HTTP.

Hypothesis draws, for every argument path of every query and mutation (input objects
walked field by field, plugins' operations included: the app is built with the installed
plugins), a hostile value of the path's type - NaN, Infinity, 1e400, huge integers,
overlong strings, NUL and bidi characters, full-width digits, dates 0001 and 9999,
malformed and out-of-range ids, deep JSON, unknown enum-ish values, wrong types - and
sends it with harmless values for the other required arguments, as a user holding every
role. Each answer must be free of INTERNAL_ERROR and of 5xx, and a refused operation
must have written nothing (the row count of every table but the audit log is unchanged;
background work an accepted operation started is awaited first).

Subscriptions are not sent (they run over websockets; their one argument is an ID, which
the same check covers for queries).
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
    get_named_type,
    is_composite_type,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tortoise import Tortoise, connections

from smecredit.security.principal import ROLES

pytestmark = [pytest.mark.anyio, pytest.mark.parametrize("backend", ["sqlite"], indirect=True)]

#: Tables a refusal writes to by design.
AUDIT_TABLES = frozenset({"audit_log", "audit_checkpoint"})
#: Operations that end the fuzzing user's own session (nothing hostile to send them).
SKIP = frozenset({"signOut", "signOutEverywhere"})
MAX_INPUT_DEPTH = 3


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _deep(levels: int) -> Any:
    value: Any = 1
    for _ in range(levels):
        value = {"a": value}
    return value


NAN, INF = float("nan"), float("inf")
WRONG_TYPES = st.sampled_from([{"a": 1}, [1, 2], True, "x", 1.5, None])
HOSTILE: dict[str, st.SearchStrategy[Any]] = {
    "String": st.one_of(
        st.sampled_from(
            [
                "",
                " ",
                "\x00",
                "a\x00b",
                "x\u202ey",
                "x\u2066y",
                "\x85",
                "１２３４５６",
                "٣٣٠١٠٦",
                "A" * 201,
                "A" * 5000,
                "B" * 100_000,
                "\n\r\t",
                "'; DROP TABLE firm; --",
                "%s%n{0}",
                "NaN",
                "9999-12-31",
            ]
        ),
        st.text(max_size=40),
    ),
    "ID": st.sampled_from(
        [
            _b64("Firm:abc"),
            _b64("Firm:99999999999999999999"),
            _b64("Firm:-1"),
            _b64("Firm:0"),
            _b64("Loan:١"),
            _b64("Nope:1"),
            _b64(":"),
            _b64("Firm:" + "9" * 4000),
            "A" * 5000,
            "!!!",
            "",
            "\x00",
        ]
    ),
    "Int": st.one_of(
        st.sampled_from([0, -1, 2**31 - 1, -(2**31), 2**31, 2**63, 10**20, -(10**30), 10**300]),
        st.integers(),
    ),
    "Float": st.one_of(
        st.sampled_from([NAN, INF, -INF, 1e308, -1e308, 0.0, -0.0, 5e-324, 10**400]),
        st.floats(),
    ),
    "Decimal": st.sampled_from(
        [
            "NaN",
            "sNaN",
            "Infinity",
            "-Infinity",
            "1e400",
            "-1e400",
            "1e-400",
            "1E+999999999",
            "9" * 40,
            "1e20",
            "0.001",
            "-0.01",
            "abc",
            "",
            " 1",
            "1_000",
            "１",
            1e20,
            10**30,
            NAN,
            INF,
        ]
    ),
    "Date": st.sampled_from(
        ["0001-01-01", "9999-12-31", "2020-02-30", "1899-12-31", "x", "", "2024-01-01T00:00:00"]
    ),
    "DateTime": st.sampled_from(
        [
            "0001-01-01T00:00:00+14:00",
            "9999-12-31T23:59:59-14:00",
            "9999-12-31T23:59:59Z",
            "0001-01-01T00:00:00Z",
            "2024-01-01T25:00:00Z",
            "x",
        ]
    ),
    "JSON": st.sampled_from(
        [_deep(100), {"a": "x" * 70_000}, [1] * 5000, "s", 1e308, NAN, {"\x00": "\u202e"}]
    ),
    "Boolean": st.sampled_from(["true", 1, 0]),
}
BASELINE: dict[str, Any] = {
    "String": "x",
    "ID": _b64("Firm:987654"),
    "Int": 1,
    "Float": 1.0,
    "Decimal": "1",
    "Date": "2024-01-02",
    "DateTime": "2024-01-02T00:00:00Z",
    "JSON": {},
    "Boolean": False,
}


@dataclass(frozen=True)
class Case:
    """One request: an operation, the argument path made hostile, and the variables."""

    operation: str
    field: str
    path: tuple[str, ...]
    document: str
    variables: dict[str, Any]


def _baseline(gtype: GraphQLInputType, depth: int = 0) -> Any:
    if isinstance(gtype, GraphQLNonNull):
        return _baseline(gtype.of_type, depth)
    if isinstance(gtype, GraphQLList):
        return [_baseline(gtype.of_type, depth)]
    if isinstance(gtype, GraphQLEnumType):
        return next(iter(gtype.values))
    if isinstance(gtype, GraphQLInputObjectType):
        return {
            name: _baseline(field.type, depth + 1)
            for name, field in gtype.fields.items()
            if isinstance(field.type, GraphQLNonNull)
        }
    assert isinstance(gtype, GraphQLScalarType)
    return BASELINE.get(gtype.name, "x")


def _paths(
    gtype: GraphQLInputType, prefix: tuple[str, ...], depth: int
) -> Iterator[tuple[str, ...]]:
    yield prefix
    named = get_named_type(gtype)
    if isinstance(named, GraphQLInputObjectType) and depth < MAX_INPUT_DEPTH:
        for name, field in named.fields.items():
            yield from _paths(field.type, (*prefix, name), depth + 1)


def _type_at(gtype: GraphQLInputType, path: tuple[str, ...]) -> GraphQLInputType:
    for name in path:
        named = get_named_type(gtype)
        assert isinstance(named, GraphQLInputObjectType)
        gtype = named.fields[name].type
    return gtype


def _strategy(gtype: GraphQLInputType) -> st.SearchStrategy[Any]:
    inner = gtype.of_type if isinstance(gtype, GraphQLNonNull) else gtype
    if isinstance(inner, GraphQLList):
        item = _strategy(inner.of_type)
        return st.one_of(
            item.map(lambda v: [v]),
            # Too many members, each small: 10,001 copies of a 70 KB value would test the
            # fuzzer's own memory (gigabytes of JSON), not the platform's list limits.
            item.map(lambda v: [v] * 10_001 if len(repr(v)) <= 100 else [v, v]),
            st.just([None]),
            item,  # a single value where a list is expected
        )
    named = get_named_type(inner)
    if isinstance(named, GraphQLEnumType):
        return st.one_of(st.sampled_from(["NOT_A_MEMBER", "", "name_asc", 1]), WRONG_TYPES)
    if isinstance(named, GraphQLInputObjectType):
        return st.one_of(st.just({"unknownField": 1}), st.just({}), WRONG_TYPES)
    return st.one_of(HOSTILE.get(named.name, HOSTILE["String"]), WRONG_TYPES)


def _with_value(base: Any, path: tuple[str, ...], value: Any) -> Any:
    if not path:
        return value
    if isinstance(base, list):
        return [_with_value(base[0] if base else {}, path, value)]
    out = dict(base or {})
    out[path[0]] = _with_value(out.get(path[0], {}), path[1:], value)
    return out


def _selection(schema: GraphQLSchema, field: Any) -> str:
    return " { __typename }" if is_composite_type(get_named_type(field.type)) else ""


def operations(schema: GraphQLSchema) -> list[tuple[str, str, Any]]:
    """(operation type, field name, field) for every query and mutation with arguments."""
    out = []
    for op, root in (("query", schema.query_type), ("mutation", schema.mutation_type)):
        assert root is not None
        for name, field in root.fields.items():
            if field.args and name not in SKIP:
                out.append((op, name, field))
    return out


def argument_paths(schema: GraphQLSchema) -> list[tuple[str, str, Any, str, tuple[str, ...]]]:
    """Every (op, field name, field, argument, path inside the argument)."""
    out = []
    for op, name, field in operations(schema):
        for arg_name, arg in field.args.items():
            for path in _paths(arg.type, (), 0):
                out.append((op, name, field, arg_name, path))
    return out


def build_case(
    schema: GraphQLSchema,
    op: str,
    name: str,
    field: Any,
    target: str,
    path: tuple[str, ...],
    value: Any,
) -> Case:
    variables: dict[str, Any] = {}
    definitions = []
    arguments = []
    for arg_name, arg in field.args.items():
        required = isinstance(arg.type, GraphQLNonNull) and arg.default_value is None
        if arg_name != target and not required:
            continue
        definitions.append(f"${arg_name}: {arg.type}")
        arguments.append(f"{arg_name}: ${arg_name}")
        base = _baseline(arg.type)
        variables[arg_name] = _with_value(base, path, value) if arg_name == target else base
    document = (
        f"{op} Fuzz({', '.join(definitions)}) "
        f"{{ {name}({', '.join(arguments)}){_selection(schema, field)} }}"
    )
    return Case(op, name, (target, *path), document, variables)


def business_error_types(schema: GraphQLSchema) -> frozenset[str]:
    """Members of result unions that say "refused" (the BusinessError implementations)."""
    names: set[str] = set()
    for gtype in schema.type_map.values():
        if isinstance(gtype, GraphQLUnionType):
            names.update(
                t.name for t in gtype.types if "code" in t.fields and "message" in t.fields
            )
        if isinstance(gtype, GraphQLObjectType) and any(
            i.name == "BusinessError" for i in gtype.interfaces
        ):
            names.add(gtype.name)
    return frozenset(names)


async def row_counts() -> dict[str, int]:
    tables = sorted(
        m._meta.db_table
        for m in Tortoise.apps.get_models_iterable()  # type: ignore[union-attr]
        if m._meta.db_table not in AUDIT_TABLES
    )
    sql = " UNION ALL ".join(f"SELECT '{t}', COUNT(*) FROM \"{t}\"" for t in tables)
    _, rows = await connections.get("default").execute_query(sql)
    return {row[0]: row[1] for row in (tuple(r) for r in rows)}


async def test_hostile_values_for_every_argument(app: Any, client_for: Any, db: Any) -> None:
    schema: GraphQLSchema = app.state.schema._schema
    paths = argument_paths(schema)
    assert len({(p[1], p[3]) for p in paths}) > 150  # every argument of every operation
    fuzzer: httpx.AsyncClient = await client_for("admin", "HQ", roles=list(ROLES))
    refusals = business_error_types(schema)

    drawn: list[Case] = []

    @settings(
        max_examples=3,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(st.data())
    def collect(data: st.DataObject) -> None:
        for op, name, field, arg_name, path in paths:
            gtype = _type_at(field.args[arg_name].type, path)
            value = data.draw(_strategy(gtype), label=f"{name}.{arg_name}{'.'.join(('', *path))}")
            drawn.append(build_case(schema, op, name, field, arg_name, path, value))

    collect()
    assert len(drawn) >= 3 * len(paths)

    internal: list[tuple[Case, Any]] = []
    for case in drawn:
        before = await row_counts()
        tasks = asyncio.all_tasks()
        content = json.dumps({"query": case.document, "variables": case.variables})
        response = await fuzzer.post(
            "/graphql", content=content, headers={"content-type": "application/json"}
        )
        started = [t for t in asyncio.all_tasks() - tasks if t is not asyncio.current_task()]
        if started:
            await asyncio.wait(started, timeout=30)
        assert response.status_code < 500, (case, response.status_code, response.text[:500])
        if response.status_code != 200:
            assert await row_counts() == before, case
            continue
        body = response.json()
        errors = body.get("errors") or []
        internal.extend(
            (case, e) for e in errors if (e.get("extensions") or {}).get("code") == "INTERNAL_ERROR"
        )
        result = (body.get("data") or {}).get(case.field)
        refused = bool(errors) or (
            isinstance(result, dict) and result.get("__typename") in refusals
        )
        if refused:
            after = await row_counts()
            written = {t: (before[t], after[t]) for t in before if before[t] != after.get(t)}
            assert not written, (case, written, errors[:1] or result)
    assert not internal, internal[:5]
