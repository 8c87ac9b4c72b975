"""The lending API: every step as a mutation, refusals as typed union members."""

from __future__ import annotations

from typing import Any

import pytest
from helpers import gql
from lending_support import seed_firm, seed_product
from strawberry.relay import GlobalID

pytestmark = pytest.mark.anyio

RESULT = """
  __typename
  ... on LoanApplication { id status version loan { id status } }
  ... on BusinessError { code message }
  ... on IncompleteApplication { missing }
"""


def gid(type_name: str, pk: int) -> str:
    return str(GlobalID(type_name, str(pk)))


async def mutate(client: Any, name: str, args: str, variables: dict[str, Any]) -> dict[str, Any]:
    decl = ", ".join(f"${k}: {t}" for k, t in _TYPES.items() if k in variables)
    body = await gql(client, f"mutation({decl}) {{ r: {name}({args}) {{ {RESULT} }} }}", variables)
    assert "errors" not in body, body
    return body["data"]["r"]  # type: ignore[no-any-return]


_TYPES = {
    "id": "ID!",
    "reason": "String",
    "loanId": "ID!",
    "grade": "String!",
    "overrideReason": "String",
}
GRADE = "applicationId: $id, grade: $grade, reason: $reason"


async def create(client: Any, firm_id: int, amount: str = "120000.00") -> dict[str, Any]:
    body = await gql(
        client,
        """mutation($input: CreateApplicationInput!) { r: createApplication(input: $input) {"""
        + RESULT
        + "} }",
        {
            "input": {
                "firmId": gid("Firm", firm_id),
                "productCode": "SME-WC",
                "amount": amount,
                "termMonths": 12,
                "annualRate": "0.12",
                "repaymentMethod": "EQUAL_PRINCIPAL",
            }
        },
    )
    assert "errors" not in body, body
    return body["data"]["r"]  # type: ignore[no-any-return]


def _grade(app_id: str) -> dict[str, str]:
    return {"id": app_id, "grade": "B", "reason": "graded by hand"}


async def test_lifecycle_and_typed_refusals(db: object, client_for: Any) -> None:
    await seed_product()
    firm = await seed_firm(branch="B01")
    bare = await seed_firm(2, branch="B01", evidence=False, consent=False)
    officer = await client_for("loan_officer", "B01")
    analyst = await client_for("risk_analyst", "B01")
    approver = await client_for("approver", "B01")
    viewer = await client_for("viewer", "B01")
    admin = await client_for("admin", "HQ")

    app = await create(officer, firm.id)
    assert app["__typename"] == "LoanApplication" and app["status"] == "DRAFT"
    app_id = app["id"]

    r = await mutate(approver, "approveApplication", "id: $id", {"id": app_id})
    assert (r["__typename"], r["code"]) == ("InvalidTransition", "INVALID_TRANSITION")
    r = await mutate(viewer, "submitApplication", "id: $id", {"id": app_id})
    assert (r["__typename"], r["code"]) == ("Forbidden", "FORBIDDEN")
    other_branch = await client_for("loan_officer", "B77")
    r = await mutate(other_branch, "submitApplication", "id: $id", {"id": app_id})
    assert r["__typename"] in ("Forbidden", "NotFoundError")

    incomplete = await create(officer, bare.id)
    r = await mutate(officer, "submitApplication", "id: $id", {"id": incomplete["id"]})
    assert r["__typename"] == "IncompleteApplication" and len(r["missing"]) == 3

    r = await mutate(officer, "submitApplication", "id: $id", {"id": app_id})
    assert r["status"] == "SUBMITTED"
    r = await mutate(analyst, "startReview", "id: $id", {"id": app_id})
    assert r["status"] == "UNDER_REVIEW"
    r = await mutate(
        approver, "rejectApplication", "id: $id, reason: $reason", {"id": app_id, "reason": " "}
    )
    assert (r["__typename"], r["code"]) == ("ReasonRequired", "REASON_REQUIRED")
    r = await mutate(officer, "withdrawApplication", "id: $id", {"id": app_id})
    assert r["__typename"] == "InvalidTransition"

    # no champion scored it: no grade, so no routing (never taken for G)
    r = await mutate(approver, "approveApplication", "id: $id", {"id": app_id})
    assert (r["__typename"], r["code"]) == ("PreconditionFailed", "GRADE_MISSING")
    assert "no risk grade" in r["message"]
    needs = """query($id: ID!) { application(id: $id) { riskGrade systemGrade gradeModel
      requiredApprovals { rule count roles text } gradeOverride { systemValue decidedValue
      reason actor } overrides { kind systemValue decidedValue reason actor } } }"""
    body = await gql(approver, needs, {"id": app_id})
    assert body["data"]["application"]["requiredApprovals"][0]["rule"] == "GRADE_MISSING"
    r = await mutate(officer, "overrideApplicationGrade", GRADE, {**_grade(app_id), "reason": "x"})
    assert (r["__typename"], r["code"]) == ("Forbidden", "FORBIDDEN")
    r = await mutate(analyst, "overrideApplicationGrade", GRADE, {**_grade(app_id), "reason": " "})
    assert (r["__typename"], r["code"]) == ("ReasonRequired", "REASON_REQUIRED")
    r = await mutate(analyst, "overrideApplicationGrade", GRADE, _grade(app_id))
    assert r["__typename"] == "LoanApplication", r
    body = await gql(approver, needs, {"id": app_id})
    shown = body["data"]["application"]
    assert (shown["riskGrade"], shown["systemGrade"], shown["gradeModel"]) == ("B", None, None)
    assert shown["gradeOverride"]["decidedValue"] == "B"
    assert shown["gradeOverride"]["reason"] == "graded by hand"
    assert shown["requiredApprovals"] == [
        {
            "rule": "single",
            "count": 1,
            "roles": ["approver", "credit_committee"],
            "text": "1 more approval by an approver or credit committee member "
            "(authority rule single)",
        }
    ]

    queue = await gql(
        approver, "{ approvalQueue { totalCount edges { node { id status statusLabel } } } }"
    )
    assert [e["node"]["id"] for e in queue["data"]["approvalQueue"]["edges"]] == [app_id]
    assert queue["data"]["approvalQueue"]["edges"][0]["node"]["statusLabel"] == "Under review"
    assert queue["data"]["approvalQueue"]["totalCount"] == 1

    # the product's ceiling drops below the amount while the application is in review
    body = await gql(
        admin,
        """mutation { updateProduct(code: "SME-WC", terms: {amountMin: "1000", amountMax: "100000",
        termMonthsMin: 3, termMonthsMax: 36, rateMin: "0.03", rateMax: "0.24",
        methods: [EQUAL_PRINCIPAL]}) { __typename ... on Product { amountMax } } }""",
    )
    assert body["data"]["updateProduct"]["__typename"] == "Product", body
    r = await mutate(approver, "approveApplication", "id: $id", {"id": app_id})
    assert (r["__typename"], r["code"]) == ("LimitExceeded", "LIMIT_EXCEEDED")
    await gql(
        admin,
        """mutation { updateProduct(code: "SME-WC", terms: {amountMin: "1000", amountMax: "5000000",
        termMonthsMin: 3, termMonthsMax: 36, rateMin: "0.03", rateMax: "0.24",
        methods: [EQUAL_PRINCIPAL, EQUAL_INSTALMENT, INTEREST_ONLY]}) { __typename } }""",
    )

    # unscored: approving is an override of a failed policy check
    r = await mutate(approver, "approveApplication", "id: $id", {"id": app_id})
    assert (r["__typename"], r["code"]) == ("ReasonRequired", "OVERRIDE_REASON_REQUIRED")
    assert "no score from the champion model" in r["message"]
    approve = "id: $id, overrideReason: $overrideReason"
    r = await mutate(
        approver, "approveApplication", approve, {"id": app_id, "overrideReason": "known firm"}
    )
    assert r["status"] == "APPROVED", r
    body = await gql(approver, needs, {"id": app_id})
    overrides = body["data"]["application"]["overrides"]
    assert [(o["kind"], o["decidedValue"], o["reason"]) for o in overrides] == [
        ("GRADE", "B", "graded by hand"),
        ("POLICY_CHECK", "approved", "known firm"),
    ]
    assert "no score" in overrides[1]["systemValue"]
    rates = await gql(approver, "{ decisionOverrideRates { kind overridden decided rate } }")
    by_kind = {r["kind"]: r for r in rates["data"]["decisionOverrideRates"]}
    assert by_kind["POLICY_CHECK"] == {
        "kind": "POLICY_CHECK",
        "overridden": 1,
        "decided": 1,
        "rate": 1.0,
    }
    denied = await gql(officer, "{ decisionOverrideRates { kind } }")
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # four eyes: the maker neither disburses nor confirms, the disburser does not confirm
    r = await mutate(officer, "disburseLoan", "id: $id", {"id": app_id})
    assert (r["__typename"], r["code"]) == ("Forbidden", "FOUR_EYES")
    assert "maker-disburses" in r["message"]
    ops1 = await client_for("loan_officer", "B01")
    ops2 = await client_for("loan_officer", "B01")
    r = await mutate(ops1, "disburseLoan", "id: $id", {"id": app_id})
    assert r["status"] == "DISBURSED" and r["loan"]["status"] == "DISBURSED"
    r = await mutate(ops1, "confirmDisbursement", "id: $id", {"id": app_id})
    assert (r["code"], "disburser-confirms" in r["message"]) == ("FOUR_EYES", True)
    r = await mutate(ops2, "confirmDisbursement", "id: $id", {"id": app_id})
    assert r["status"] == "ACTIVE"
    loan_id = r["loan"]["id"]
    r = await mutate(officer, "closeLoan", "loanId: $loanId", {"loanId": loan_id})
    assert (r["__typename"], r["code"]) == ("PreconditionFailed", "PRECONDITION_FAILED")
    body = await gql(
        officer,
        'mutation($l: ID!) { r: requestWriteOff(loanId: $l, reason: "gone") { __typename '
        "... on BusinessError { code } } }",
        {"l": loan_id},
    )
    assert body["data"]["r"] == {"__typename": "Forbidden", "code": "FORBIDDEN"}, body

    post = """mutation($loanId: ID!, $key: String!, $amount: Decimal!) {
      r: postRepayment(loanId: $loanId, idempotencyKey: $key, amount: $amount) {
        __typename ... on Repayment { id amount creditAdded allocation { component amount } }
        ... on BusinessError { code message } } }"""
    first = await gql(officer, post, {"loanId": loan_id, "key": "p-1", "amount": "1500.00"})
    again = await gql(officer, post, {"loanId": loan_id, "key": "p-1", "amount": "1500.00"})
    assert first["data"]["r"]["__typename"] == "Repayment", first
    assert again["data"]["r"]["id"] == first["data"]["r"]["id"]
    clash = await gql(officer, post, {"loanId": loan_id, "key": "p-1", "amount": "99.00"})
    assert clash["data"]["r"]["__typename"] == "DuplicateIdempotencyKey"

    body = await gql(
        officer,
        """query($id: ID!) { loan(id: $id) { schedule { number principal interest status }
          repayments { edges { node { amount } } }
          transitions { edges { node { action fromStatus toStatus } } }
          classificationHistory { edges { node { loanClass classLabel stage } } } } }""",
        {"id": loan_id},
    )
    loan = body["data"]["loan"]
    assert len(loan["schedule"]) == 12
    transitions = [e["node"]["action"] for e in loan["transitions"]["edges"]]
    assert transitions == ["DISBURSE_LOAN", "CONFIRM_DISBURSEMENT"]
    assert [e["node"] for e in loan["repayments"]["edges"]] == [{"amount": "1500.00"}]
    assert [e["node"] for e in loan["classificationHistory"]["edges"]] == [
        {"loanClass": "NORMAL", "classLabel": "Normal", "stage": 1}
    ]

    body = await gql(
        officer,
        "query($id: ID!) { application(id: $id) { transitions { edges { node { action } } } "
        "allowedActions } }",
        {"id": app_id},
    )
    actions = [e["node"]["action"] for e in body["data"]["application"]["transitions"]["edges"]]
    assert actions == [
        "SUBMIT_APPLICATION",
        "START_REVIEW",
        "APPROVE_APPLICATION",
        "DISBURSE_LOAN",
        "CONFIRM_DISBURSEMENT",
    ]
    assert body["data"]["application"]["allowedActions"] == []  # balance still outstanding
    committee = await client_for("credit_committee", "B01")
    body = await gql(
        committee, "query($id: ID!) { application(id: $id) { allowedActions } }", {"id": app_id}
    )
    assert body["data"]["application"]["allowedActions"] == ["REQUEST_WRITE_OFF"]


#: Selections of the results: most steps return the application, two return the loan.
VERSIONED = {
    "application": "... on LoanApplication { status version loan { id status version } }",
    "loan": "... on Loan { id status version classification }",
}
_LOAN_RESULTS = {"overrideClassification", "rescheduleLoan"}
_REQUEST_RESULTS = {"requestWriteOff", "approveFourEyesRequest"}
VERSIONED["request"] = "... on FourEyesRequest { id status requestedBy decidedBy }"


async def step(client: Any, name: str, args: str, variables: dict[str, Any]) -> dict[str, Any]:
    types = {"id": "ID!", "loanId": "ID!", "v": "Int", "reason": "String", "request": "ID!"}
    types["overrideReason"] = "String"
    decl = ", ".join(f"${k}: {types[k]}" for k in variables)
    kind = "loan" if name in _LOAN_RESULTS else "application"
    selection = VERSIONED["request" if name in _REQUEST_RESULTS else kind]
    query = (
        f"mutation({decl}) {{ r: {name}({args}) "
        f"{{ __typename {selection} ... on BusinessError {{ code message }} }} }}"
    )
    body = await gql(client, query, variables)
    assert "errors" not in body, body
    return body["data"]["r"]  # type: ignore[no-any-return]


def is_conflict(result: dict[str, Any]) -> bool:
    return (result["__typename"], result.get("code")) == ("Conflict", "CONFLICT")


async def test_stale_expected_version_changes_nothing(db: object, client_for: Any) -> None:
    from smecredit import models

    await seed_product()
    firm = await seed_firm(branch="B01")
    officer = await client_for("loan_officer", "B01")
    analyst = await client_for("risk_analyst", "B01")
    approver = await client_for("approver", "B01")
    committee = await client_for("credit_committee", "B01")
    admin = await client_for("admin", "HQ")
    app_id = (await create(officer, firm.id))["id"]
    db_id = int(GlobalID.from_id(app_id).node_id)

    async def journal() -> tuple[int, int, int]:
        return (
            await models.ApplicationTransition.filter(application_id=db_id).count(),
            await models.Approval.filter(application_id=db_id).count(),
            await models.Loan.all().count(),
        )

    app_step = "id: $id, expectedVersion: $v"
    r = await step(officer, "submitApplication", app_step, {"id": app_id, "v": 1})
    # the submission, then its model grade (none here: no champion)
    assert (r["status"], r["version"]) == ("SUBMITTED", 3), r
    # Each application step, given the version read before the last change, is refused.
    for client, name, args in (
        (analyst, "startReview", app_step),
        (officer, "withdrawApplication", app_step),
    ):
        before = await journal()
        r = await step(client, name, args, {"id": app_id, "v": 1})
        assert is_conflict(r) and "version 3" in r["message"], r
        assert await journal() == before
    grade = 'applicationId: $id, grade: "B", reason: $reason, expectedVersion: $v'
    r = await step(
        analyst, "overrideApplicationGrade", grade, {"id": app_id, "v": 2, "reason": "x"}
    )
    assert is_conflict(r), r
    r = await step(
        analyst, "overrideApplicationGrade", grade, {"id": app_id, "v": 3, "reason": "x"}
    )
    assert r["version"] == 4, r
    r = await step(analyst, "startReview", app_step, {"id": app_id, "v": 4})
    assert (r["status"], r["version"]) == ("UNDER_REVIEW", 5), r
    before = await journal()
    approve = app_step + ", overrideReason: $overrideReason"
    why = "not scored"
    r = await step(
        approver, "approveApplication", approve, {"id": app_id, "v": 4, "overrideReason": why}
    )
    assert is_conflict(r) and await journal() == before  # no approval recorded
    r = await step(
        approver, "approveApplication", approve, {"id": app_id, "v": 5, "overrideReason": why}
    )
    assert (r["status"], r["version"]) == ("APPROVED", 6), r
    ops1 = await client_for("loan_officer", "B01")
    ops2 = await client_for("loan_officer", "B01")
    before = await journal()
    r = await step(ops1, "disburseLoan", app_step, {"id": app_id, "v": 5})
    assert is_conflict(r) and await journal() == before  # no loan booked
    r = await step(ops1, "disburseLoan", app_step, {"id": app_id, "v": 6})
    assert r["status"] == "DISBURSED", r
    r = await step(ops2, "confirmDisbursement", app_step, {"id": app_id, "v": r["version"]})
    assert r["status"] == "ACTIVE", r
    loan_id, loan_version = r["loan"]["id"], r["loan"]["version"]

    # Steps naming a loan check the loan's version, before any business rule: a stale
    # close is a Conflict, not the PreconditionFailed (balance outstanding) of a fresh one.
    loan_step = "loanId: $loanId, expectedVersion: $v, reason: $reason"
    stale = {"loanId": loan_id, "v": loan_version - 1, "reason": "as agreed"}
    before = await journal()
    for client, name, args in (
        (officer, "closeLoan", "loanId: $loanId, expectedVersion: $v"),
        (committee, "requestWriteOff", loan_step),
        (committee, "overrideClassification", loan_step + ", loanClass: SUBSTANDARD"),
        (
            approver,
            "rescheduleLoan",
            loan_step + ', annualRate: "0.10", termMonths: 6, method: EQUAL_PRINCIPAL',
        ),
    ):
        variables = {k: v for k, v in stale.items() if f"${k}" in args}
        r = await step(client, name, args, variables)
        assert is_conflict(r), (name, r)
        assert f"version {loan_version}, not {loan_version - 1}" in r["message"], r
    assert await journal() == before
    loan = await models.Loan.get(id=int(GlobalID.from_id(loan_id).node_id))
    assert (loan.version, loan.status, loan.classification) == (loan_version, "active", "normal")
    assert await models.RepaymentSchedule.filter(loan_id=loan.id).count() == 1

    fresh = {"loanId": loan_id, "v": loan_version, "reason": "uncollectable"}
    r = await step(committee, "requestWriteOff", loan_step, fresh)
    assert r["status"] == "PENDING", r
    decide = "requestId: $request"
    own = await step(committee, "approveFourEyesRequest", decide, {"request": r["id"]})
    assert (own["__typename"], own["code"]) == ("Forbidden", "FOUR_EYES"), own
    second = await client_for("credit_committee", "B01")
    done = await step(second, "approveFourEyesRequest", decide, {"request": r["id"]})
    assert done["status"] == "APPROVED" and done["decidedBy"] != done["requestedBy"], done
    loan = await models.Loan.get(id=loan.id)
    assert (loan.status, loan.version) == ("written_off", loan_version + 1)
    r = await step(committee, "undoWriteOff", loan_step, fresh)  # now stale
    assert is_conflict(r), r
    fresh["v"] = loan_version + 1
    r = await step(committee, "undoWriteOff", loan_step, fresh)
    assert r["status"] == "ACTIVE", r

    # Products carry a version too.
    product = await models.Product.get(code="SME-WC")
    update = (
        'mutation($v: Int) { updateProduct(code: "SME-WC", name: "Renamed", '
        "expectedVersion: $v) { __typename ... on Product { name version } "
        "... on BusinessError { code } } }"
    )
    body = await gql(admin, update, {"v": product.version + 1})
    assert body["data"]["updateProduct"] == {"__typename": "Conflict", "code": "CONFLICT"}
    assert (await models.Product.get(code="SME-WC")).name == product.name
    body = await gql(admin, update, {"v": product.version})
    assert body["data"]["updateProduct"]["version"] == product.version + 1


# What an application page shows before its buttons: the submission checklist and how an
# approval now would go against the recommendation.
CHECKS = """query($id: ID!) { application(id: $id) { status
  submissionChecks { code passed label missing }
  approvalFindings { kind kindLabel description systemValue decidedValue detail } } }"""


async def _shown(client: Any, app_id: str) -> dict[str, Any]:
    body = await gql(client, CHECKS, {"id": app_id})
    assert "errors" not in body, body
    return body["data"]["application"]  # type: ignore[no-any-return]


async def test_the_checklist_says_what_is_missing_in_the_callers_language(
    db: object, client_for: Any
) -> None:
    await seed_product()
    bare = await seed_firm(2, branch="B01", evidence=False, consent=False)
    officer = await client_for("loan_officer", "B01")
    app = await create(officer, bare.id)
    shown = await _shown(officer, app["id"])
    checks = {c["code"]: c for c in shown["submissionChecks"]}
    assert list(checks) == [
        "FIRM_IDENTITY",
        "FINANCIAL_STATEMENT",
        "BUREAU_SUMMARY",
        "CONSENT",
        "TERMS",
    ]
    failing = {code for code, c in checks.items() if not c["passed"]}
    assert failing == {"FINANCIAL_STATEMENT", "BUREAU_SUMMARY", "CONSENT"}
    assert checks["CONSENT"]["missing"] == ["the firm's valid consent to bureau queries"]
    assert checks["TERMS"]["missing"] == []
    # the refusal of submitApplication lists the same items
    r = await mutate(officer, "submitApplication", "id: $id", {"id": app["id"]})
    assert r["missing"] == [m for c in shown["submissionChecks"] for m in c["missing"]]
    # labels in the caller's language (the test client asks for English)
    assert checks["CONSENT"]["label"] == "The firm's valid consent to bureau queries"
    assert shown["approvalFindings"] == []  # a draft is not approved


async def test_approval_findings_name_what_needs_an_override_reason(
    db: object, client_for: Any
) -> None:
    await seed_product()
    firm = await seed_firm(branch="B01")
    officer = await client_for("loan_officer", "B01")
    analyst = await client_for("risk_analyst", "B01")
    app = await create(officer, firm.id)
    assert (await mutate(officer, "submitApplication", "id: $id", {"id": app["id"]}))[
        "status"
    ] == "SUBMITTED"
    assert (await _shown(officer, app["id"]))["approvalFindings"] == []  # not under review
    await mutate(analyst, "startReview", "id: $id", {"id": app["id"]})
    await mutate(analyst, "overrideApplicationGrade", GRADE, _grade(app["id"]))
    shown = await _shown(officer, app["id"])
    assert all(c["passed"] for c in shown["submissionChecks"])
    # no champion scored it: no recommendation, itself a failed policy check
    [finding] = shown["approvalFindings"]
    assert finding["kind"] == "POLICY_CHECK"
    assert finding["decidedValue"] == "approved"
    assert "no score from the champion model" in finding["detail"]
    assert finding["kindLabel"] == "Approved despite a failed policy check"


async def test_loans_filter_by_product_code_or_chinese_name(db: object, client_for: Any) -> None:
    from lending_support import book_loan

    from smecredit import models

    booked = await book_loan(await seed_firm(branch="B01"))
    imported = await book_loan(await seed_firm(2, branch="B01"))
    await models.Product.filter(code="SME-WC").update(name="流动资金贷款（等额本金）")
    await models.Loan.filter(id=imported.loan_id).update(product="小微经营贷")
    officer = await client_for("loan_officer", "B01")
    query = "query($p: String) { loans(filter: {product: $p}) { edges { node { id product } } } }"

    async def products(value: str) -> list[str]:
        body = await gql(officer, query, {"p": value})
        assert "errors" not in body, body
        return [e["node"]["product"] for e in body["data"]["loans"]["edges"]]

    assert await products("SME-WC") == ["SME-WC"]  # the code a loan was booked under
    assert await products("流动资金贷款（等额本金）") == ["SME-WC"]  # the product's name
    assert await products("小微经营贷") == ["小微经营贷"]  # an imported book's name
    assert await products("小微") == []  # exactly, not a prefix
    assert booked.loan_id != imported.loan_id
    for bad in ("a\nb", "x" * 201):
        body = await gql(officer, query, {"p": bad})
        assert body["errors"][0]["extensions"]["code"] == "INVALID_INPUT", body
        assert body["errors"][0]["extensions"]["field"] == "filter.product", body
