"""No oracles: an object outside the caller's branches answers exactly as a missing one.

For every root field of the schema (queries and mutations) that names an object by id or
by unified social credit code, a branch-bound caller gets the same answer for an object of
another branch as for one that does not exist, once the id itself is blanked out of the
messages. A field that returned data, changed something or named the other branch for the
existing object would answer differently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from helpers import gql
from lending_support import book_loan, principal, seed_firm
from operations_support import MISSING_ID, call_document, missing_id
from strawberry.relay.utils import to_base64

from smecredit import models
from smecredit.domain.identity import uscc_check_char
from smecredit.services.lending import repayments
from smecredit.services.persons import encrypt_person_fields, new_key_ref

pytestmark = pytest.mark.anyio

#: The caller's branch and the other one.
MINE, OTHER = "B01", "B02"
#: A valid unified social credit code that no test creates.
MISSING_USCC = "91110000987654321" + uscc_check_char("91110000987654321")


@dataclass
class Elsewhere:
    """Objects of the other branch, by the node type that names them."""

    ids: dict[str, int]
    uscc: str
    repayment_id: int


async def _seed_other_branch() -> Elsewhere:
    firm = await seed_firm(50, branch=OTHER)
    person = await models.Person.create(
        **encrypt_person_fields(
            {"name": "钱七", "id_number": "110105199001011234", "phone": "13800138000"},
            new_key_ref(),
        )
    )
    await models.Firm.filter(id=firm.id).update(representative_id=person.id)
    application = await book_loan(firm)
    loan_id = application.loan_id  # type: ignore[attr-defined]
    warning = await models.Warning.create(
        firm_id=firm.id, rule_code="LOAN_DPD", severity="red", message="overdue", status="open"
    )
    repayment = await repayments.post_repayment(
        loan_id,
        principal("loan_officer", branch=OTHER),
        idempotency_key="oracle-1",
        amount=Decimal("100.00"),
    )
    return Elsewhere(
        ids={
            "Firm": firm.id,
            "Loan": loan_id,
            "LoanApplication": application.id,
            "Warning": warning.id,
            "Person": person.id,
        },
        uscc=firm.uscc,
        repayment_id=repayment.id,
    )


def _names_objects(field: Any) -> bool:
    def named(gtype: Any) -> bool:
        while hasattr(gtype, "of_type"):
            gtype = gtype.of_type
        return getattr(gtype, "name", "") in ("ID", "GlobalID")

    return any(
        named(arg.type) or name in ("uscc", "repaymentId") for name, arg in field.args.items()
    )


def _blank(body: dict[str, Any], tokens: list[str]) -> str:
    text = repr(body)
    for token in sorted(tokens, key=len, reverse=True):
        text = text.replace(token, "<ID>")
    return re.sub(r"\bline': \d+|column': \d+", "", text)


async def test_objects_of_another_branch_answer_as_missing(app: Any, client_for: Any) -> None:
    elsewhere = await _seed_other_branch()
    await seed_firm(51, branch=MINE)  # the caller's own branch is not empty
    schema = app.state.schema._schema
    callers = {
        "officer+approver": await client_for(
            "loan_officer", MINE, roles=["loan_officer", "approver"]
        ),
        "partner": await client_for("partner", MINE),
    }
    roots = [("query", schema.query_type), ("mutation", schema.mutation_type)]
    differing: list[str] = []
    for caller, client in callers.items():
        for type_name, db_id in elsewhere.ids.items():
            existing_gid, missing_gid = to_base64(type_name, db_id), missing_id(type_name)

            def ids(existing: bool, there: str = existing_gid, gone: str = missing_gid) -> Any:
                def id_for(field: str, arg: str) -> str:
                    if arg == "uscc":
                        return elsewhere.uscc if existing else MISSING_USCC
                    if arg == "repaymentId":
                        return str(elsewhere.repayment_id if existing else MISSING_ID)
                    return there if existing else gone

                return id_for

            for kind, root in roots:
                for name, field in root.fields.items():
                    if not _names_objects(field):
                        continue
                    there = await gql(client, call_document(kind, name, field, id_for=ids(True)))
                    absent = await gql(client, call_document(kind, name, field, id_for=ids(False)))
                    tokens = [
                        existing_gid,
                        missing_gid,
                        str(db_id),
                        str(MISSING_ID),
                        elsewhere.uscc,
                        MISSING_USCC,
                        str(elsewhere.repayment_id),
                    ]
                    if _blank(there, tokens) != _blank(absent, tokens):
                        differing.append(
                            f"{caller}: {name} with a {type_name} of {OTHER}: {there} "
                            f"but for a missing one: {absent}"
                        )
    assert differing == [], "\n".join(differing)
    # and nothing of the other branch changed
    assert (
        await models.Warning.get(id=elsewhere.ids["Warning"]).values_list("status", flat=True)
        == "open"
    )
