"""Lending objects over HTTP as a client meets them: nodes with global ids (row scope applies),
connections with cursors, enums with labels in the caller's language."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from helpers import gql
from lending_support import book_loan, grade_by_analyst, principal, seed_firm, seed_product
from strawberry.relay import GlobalID

from smecredit import models
from smecredit.services.lending import applications, four_eyes_requests, repayments

pytestmark = pytest.mark.anyio

ZH = {"Accept-Language": "zh-CN"}
NODE = "query($id: ID!) { node(id: $id) { __typename id } }"


def gid(type_name: str, pk: int) -> str:
    return str(GlobalID(type_name, str(pk)))


async def _node(client: Any, id: str) -> Any:
    body = await gql(client, NODE, {"id": id})
    assert "errors" not in body, body
    return body["data"]["node"]


async def test_repayments_are_nodes_reversed_by_global_id(db: object, client_for: Any) -> None:
    app = await book_loan(await seed_firm(branch="B01"))
    loan_id: int = app.loan_id  # type: ignore[attr-defined]
    officer = principal("loan_officer", name="cashier", branch="B01")
    for key in ("r-1", "r-2"):
        await repayments.post_repayment(
            loan_id, officer, idempotency_key=key, amount=Decimal("100.00")
        )
    first = await models.Repayment.get(idempotency_key="r-1")

    admin = await client_for("admin", "HQ")
    reverse = """mutation($id: ID!) { r: reverseRepayment(repaymentId: $id, reason: "bounced") {
      __typename ... on Repayment { id amount reversalOf { id amount } }
      ... on BusinessError { code } } }"""
    body = await gql(admin, reverse, {"id": gid("Repayment", first.id)})
    reversal = body["data"]["r"]
    assert reversal["__typename"] == "Repayment", body
    assert reversal["amount"] == "-100.00"
    assert reversal["reversalOf"] == {"id": gid("Repayment", first.id), "amount": "100.00"}
    # an id of another type is refused, not taken for a repayment
    body = await gql(admin, reverse, {"id": gid("Loan", first.id)})
    assert body["data"]["r"]["__typename"] not in ("Repayment", None), body

    same_branch = await client_for("loan_officer", "B01")
    other_branch = await client_for("loan_officer", "B77")
    assert await _node(same_branch, reversal["id"]) == {
        "__typename": "Repayment",
        "id": reversal["id"],
    }
    assert await _node(other_branch, reversal["id"]) is None  # out of scope: as missing

    # a loan's repayments are a connection: two pages of two, in the order posted
    page = """query($id: ID!, $after: String) { loan(id: $id) {
      repayments(first: 2, after: $after) { totalCount
        edges { node { amount } } pageInfo { hasNextPage endCursor } } } }"""
    loan = gid("Loan", loan_id)
    one = (await gql(same_branch, page, {"id": loan}))["data"]["loan"]["repayments"]
    assert [e["node"]["amount"] for e in one["edges"]] == ["100.00", "100.00"]
    assert one["totalCount"] == 3 and one["pageInfo"]["hasNextPage"]
    two = await gql(same_branch, page, {"id": loan, "after": one["pageInfo"]["endCursor"]})
    rest = two["data"]["loan"]["repayments"]
    assert [e["node"]["amount"] for e in rest["edges"]] == ["-100.00"]
    assert not rest["pageInfo"]["hasNextPage"]


async def test_four_eyes_requests_paged_by_state_and_decided_by_global_id(
    db: object, client_for: Any
) -> None:
    app = await book_loan(await seed_firm(branch="B01"))
    loan_id: int = app.loan_id  # type: ignore[attr-defined]
    requester = principal("credit_committee", name="asker", branch="B01")
    request = await four_eyes_requests.request_write_off(loan_id, requester, "uncollectable")

    second = await client_for("credit_committee", "B01")
    listing = """query($f: FourEyesRequestFilter) { fourEyesRequests(filter: $f) {
      totalCount edges { node { id operation operationLabel status statusLabel
      loan { loanRef } } } } }"""
    body = await gql(second, listing, {}, **ZH)
    edges = body["data"]["fourEyesRequests"]["edges"]
    assert [e["node"]["id"] for e in edges] == [gid("FourEyesRequest", request.id)]
    node = edges[0]["node"]
    assert (node["operation"], node["operationLabel"]) == ("WRITE_OFF", "贷款核销")
    assert (node["status"], node["statusLabel"]) == ("PENDING", "待复核")
    assert node["loan"]["loanRef"]
    assert await _node(await client_for("loan_officer", "B77"), node["id"]) is None

    decide = """mutation($id: ID!) { r: approveFourEyesRequest(requestId: $id) {
      __typename ... on FourEyesRequest { status } ... on BusinessError { code } } }"""
    body = await gql(second, decide, {"id": node["id"]})
    assert body["data"]["r"] == {"__typename": "FourEyesRequest", "status": "APPROVED"}, body
    pending = await gql(second, listing, {})
    assert pending["data"]["fourEyesRequests"]["totalCount"] == 0  # default: the pending
    decided = await gql(second, listing, {"f": {"status": "APPROVED"}})
    assert decided["data"]["fourEyesRequests"]["totalCount"] == 1
    any_state = await gql(second, listing, {"f": {"status": None}})
    assert any_state["data"]["fourEyesRequests"]["totalCount"] == 1


async def test_labels_follow_the_callers_language(db: object, client_for: Any) -> None:
    product = await seed_product()
    app = await book_loan(await seed_firm(branch="B01"))
    officer = await client_for("loan_officer", "B01")
    query = """query($a: ID!, $p: ID!) {
      application(id: $a) { status statusLabel repaymentMethod repaymentMethodLabel
        transitions(first: 1) { edges { node { action actionLabel toStatusLabel } } }
        loan { status statusLabel classification classificationLabel } }
      product: node(id: $p) { ... on Product { code methods methodLabels } } }"""
    variables = {"a": gid("LoanApplication", app.id), "p": gid("Product", product.id)}
    zh = (await gql(officer, query, variables, **ZH))["data"]
    en = (await gql(officer, query, variables))["data"]
    assert (zh["application"]["status"], zh["application"]["statusLabel"]) == ("ACTIVE", "正常还款")
    assert en["application"]["statusLabel"] == "Active"
    assert zh["application"]["repaymentMethodLabel"] == "等额本金"
    assert en["application"]["repaymentMethodLabel"] == "Equal principal"
    step = zh["application"]["transitions"]["edges"][0]["node"]
    assert step == {
        "action": "SUBMIT_APPLICATION",
        "actionLabel": "提交申请",
        "toStatusLabel": "已提交",
    }
    loan = zh["application"]["loan"]
    assert (loan["classification"], loan["classificationLabel"]) == ("NORMAL", "正常")
    assert en["application"]["loan"]["classificationLabel"] == "Normal"
    assert zh["product"]["code"] == "SME-WC"
    assert len(zh["product"]["methods"]) == len(zh["product"]["methodLabels"]) == 3
    assert "等额本息" in zh["product"]["methodLabels"]


async def test_required_approvals_in_words_in_both_languages(db: object, client_for: Any) -> None:
    await seed_product()
    firm = await seed_firm(branch="B01")
    officer = principal("loan_officer", name="maker", branch="B01")
    app = await applications.create_application(
        officer,
        firm_id=firm.id,
        product_code="SME-WC",
        amount=Decimal("120000.00"),
        term_months=12,
        annual_rate=Decimal("0.12"),
        repayment_method="equal_principal",
    )
    await applications.submit(app.id, officer)
    approver = await client_for("approver", "B01")
    query = """query($id: ID!) { application(id: $id) {
      requiredApprovals { rule ruleLabel count text } } }"""
    variables = {"id": gid("LoanApplication", app.id)}
    # not under review yet: nothing to say; then ungraded: the refusal, in words
    await applications.start_review(app.id, principal("risk_analyst", branch="B01"))
    zh = (await gql(approver, query, variables, **ZH))["data"]["application"]
    assert zh["requiredApprovals"][0]["rule"] == "GRADE_MISSING"
    assert "风险等级" in zh["requiredApprovals"][0]["text"]
    await grade_by_analyst(app.id)
    zh = (await gql(approver, query, variables, **ZH))["data"]["application"]
    en = (await gql(approver, query, variables))["data"]["application"]
    assert zh["requiredApprovals"] == [
        {
            "rule": "single",
            "ruleLabel": "单人审批",
            "count": 1,
            "text": "还需 1 个审批，由审批人或贷审会委员作出（授权规则：单人审批）",
        }
    ]
    assert en["requiredApprovals"][0]["text"] == (
        "1 more approval by an approver or credit committee member (authority rule single)"
    )
    assert en["requiredApprovals"][0]["ruleLabel"] == "Single approver"


def test_every_lending_enum_value_has_a_label_in_both_languages() -> None:
    """The lending catalogue: the same keys in zh-CN and en, a label for every enum member
    (a value without one would show its raw name to a person)."""
    import json
    from importlib import resources

    from smecredit.graphql.lending import enums

    data = json.loads(
        resources.files("smecredit.i18n").joinpath("catalogues/lending.json").read_text("utf-8")
    )
    assert set(data["zh-CN"]) == set(data["en"])
    kinds = {
        enums.ApplicationStatus: "applicationStatus",
        enums.ApplicationAction: "applicationAction",
        enums.LoanStatus: "loanStatus",
        enums.LoanClassification: "loanClass",
        enums.RepaymentMethodEnum: "repaymentMethod",
        enums.GuaranteeType: "guaranteeType",
        enums.InstalmentStatus: "instalmentStatus",
        enums.AllocationComponent: "allocationComponent",
        enums.CobRunStatus: "cobRunStatus",
        enums.FourEyesRequestStatus: "fourEyesRequestStatus",
        enums.FourEyesOperation: "fourEyesOperation",
        enums.OverrideKind: "overrideKind",
    }
    for kind, prefix in kinds.items():
        for member in kind:
            key = f"{prefix}.{member.name}"
            assert key in data["zh-CN"], key
            zh, en = data["zh-CN"][key], data["en"][key]
            assert zh != en and any("\u4e00" <= c <= "\u9fff" for c in zh), key
