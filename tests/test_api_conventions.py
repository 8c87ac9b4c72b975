"""The API speaks one dialect: schema-level checks of the conventions in docs/graphql.md.

Run against the schema the code builds (core and installed plugins), so a new field or
mutation that breaks a convention fails here before a client meets it:

* no ``Int`` id anywhere (arguments and fields): ids are opaque global ids;
* every object type with an ``id: ID!`` answering a global id is reachable by ``node``;
* every list that can grow is a Relay connection (bounded catalogues are listed below,
  each with the reason it stays a list);
* every mutation answers a ``<Name>Result`` union holding all the typed business errors;
* statuses, states, levels and kinds are enums, each with a label in both languages.
"""

from __future__ import annotations

import re
from functools import cache

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    build_schema,
)

from smecredit.graphql.results import ERROR_MEMBERS
from smecredit.graphql.schema import schema_sdl
from smecredit.i18n import LANGUAGES, catalogue
from smecredit.settings import load_settings

#: Lists that stay lists: the answer is bounded by configuration, not by business volume.
BOUNDED_LISTS: dict[str, str] = {
    "Query.roles": "the role table (a handful of roles)",
    "Query.plugins": "installed plugins",
    "Query.dataSources": "installed data-source plugins",
    "Query.warningRules": "rules of installed plugins",
    "Query.reportTypes": "report types of installed plugins",
    "Query.products": "the product catalogue (tens of products)",
    "Query.decisionOverrideRates": "one row per approver role and decision",
    "Query.labels": "the values of one enumeration",
    "Query.languages": "the supported languages",
    "Query.allowedActions": "the actions open on one object",
    "Query.complianceChecks": "the catalogue of compliance checks (a dozen rules)",
}

#: Fields that are enumerations by name.
ENUM_FIELD_NAMES = re.compile(r"^(status|state|level|kind)$")

#: Lists of scalars and fixed-size structures inside one object (not rows).
_SCALAR_NAMES = frozenset(
    {"String", "Int", "Float", "Boolean", "ID", "Date", "DateTime", "Decimal", "JSON"}
)


@cache
def _schema() -> GraphQLSchema:
    return build_schema(schema_sdl(load_settings({})))


def _unwrap(t: object) -> object:
    while isinstance(t, GraphQLNonNull | GraphQLList):
        t = t.of_type
    return t


def _is_list(t: object) -> bool:
    if isinstance(t, GraphQLNonNull):
        t = t.of_type
    return isinstance(t, GraphQLList)


def _object_types() -> list[GraphQLObjectType]:
    return [
        t
        for name, t in _schema().type_map.items()
        if isinstance(t, GraphQLObjectType) and not name.startswith("__")
    ]


def _fields() -> list[tuple[str, str, GraphQLField]]:
    return [(t.name, name, f) for t in _object_types() for name, f in t.fields.items()]


def _is_id_name(name: str) -> bool:
    return name == "id" or name.endswith(("Id", "Ids")) or name == "dbId"


def test_no_int_id_in_any_argument_or_field() -> None:
    offenders = []
    for type_name, field_name, field in _fields():
        if _is_id_name(field_name) and getattr(_unwrap(field.type), "name", "") == "Int":
            offenders.append(f"{type_name}.{field_name}")
        for arg_name, arg in field.args.items():
            if _is_id_name(arg_name) and getattr(_unwrap(arg.type), "name", "") == "Int":
                offenders.append(f"{type_name}.{field_name}({arg_name})")
    for name, t in _schema().type_map.items():
        for field_name, input_field in (
            getattr(t, "fields", {}).items()
            if hasattr(t, "fields") and not isinstance(t, GraphQLObjectType)
            else []
        ):
            if _is_id_name(field_name) and getattr(_unwrap(input_field.type), "name", "") == "Int":
                offenders.append(f"{name}.{field_name}")
    assert not offenders, f"Int ids (use global ids): {sorted(offenders)}"


def test_every_object_with_a_global_id_is_a_node() -> None:
    node = _schema().get_type("Node")
    offenders = [
        t.name
        for t in _object_types()
        if "id" in t.fields
        and getattr(_unwrap(t.fields["id"].type), "name", "") == "ID"
        and node not in t.interfaces
        and not t.name.endswith(("Edge", "Connection"))
    ]
    assert not offenders, f"objects with an id that node(id:) cannot reach: {offenders}"


def test_every_growing_list_is_a_connection() -> None:
    offenders = []
    for type_name, field_name, field in _fields():
        key = f"{type_name}.{field_name}"
        if not _is_list(field.type) or key in BOUNDED_LISTS:
            continue
        inner = _unwrap(field.type)
        if type_name.endswith(("Connection", "Edge")) or type_name in ("Mutation",):
            continue
        if type_name == "Query" and isinstance(inner, GraphQLObjectType):
            offenders.append(key)
    assert not offenders, f"root lists that can grow must be connections: {offenders}"


def test_every_mutation_answers_a_result_union_with_every_error() -> None:
    mutation = _schema().mutation_type
    assert mutation is not None
    members = {m.__name__ for m in ERROR_MEMBERS}
    offenders = []
    for name, field in mutation.fields.items():
        answer = _unwrap(field.type)
        if not isinstance(answer, GraphQLUnionType) or not answer.name.endswith("Result"):
            offenders.append(f"{name} -> {answer}")
            continue
        missing = members - {t.name for t in answer.types}
        if missing:
            offenders.append(f"{name} -> {answer.name} lacks {sorted(missing)}")
    assert not offenders, f"mutations outside the result convention: {offenders}"


def test_statuses_are_enums() -> None:
    """A status is an enum. A kind whose values plugins add (record kinds of a data source,
    legal-case kinds of a court feed) cannot be one: it is a string with a ``kindLabel``
    beside it, in the caller's language."""
    offenders = []
    for type_name, field_name, field in _fields():
        if not ENUM_FIELD_NAMES.match(field_name) or type_name.endswith(("Edge", "Connection")):
            continue
        if isinstance(_unwrap(field.type), GraphQLEnumType):
            continue
        owner = _schema().get_type(type_name)
        open_vocabulary = field_name == "kind" and "kindLabel" in getattr(owner, "fields", {})
        if not open_vocabulary:
            offenders.append(f"{type_name}.{field_name}")
    assert not offenders, f"free-string statuses (use an enum): {offenders}"


def test_both_languages_hold_the_same_keys() -> None:
    keys = {lang: set(catalogue()[lang]) for lang in LANGUAGES}
    first, *others = LANGUAGES
    for other in others:
        assert keys[first] == keys[other], (
            f"only in {first}: {sorted(keys[first] - keys[other])[:20]}; "
            f"only in {other}: {sorted(keys[other] - keys[first])[:20]}"
        )
