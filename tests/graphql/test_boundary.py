"""Input at the boundary: every argument checked before any service, refusals typed and named.

Each case of issue 11 is here as it was seen (NaN capital, a 100,000-character name, NUL
and bidi characters, full-width region codes, a founding date of 9999-12-31, a repayment
of 1e20, a 500,000-character comment, unknown list members, absurd numeric arguments,
overlong ids), plus the table's completeness: every Int/Float/Decimal argument of the
built schema has a rule, and no rule lets a string past its column.
"""

from __future__ import annotations

import base64
import itertools
import json
import logging
from typing import Any

import httpx
import pytest
from helpers import gql
from lending_support import book_loan, seed_firm, seed_product
from portfolio_seed import make_id_number, make_uscc
from strawberry.relay.utils import to_base64
from tortoise import fields as tortoise_fields

from smecredit import models
from smecredit.graphql.arguments import RULES, argument_keys, rule_for, unbounded_arguments
from smecredit.graphql.budget import MAX_JSON_DEPTH

pytestmark = pytest.mark.anyio

CREATE = """
mutation($input: CreateFirmInput!) {
  createFirm(input: $input) {
    ... on Firm { id name regionCode establishedOn registeredCapital }
    ... on BusinessError { code message }
  }
}
"""


def firm_input(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "uscc": make_uscc(901),
        "name": "Boundary Trading Co.",
        "industryCode": "F51",
        "regionCode": "330106",
        "branchCode": "B01",
        "registeredCapital": "1000000.50",
        "representative": {"name": "Zhang San", "idNumber": make_id_number(9)},
    }
    data.update(overrides)
    return data


async def post_raw(
    client: httpx.AsyncClient, query: str, variables: dict[str, Any]
) -> dict[str, Any]:
    """POST with Python's JSON encoder, which writes NaN and Infinity (httpx refuses to)."""
    content = json.dumps({"query": query, "variables": variables}).replace('"__1e400__"', "1e400")
    response = await client.post(
        "/graphql", content=content, headers={"content-type": "application/json"}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def refusal(body: dict[str, Any]) -> dict[str, Any]:
    assert body.get("errors"), body
    error: dict[str, Any] = body["errors"][0]
    return error


#: (input overrides, the field named, words of the reason) - the cases of issue 11.
FIRM_CASES: list[tuple[dict[str, Any], str, str]] = [
    ({"registeredCapital": "NaN"}, "input.registeredCapital", "finite"),
    ({"registeredCapital": "Infinity"}, "input.registeredCapital", "finite"),
    ({"registeredCapital": "-Infinity"}, "input.registeredCapital", "finite"),
    ({"registeredCapital": "1e400"}, "input.registeredCapital", "too many digits"),
    ({"registeredCapital": "__1e400__"}, "input.registeredCapital", "finite"),
    ({"registeredCapital": float("nan")}, "input.registeredCapital", "finite"),
    ({"registeredCapital": "1" * 30}, "input.registeredCapital", "too many digits"),
    ({"registeredCapital": "1.001"}, "input.registeredCapital", "after the decimal point"),
    ({"registeredCapital": "-5"}, "input.registeredCapital", "at least 0"),
    ({"name": "x" * 100_000}, "input.name", "100,000 characters"),
    ({"name": "A\x00B"}, "input.name", "U+0000"),
    ({"name": "A\u202eB"}, "input.name", "U+202E"),
    ({"name": "A\u2066B"}, "input.name", "U+2066"),
    ({"name": "A\x85B"}, "input.name", "U+0085"),
    ({"regionCode": "３３０１０６"}, "input.regionCode", "ASCII"),
    ({"regionCode": "٣٣٠١٠٦"}, "input.regionCode", "ASCII"),
    ({"uscc": make_uscc(901).replace("9", "９", 1)}, "input.uscc", "ASCII"),
    ({"establishedOn": "9999-12-31"}, "input.establishedOn", "after"),
    ({"establishedOn": "0001-01-01"}, "input.establishedOn", "before 1900"),
    ({"employees": 2**31 - 1}, "input.employees", "at most"),
    (
        {"representative": {"name": "Li\x00", "idNumber": make_id_number(9)}},
        "input.representative.name",
        "U+0000",
    ),
    (
        {"representative": {"name": "Li", "idNumber": "１" + make_id_number(9)[1:]}},
        "input.representative.idNumber",
        "ASCII",
    ),
]


async def test_hostile_firm_fields_are_refused_naming_the_field(
    client: httpx.AsyncClient, db: Any
) -> None:
    for overrides, field, words in FIRM_CASES:
        error = refusal(await post_raw(client, CREATE, {"input": firm_input(**overrides)}))
        assert error["extensions"] == {"code": "INVALID_INPUT", "field": field}, error
        assert error["message"].startswith(field)
        assert words in error["message"], error
        # The message names the fault, never repeats the value.
        assert len(error["message"]) < 200
    assert await models.Firm.all().count() == 0
    assert await models.Person.all().count() == 0


async def test_a_valid_firm_still_passes(client: httpx.AsyncClient, db: Any) -> None:
    body = await gql(client, CREATE, {"input": firm_input(establishedOn="2001-05-04")})
    assert "errors" not in body, body
    assert body["data"]["createFirm"]["registeredCapital"] == "1000000.50"


def test_domain_validators_accept_ascii_digits_only() -> None:
    """The services' own checks (used by the CLI too) no longer take full-width digits."""
    from smecredit.domain.identity import IdentityError, validate_id_number, validate_phone
    from smecredit.errors import InvalidInput
    from smecredit.services.firms import validate_firm_fields

    with pytest.raises(InvalidInput):
        validate_firm_fields({"region_code": "٣٣٠١٠٦"})
    with pytest.raises(InvalidInput):
        validate_firm_fields({"industry_code": "F５1"})
    assert validate_firm_fields({"region_code": "330106"})["region_code"] == "330106"
    with pytest.raises(IdentityError):
        validate_id_number("１" + make_id_number(9)[1:])
    with pytest.raises(IdentityError):
        validate_phone("13８12345678")
    assert validate_phone("13812345678") == "13812345678"


async def test_lending_arguments(client: httpx.AsyncClient, client_for: Any, db: Any) -> None:
    await book_loan(await seed_firm(1))
    loan = await models.Loan.all().first()
    assert loan is not None
    loan_id = to_base64("Loan", loan.id)
    repay = (
        "mutation($l: ID!, $a: Decimal!, $k: String!) "
        "{ postRepayment(loanId: $l, amount: $a, idempotencyKey: $k) { __typename } }"
    )
    before = await models.Repayment.all().count()
    for amount, words in [("1e20", "too many digits"), ("NaN", "finite"), ("-1", "at least")]:
        error = refusal(await gql(client, repay, {"l": loan_id, "a": amount, "k": "k-1"}))
        assert error["extensions"] == {"code": "INVALID_INPUT", "field": "amount"}
        assert words in error["message"]
    error = refusal(await gql(client, repay, {"l": loan_id, "a": "10", "k": "k" * 500}))
    assert error["extensions"]["field"] == "idempotencyKey"
    assert await models.Repayment.all().count() == before

    reschedule = (
        "mutation($l: ID!, $m: RepaymentMethod!, $t: Int!) { rescheduleLoan(loanId: $l, "
        'annualRate: "0.05", termMonths: $t, method: $m) { __typename } }'
    )
    approver = await client_for("approver", "B01")
    error = refusal(await gql(approver, reschedule, {"l": loan_id, "m": "BALLOON", "t": 12}))
    # an enum now: the schema itself refuses a method that does not exist, naming it
    assert "'BALLOON' does not exist in 'RepaymentMethod'" in error["message"]
    error = refusal(
        await gql(approver, reschedule, {"l": loan_id, "m": "EQUAL_PRINCIPAL", "t": 2**31 - 1})
    )
    assert error["extensions"] == {"code": "INVALID_INPUT", "field": "termMonths"}


async def test_unknown_list_members_and_long_comments(client: httpx.AsyncClient, db: Any) -> None:
    await seed_product()
    terms = {
        "amountMin": "1000",
        "amountMax": "50000",
        "termMonthsMin": 3,
        "termMonthsMax": 12,
        "rateMin": "0.03",
        "rateMax": "0.2",
        "methods": ["EQUAL_INSTALMENT", "BALLOON"],
    }
    create = (
        "mutation($t: ProductTermsInput!) "
        '{ createProduct(code: "P-2", name: "Two", terms: $t) { __typename } }'
    )
    error = refusal(await gql(client, create, {"t": terms}))
    # an enum list: the schema refuses the unknown member, naming where it is
    assert ".methods[1]" in error["message"] and "'BALLOON' does not exist" in error["message"]
    assert await models.Product.filter(code="P-2").count() == 0

    comment = (
        "mutation($id: ID!, $b: String!) { commentWarning(id: $id, body: $b) "
        "{ ... on Warning { id } ... on BusinessError { code } } }"
    )
    wid = to_base64("Warning", 1)
    error = refusal(await gql(client, comment, {"id": wid, "b": "x" * 500_000}))
    assert error["extensions"] == {"code": "INVALID_INPUT", "field": "body"}
    # Free text keeps its newlines and tabs, and may hold bidi isolates.
    body = await gql(client, comment, {"id": wid, "b": "line 1\n\tline 2 \u2067x\u2069"})
    assert body["data"]["commentWarning"] == {"code": "NOT_FOUND"}


ABSURD: list[tuple[str, dict[str, Any], str, str]] = [
    (
        "query($f: Int) { firms(first: $f) { totalCount } }",
        {"f": 2**31 - 1},
        "INVALID_INPUT",
        "first",
    ),
    ("query($f: Int) { firms(first: $f) { totalCount } }", {"f": -1}, "INVALID_INPUT", "first"),
    (
        "query($h: Int!) { warningBacktest(horizonDays: $h) { horizonDays } }",
        {"h": 2_000_000_000},
        "INVALID_BACKTEST_INPUT",
        "horizonDays",
    ),
    ("query($id: ID!) { firm(id: $id) { id } }", {"id": "A" * 5000}, "INVALID_ID", "id"),
    (
        "query($id: ID!) { firm(id: $id) { id } }",
        {"id": base64.b64encode(b"Firm:99999999999999999999").decode()},
        "INVALID_ID",
        "id",
    ),
    (
        "query($id: ID!) { firm(id: $id) { id } }",
        {"id": base64.b64encode("Firm:١".encode()).decode()},
        "INVALID_ID",
        "id",
    ),
    (
        "query($s: DateTime) { auditLog(filter: {since: $s}) { totalCount } }",
        {"s": "9999-12-31T23:59:59-14:00"},
        "INVALID_INPUT",
        "filter.since",
    ),
]


async def test_absurd_arguments(client: httpx.AsyncClient, db: Any) -> None:
    for document, variables, code, field in ABSURD:
        error = refusal(await gql(client, document, variables))
        assert error["extensions"] == {"code": code, "field": field}, (document, error)


async def test_json_argument_depth_and_size(client: httpx.AsyncClient, db: Any) -> None:
    deep: Any = 1
    for _ in range(20):
        deep = {"a": deep}
    body = await gql(
        client,
        'mutation($s: JSON) { startSync(source: "synthetic", settings: $s) { __typename } }',
        {"s": deep},
    )
    assert refusal(body)["extensions"] == {"code": "INVALID_INPUT", "field": "settings"}


# ---- the HTTP layer ------------------------------------------------------------------------


def _nested(levels: int) -> str:
    return "[" * levels + "]" * levels


async def test_deeply_nested_variables_get_a_400(
    client: httpx.AsyncClient, anon_client: httpx.AsyncClient, db: Any
) -> None:
    levels_tried = [MAX_JSON_DEPTH + 1, 1000, 50_000]
    for levels, caller in itertools.product(levels_tried, (client, anon_client)):
        payload = '{"query": "{ ping }", "variables": {"v": ' + _nested(levels) + "}}"
        response = await caller.post(
            "/graphql", content=payload, headers={"content-type": "application/json"}
        )
        assert response.status_code in (400, 413), response.text
        if response.status_code == 400:
            assert "nested more than 64 levels" in response.text


async def test_nesting_within_the_limit_is_served(client: httpx.AsyncClient, db: Any) -> None:
    payload = '{"query": "{ ping }", "variables": {"v": ' + _nested(MAX_JSON_DEPTH - 2) + "}}"
    response = await client.post(
        "/graphql", content=payload, headers={"content-type": "application/json"}
    )
    assert response.status_code == 200
    assert response.json()["data"] == {"ping": "ok"}


async def test_an_integer_too_long_to_convert_gets_a_400(
    client: httpx.AsyncClient, db: Any
) -> None:
    payload = '{"query": "{ ping }", "variables": {"v": ' + "9" * 5000 + "}}"
    response = await client.post(
        "/graphql", content=payload, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400


def _wide_document(fields: int) -> str:
    return "{ " + " ".join(["ping"] * fields) + " }"


async def test_anonymous_large_document_refused_before_parsing(
    anon_client: httpx.AsyncClient, db: Any
) -> None:
    # The 20 KB, 4,000-field document of the issue: refused on its Content-Length.
    response = await anon_client.post("/graphql", json={"query": _wide_document(4000)})
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    # Without a Content-Length (streamed), cut off at the limit all the same.

    async def chunks() -> Any:
        for _ in range(40):
            yield b" " * 1024

    response = await anon_client.post(
        "/graphql", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    # A small document over the token budget: refused after a few hundred tokens.
    response = await anon_client.post("/graphql", json={"query": _wide_document(1000)})
    assert response.status_code == 200
    assert response.json()["errors"][0]["extensions"]["code"] == "DOCUMENT_TOO_LARGE"
    # A bogus token does not buy the signed-in budget: the body passes the header
    # check, the document budget is the anonymous one.
    response = await anon_client.post(
        "/graphql",
        json={"query": _wide_document(1000)},
        headers={"Authorization": "Bearer not-a-token"},
    )
    assert response.json()["errors"][0]["extensions"]["code"] == "DOCUMENT_TOO_LARGE"
    # What an anonymous caller needs still fits easily.
    body = await gql(anon_client, "{ ping me { id username } }")
    assert body["data"] == {"ping": "ok", "me": None}


async def test_signed_in_budget_is_larger_but_bounded(client: httpx.AsyncClient, db: Any) -> None:
    # 1,000 fields: within the signed-in budget, so parsed and validated (off the event
    # loop); graphql-core's own comparison budget then gives up on merging them.
    error = refusal(await gql(client, _wide_document(1000)))
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert error["message"] == "Validation aborted."
    body = await gql(client, _wide_document(5000))
    assert "4000 tokens" in refusal(body)["message"]


# ---- logs --------------------------------------------------------------------------------


async def test_a_900_kb_argument_is_not_logged_whole(
    client: httpx.AsyncClient, db: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    huge = "y" * 900_000
    for overrides in ({"name": huge}, {"industryCode": huge}, {"uscc": huge}):
        body = await gql(client, CREATE, {"input": firm_input(**overrides)})
        assert refusal(body)["extensions"]["code"] == "INVALID_INPUT"
    # A value a service quotes in its own error is capped by the log record factory.
    logging.getLogger("smecredit.test").error("refused %s", huge, exc_info=ValueError(huge))
    handler = logging.StreamHandler()
    longest = max(len(handler.format(record)) for record in caplog.records)
    assert longest < 20_000, longest


def test_cap_record_caps_arguments_messages_and_tracebacks() -> None:
    from smecredit.logs import MAX_VALUE_CHARS, cap_record

    try:
        raise ValueError("z" * 50_000)
    except ValueError as error:
        record = logging.LogRecord(
            "x",
            logging.ERROR,
            __file__,
            1,
            "%s and %d",
            ("a" * 10_000, 7),
            (
                type(error),
                error,
                error.__traceback__,
            ),
        )
    cap_record(record)
    text = logging.Formatter().format(record)
    assert "[10,000 characters, cut at" in text
    assert "[50,012 characters, cut at" in text  # "ValueError: zzz..." in the traceback
    assert "and 7" in text
    assert all(len(line) < MAX_VALUE_CHARS + 100 for line in text.splitlines())
    short = logging.LogRecord("x", logging.INFO, __file__, 1, "ok %s", ("fine",), None)
    assert logging.Formatter().format(cap_record(short)) == "ok fine"


# ---- the table ---------------------------------------------------------------------------


async def test_every_number_argument_has_a_rule(app: Any) -> None:
    """Int, Float and Decimal arguments (plugins' included) each have an explicit rule."""
    core = app.state.schema._schema
    assert unbounded_arguments(core) == []
    keys = argument_keys(core)
    assert len(keys) > 250  # the walk does reach nested input fields
    stale = sorted(k for k in RULES if not k.startswith("*.") and k not in keys)
    assert stale == [], "rules for arguments that no longer exist"


#: Input fields and arguments stored in a column: the rule may not allow more than it holds.
COLUMNS: dict[str, tuple[type[Any], str]] = {
    "CreateFirmInput.uscc": (models.Firm, "uscc"),
    "CreateFirmInput.name": (models.Firm, "name"),
    "UpdateFirmInput.name": (models.Firm, "name"),
    "CreateFirmInput.industryCode": (models.Firm, "industry_code"),
    "CreateFirmInput.regionCode": (models.Firm, "region_code"),
    "CreateFirmInput.branchCode": (models.Firm, "branch_code"),
    "CreateFirmInput.registeredCapital": (models.Firm, "registered_capital"),
    "UpdateFirmInput.registeredCapital": (models.Firm, "registered_capital"),
    "CreateApplicationInput.amount": (models.LoanApplication, "amount"),
    "CreateApplicationInput.annualRate": (models.LoanApplication, "annual_rate"),
    "CreateApplicationInput.purpose": (models.LoanApplication, "purpose"),
    "Mutation.overrideApplicationGrade.grade": (models.LoanApplication, "risk_grade"),
    "Mutation.createProduct.code": (models.Product, "code"),
    "Mutation.createProduct.name": (models.Product, "name"),
    "ProductTermsInput.amountMin": (models.Product, "amount_min"),
    "ProductTermsInput.amountMax": (models.Product, "amount_max"),
    "ProductTermsInput.rateMin": (models.Product, "rate_min"),
    "ProductTermsInput.rateMax": (models.Product, "rate_max"),
    "ProductTermsInput.penaltyMultiplier": (models.Product, "penalty_multiplier"),
    "ProductTermsInput.penaltyRateAbsolute": (models.Product, "penalty_rate_absolute"),
    "Mutation.postRepayment.idempotencyKey": (models.Repayment, "idempotency_key"),
    "Mutation.postRepayment.amount": (models.Repayment, "amount"),
}


#: Normalised before they are stored (and checked again then): the USCC loses blanks and dashes.
NORMALISED = {"CreateFirmInput.uscc"}


@pytest.mark.parametrize("key", sorted(set(COLUMNS) - NORMALISED))
def test_rules_fit_their_columns(key: str) -> None:
    model, column = COLUMNS[key]
    field = model._meta.fields_map[column]
    rule = rule_for(key, "Decimal" if isinstance(field, tortoise_fields.DecimalField) else "String")
    if isinstance(field, tortoise_fields.DecimalField):
        assert rule.kind == "decimal"
        assert rule.max_digits - rule.decimal_places <= field.max_digits - field.decimal_places
        assert rule.decimal_places <= field.decimal_places
    else:
        assert rule.kind in ("text", "code", "choice")
        assert field.max_length is not None
        longest = max(map(len, rule.choices)) if rule.choices else rule.max_length
        assert longest <= field.max_length, (key, longest, field.max_length)


def test_refusal_messages_are_json_safe() -> None:
    # The reasons of domain.text name code points, never the raw characters.
    from smecredit.domain.text import code_problem, text_problem

    for problem in (text_problem("a\x00", max_length=5), code_problem("٣", max_length=5)):
        assert problem is not None
        assert json.dumps(problem, ensure_ascii=True).isascii()
        assert "\x00" not in problem and "٣" not in problem
