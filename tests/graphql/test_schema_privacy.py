"""Production schema privacy: a word-list attack recovers only what an anonymous caller may use.

The attack is what schema-recovery tools do without introspection: probe with plausible
names (root fields, sub-fields, argument names, type names in variables and fragments,
input fields, enum values) and learn from the answers - from "Did you mean ...?" text, from
names the errors mention, and from answers that differ between an existing name and a
made-up one. Against the development app it recovers the schema (so the test can fail);
against the production app, anonymously, nothing beyond the fields and types that ``ping``,
``me`` and ``signIn`` reach.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterable
from typing import Any

import httpx
import pytest
from graphql import GraphQLEnumType, GraphQLInputObjectType, GraphQLObjectType, GraphQLSchema

from smecredit.app import create_app
from smecredit.graphql.documents import SchemaViews
from smecredit.graphql.schema import build_schema
from smecredit.settings import Settings, load_settings

pytestmark = [pytest.mark.anyio, pytest.mark.parametrize("backend", ["sqlite"], indirect=True)]

NOISE = [
    "user",
    "users2",
    "password",
    "passwd",
    "secret",
    "token",
    "admin",
    "person",
    "Person",
    "idNumber",
    "phone",
    "salary",
    "creditCard",
    "internalNotes",
    "Account",
    "Customer",
    "debug",
    "flag",
]
#: A made-up name: whatever it is answered, an existing name must be answered alike.
BASELINE = "zzqNothingHere"
_QUOTED = re.compile(r"""['"]([_A-Za-z][_0-9A-Za-z]*)['"]""")


def word_list(schema: GraphQLSchema) -> list[str]:
    """Plausible names: a sample of the schema's own names (a third of the root fields, a
    quarter of the types, the fields of the types holding personal data), plus noise."""
    words: set[str] = set(NOISE)
    assert schema.query_type is not None and schema.mutation_type is not None
    roots = sorted([*schema.query_type.fields, *schema.mutation_type.fields])
    words.update(roots[::3])
    words.update({"firms", "createFirm", "users", "auditLog"})
    types = sorted(n for n in schema.type_map if not n.startswith("__"))
    words.update(types[::4])
    words.update({"Person", "Firm", "CreateFirmInput", "Severity"})
    for name in ("Person", "Firm", "CreateFirmInput", "FirmFilter"):
        gtype = schema.type_map[name]
        assert isinstance(gtype, GraphQLObjectType | GraphQLInputObjectType)
        words.update(list(gtype.fields)[:8])
    for gtype in schema.type_map.values():
        if isinstance(gtype, GraphQLEnumType) and not gtype.name.startswith("__"):
            words.update(list(gtype.values)[:1])
    return sorted(words)


#: (template, where the word goes) - each probe places the word in one position.
PROBES = [
    "query {{ {w} }}",
    "mutation {{ {w} }}",
    "query {{ me {{ {w} }} }}",
    'mutation {{ signIn(username: "a", password: "b") {{ ... on SignInPayload {{ {w} }} }} }}',
    "query {{ ping({w}: 1) }}",
    'mutation {{ signIn(username: "a", password: "b", {w}: 1) '
    "{{ ... on SignInPayload {{ token }} }} }}",
    "query($v: {w}) {{ ping }}",
    "query {{ me {{ ... on {w} {{ __typename }} }} }}",
    "query($v: CreateFirmInput = {{ {w}: 1 }}) {{ ping }}",
    "query($v: Severity = {w}) {{ ping }}",
]


def _signature(body: Any, word: str) -> str:
    # The word as a whole name only: "Firm" inside "CreateFirmInput" is not the probe's.
    name = rf"(?<![_0-9A-Za-z]){re.escape(word)}(?![_0-9A-Za-z])"
    return re.sub(name, "<W>", json.dumps(body, sort_keys=True))


async def attack(
    client: httpx.AsyncClient, words: Iterable[str], probes: Iterable[str] = PROBES
) -> tuple[set[str], list[str]]:
    """Run the word list; return the names recovered and every suggestion seen."""
    recovered: set[str] = set()
    suggestions: list[str] = []
    for template in probes:
        baseline = await client.post("/graphql", json={"query": template.format(w=BASELINE)})
        expected = _signature(baseline.json(), BASELINE)
        for word in words:
            if re.search(rf"\b{re.escape(word)}\b", template):
                continue  # the template's own names (CreateFirmInput, Severity...)
            query = template.format(w=word)
            response = await client.post("/graphql", json={"query": query})
            assert response.status_code < 500, (query, response.text)
            body = response.json()
            for error in body.get("errors") or []:
                message = error["message"]
                if "Did you mean" in message:
                    suggestions.append(message)
                # Names an error mentions that the probe did not send are recovered too.
                recovered.update(n for n in _QUOTED.findall(message) if n not in query)
            if _signature(body, word) != expected:
                recovered.add(word)
    return recovered, suggestions


def anonymous_surface(schema: Any) -> set[str]:
    """Every name an anonymous caller may use: the view of ping, me and signIn."""
    view = SchemaViews.attach(schema).for_fields(
        {"query": frozenset({"ping", "me"}), "mutation": frozenset({"signIn"})}
    )
    names: set[str] = set()
    for name, gtype in view.type_map.items():
        names.add(name)
        if isinstance(gtype, GraphQLObjectType):
            for field_name, field in gtype.fields.items():
                names.add(field_name)
                names.update(field.args)
    return names


def with_env(settings: Settings, env: str) -> Settings:
    environ = {**settings.extra, "SMECREDIT_ENV": env}
    if env == "prod":
        environ.pop("SMECREDIT_ARGON2_PROFILE", None)
    return load_settings(environ)


@pytest.fixture
async def prod_app(db: Settings) -> Any:
    return create_app(with_env(db, "prod"), manage_db=False)


@pytest.fixture
async def prod_anon(prod_app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=prod_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


async def test_word_list_attack_recovers_only_the_anonymous_surface(
    prod_app: Any, prod_anon: httpx.AsyncClient, client: httpx.AsyncClient, db: Settings
) -> None:
    words = word_list(build_schema(db)._schema)
    assert "idNumber" in words and "Person" in words and "firms" in words
    allowed = anonymous_surface(prod_app.state.schema)
    assert {"ping", "me", "signIn", "User", "username"} <= allowed
    assert "Person" not in allowed and "idNumber" not in allowed

    # A signed-in caller in development shows what the attack finds when nothing stands
    # in its way (and that this test can fail).
    found_dev, suggested_dev = await attack(client, words, [PROBES[0], PROBES[6]])
    assert suggested_dev, "the attack should meet suggestions in development"
    assert {"Person", "firms", "CreateFirmInput", "users"} <= found_dev
    assert len(found_dev - allowed) > 40

    found, suggested = await attack(prod_anon, words)
    assert suggested == []
    assert found - allowed == set(), sorted(found - allowed)


async def test_production_errors_never_suggest_for_signed_in_callers(
    prod_app: Any, db: Settings
) -> None:
    from conftest import authenticated_client

    client = await authenticated_client(prod_app, "admin", "HQ")
    async with client:
        cases = [
            ("{ firmz { totalCount } }", {}),  # field
            ("{ firms(firstt: 1) { totalCount } }", {}),  # argument
            ("query($v: FirmFiltr) { ping }", {}),  # type
            ("{ firms(sort: NAME_ASCC) { totalCount } }", {}),  # enum value, literal
            ("query($s: FirmSort) { firms(sort: $s) { totalCount } }", {"s": "NAME_ASCC"}),
            (
                "query($f: FirmFilter) { firms(filter: $f) { totalCount } }",
                {"f": {"nameContain": "x"}},
            ),  # input field, variable
            ('{ firms(filter: { nameContain: "x" }) { totalCount } }', {}),  # input, literal
            ("{ firms { totalCount { x } } }", {}),  # leaf with a selection
            ("{ firms }", {}),  # object without a selection
        ]
        for query, variables in cases:
            response = await client.post("/graphql", json={"query": query, "variables": variables})
            assert response.status_code < 500
            body = response.json()
            assert body.get("errors"), (query, body)
            for error in body["errors"]:
                assert "Did you mean" not in error["message"], (query, error)


async def test_introspection_is_off_in_production(
    prod_app: Any, prod_anon: httpx.AsyncClient, db: Settings
) -> None:
    from conftest import authenticated_client

    admin = await authenticated_client(prod_app, "admin", "HQ")
    async with admin:
        for client in (prod_anon, admin):
            for query in (
                "{ __schema { types { name } } }",
                '{ __type(name: "Person") { fields { name } } }',
                "{ me { ... on __Type { name } } }",
            ):
                body = (await client.post("/graphql", json={"query": query})).json()
                assert not body.get("data"), (query, body)
                assert body["errors"], body
        # __typename is not introspection of the schema: it stays available.
        body = (await admin.post("/graphql", json={"query": "{ __typename }"})).json()
        assert body["data"] == {"__typename": "Query"}


async def test_anonymous_refusal_does_not_depend_on_existence(
    prod_anon: httpx.AsyncClient, db: Settings
) -> None:
    """An existing root field and a made-up one are refused in the same words."""
    real = (await prod_anon.post("/graphql", json={"query": "{ firms { totalCount } }"})).json()
    fake = (await prod_anon.post("/graphql", json={"query": "{ frims { totalCount } }"})).json()
    assert real["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert _signature(real, "firms") == _signature(fake, "frims")
