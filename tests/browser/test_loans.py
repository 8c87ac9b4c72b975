"""The loans screens in a real Chromium: the list and its filters, a loan's detail, the
maker-checker path from an approved application to an active loan, a repayment posted
once however often the button is pressed, and its reversal."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pyotp
import pytest
from browser_support import DESKTOP, PHONE, USERS, Page, Platform, _enrol

pytestmark = pytest.mark.slow

PASSWORD = "Loans!Quince-2026hz"
#: The seeded HZ01 firm the applications and loans browser tests apply for (reserved by
#: tests/browser_flows.py of the applications screens, whose helpers these steps mirror).
RESERVED_FIRM = "杭州凌云商贸有限公司"


class Api:
    """A signed-in GraphQL session over httpx (the application steps, checks)."""

    def __init__(self, url: str, username: str, password: str, secret: str | None = None) -> None:
        self.client = httpx.Client(base_url=url, timeout=30)
        signed = self.call(
            "mutation($u: String!, $p: String!) { signIn(username: $u, password: $p) "
            "{ __typename ... on SignInPayload { mfaRequired } } }",
            u=username,
            p=password,
        )["signIn"]
        assert signed["__typename"] == "SignInPayload", signed
        if secret is not None:
            verified = self.call(
                "mutation($c: String!) { verifyTotp(code: $c) { __typename "
                "... on BusinessError { code message } } }",
                c=pyotp.TOTP(secret).now(),
            )["verifyTotp"]
            assert verified["__typename"] == "User", verified

    def call(self, query: str, **variables: Any) -> dict[str, Any]:
        answer = self.client.post("/graphql", json={"query": query, "variables": variables}).json()
        assert "errors" not in answer, answer
        return answer["data"]  # type: ignore[no-any-return]

    def close(self) -> None:
        self.client.close()


@dataclass
class Crew:
    """Users of this module's own (the shared demo users' state belongs to other tests)."""

    approver: Api
    committee: Api
    committee_name: str
    disburser: str
    confirmer: str
    admin: str


@pytest.fixture(scope="module")
def crew(platform: Platform) -> Iterator[Crew]:
    suffix = uuid.uuid4().hex[:6]
    names = {
        "approver": (f"loans.appr.{suffix}", "approver", "HZ01"),
        "committee": (f"loans.comm.{suffix}", "credit_committee", "HQ"),
        "disburser": (f"loans.disb.{suffix}", "loan_officer", "HZ01"),
        "confirmer": (f"loans.conf.{suffix}", "loan_officer", "HZ01"),
        "admin": (f"loans.admin.{suffix}", "admin", "HQ"),
    }
    for username, role, branch in names.values():
        platform.smecredit(
            "users",
            "create",
            username,
            "--role",
            role,
            "--branch",
            branch,
            "--password-stdin",
            stdin=PASSWORD + "\n",
        )
    approver_name = names["approver"][0]
    secret, _ = _enrol(platform.url, approver_name, PASSWORD)
    # One TOTP sign-in for the module: each code is accepted once only.
    approver = Api(platform.url, approver_name, PASSWORD, secret)
    committee = Api(platform.url, names["committee"][0], PASSWORD)
    try:
        yield Crew(
            approver=approver,
            committee=committee,
            committee_name=names["committee"][0],
            disburser=names["disburser"][0],
            confirmer=names["confirmer"][0],
            admin=names["admin"][0],
        )
    finally:
        approver.close()
        committee.close()


RESULT = (
    "__typename ... on LoanApplication { id status version loan { id } } "
    "... on BusinessError { code message }"
)


def _step(
    api: Api, mutation: str, app_id: str, extra: str = "", **variables: Any
) -> dict[str, Any]:
    decl = "".join(f", ${k}: String" for k in variables)
    args = "".join(f", {k}: ${k}" for k in variables)
    answer = api.call(
        f"mutation($id: ID!{decl}) {{ r: {mutation}(id: $id{args}) {{ {RESULT} }} }}",
        id=app_id,
        **variables,
    )["r"]
    assert answer["__typename"] == "LoanApplication", (mutation, answer)
    return answer  # type: ignore[no-any-return]


def _approved_application(platform: Platform, crew: Crew) -> str:
    """An application of officer.hz's, approved by an approver and a committee member
    (through the API, as the applications screens' flows will)."""
    officer = Api(platform.url, "officer.hz", USERS["officer.hz"]["password"])
    create = (
        "mutation($i: CreateApplicationInput!) { r: createApplication(input: $i) { "
        + RESULT
        + " } }"
    )
    try:
        firm = officer.call(
            "query($n: String!) { firms(first: 5, filter: {nameContains: $n}) "
            "{ edges { node { id uscc } } } }",
            n=RESERVED_FIRM,
        )["firms"]["edges"][0]["node"]
        # Its consent to bureau queries makes the application complete (idempotent).
        granted = officer.call(
            'mutation($u: String!) { r: grantConsent(uscc: $u, scope: "bureau", '
            'evidenceRef: "browser-tests") { __typename ... on BusinessError { code } } }',
            u=firm["uscc"],
        )["r"]
        assert granted["__typename"] == "Consent", granted
        created = officer.call(
            create,
            i={
                "firmId": firm["id"],
                "productCode": "WC-EI",
                "amount": "100000.00",
                "termMonths": 12,
                "annualRate": "0.08",
                "repaymentMethod": "EQUAL_INSTALMENT",
                "purpose": "备货周转",
            },
        )["r"]
        assert created["__typename"] == "LoanApplication", created
        app_id: str = created["id"]
        _step(officer, "submitApplication", app_id)
    finally:
        officer.close()
    _step(crew.approver, "startReview", app_id)
    # The firm's grade routes it to an approver and a committee member; approving against
    # the recommendation (limit, price band) needs a reason.
    why = "老客户，经营稳定"
    _step(crew.approver, "approveApplication", app_id, overrideReason=why)
    approved = _step(crew.committee, "approveApplication", app_id, overrideReason=why)
    assert approved["status"] == "APPROVED", approved
    return app_id


def _sign_in_as(web: Page, username: str, password: str = PASSWORD) -> None:
    """A fresh session: the previous user's cookie goes first."""
    web.page.context.clear_cookies()
    web.goto("/signin")
    web.sign_in(username, password)
    web.page.get_by_test_id("page-title").wait_for()


def _rows(web: Page, test_id: str) -> Any:
    return web.page.get_by_test_id(test_id).locator("tbody tr")


def test_loan_list_filters_load_more_and_a_seeded_loan(web: Page) -> None:
    _sign_in_as(web, "officer.hz", USERS["officer.hz"]["password"])
    web.goto("/loans")
    rows = _rows(web, "loans-table")
    rows.first.wait_for()
    total = int(re.sub(r"\D", "", web.page.get_by_test_id("loans-total").inner_text()))
    assert rows.count() == min(total, 20)
    if total > 20:  # keyset: the next page comes after the last cursor
        web.page.get_by_test_id("loans-more").click()
        web.page.wait_for_function(
            "n => document.querySelectorAll('[data-testid=loans-table] tbody tr').length === n",
            arg=min(total, 40),
        )
    web.shoot("loans-list")
    web.axe()

    # A Chinese product name, typed into the filter, lands in the URL and on the API.
    web.page.get_by_label("产品").fill("小微信用快贷")
    web.page.get_by_test_id("filter-apply").click()
    web.page.wait_for_url(re.compile(r"product=%E5%B0%8F"))
    web.page.wait_for_function(
        "() => { const rows = [...document.querySelectorAll("
        "'[data-testid=loans-table] tbody tr')]; return rows.length > 0 && "
        "rows.every(r => r.children[2].textContent === '小微信用快贷'); }"
    )
    assert rows.count() >= 1

    # Filters in the URL: a link shows the same list (loss loans, 90+ days past due).
    web.goto("/loans?classification=LOSS&minDpd=90")
    rows.first.wait_for()
    for row in rows.all():
        cells = row.locator("td")
        assert cells.nth(5).inner_text() == "损失"
        assert int(cells.nth(6).inner_text()) >= 90
    assert web.page.get_by_label("逾期天数（最少）").input_value() == "90"

    rows.first.locator("a").first.click()
    web.page.get_by_test_id("loan-basics").wait_for()
    assert web.page.get_by_test_id("page-title").inner_text().startswith("贷款 L")
    assert web.page.get_by_test_id("loan-history").locator("tbody tr").count() >= 1
    assert int(web.page.get_by_test_id("loan-dpd").inner_text()) >= 90


def test_maker_checker_disbursement_then_one_repayment_and_its_reversal(
    web: Page, platform: Platform, crew: Crew
) -> None:
    app_id = _approved_application(platform, crew)

    # The disburser issues the payment order: the maker may not.
    _sign_in_as(web, crew.disburser)
    web.goto("/loans/disbursements")
    web.page.get_by_test_id("awaiting-disbursement").get_by_test_id(f"disburse-{app_id}").click()
    web.page.get_by_test_id("step-submit").click()
    waiting = web.page.get_by_test_id("awaiting-confirmation").locator(f"tr[data-row='{app_id}']")
    waiting.wait_for()
    assert "另一位人员" in waiting.inner_text()  # the disburser may not confirm
    web.shoot("disbursements")
    web.axe()

    # A second person confirms the funds arrived: the loan is active with its schedule.
    _sign_in_as(web, crew.confirmer)
    web.goto("/loans/disbursements")
    web.page.get_by_test_id("awaiting-confirmation").get_by_test_id(f"confirm-{app_id}").click()
    web.page.get_by_test_id("step-submit").click()
    waiting.wait_for(state="detached")
    checker = Api(platform.url, crew.confirmer, PASSWORD)
    try:
        app = checker.call(
            "query($id: ID!) { application(id: $id) { status loan { id } } }", id=app_id
        )["application"]
        assert app["status"] == "ACTIVE", app
        loan_id = app["loan"]["id"]

        web.goto(f"/loans/{loan_id}")
        schedule = _rows(web, "loan-schedule")
        schedule.first.wait_for()
        assert schedule.count() == 12
        assert "元" in schedule.first.locator("td").nth(2).inner_text()

        # Post a repayment and press the button twice: one repayment is posted.
        web.page.get_by_test_id("open-repay").click()
        web.page.get_by_label("还款金额（元）").fill("1500.00")
        web.page.get_by_test_id("repay-submit").dblclick()
        web.page.get_by_test_id("repayment-count").filter(has_text="(1)").wait_for()
        time.sleep(0.5)  # a second post would have landed by now
        repayments = checker.call(
            "query($id: ID!) { loan(id: $id) { repayments { totalCount edges { node { "
            "amount idempotencyKey } } } } }",
            id=loan_id,
        )["loan"]["repayments"]
        assert repayments["totalCount"] == 1, repayments
        assert repayments["edges"][0]["node"]["amount"] == "1500.00"
        assert re.fullmatch(r"[0-9a-f-]{36}", repayments["edges"][0]["node"]["idempotencyKey"])
        assert "reverse-repayment" not in web.page.content()  # officers do not reverse
        web.shoot("loan-detail")
        web.axe()
        web.page.set_viewport_size(PHONE)  # the schedule scrolls in its box, by keyboard too
        web.axe()
        web.page.set_viewport_size(DESKTOP)
    finally:
        checker.close()

    # An administrator reverses it, with a reason.
    _sign_in_as(web, crew.admin)
    web.goto(f"/loans/{loan_id}")
    web.page.get_by_test_id("loan-repayments").get_by_test_id("reverse-repayment").click()
    web.page.get_by_test_id("reverse-submit").click()
    web.page.get_by_text("请填写原因").wait_for()  # a reason is required
    web.page.get_by_label("冲正原因").fill("金额录入错误")
    web.page.get_by_test_id("reverse-submit").click()
    web.page.get_by_test_id("repayment-count").filter(has_text="(2)").wait_for()
    kinds = _rows(web, "loan-repayments").evaluate_all(
        "rows => rows.map(r => r.children[2].textContent)"
    )
    assert kinds[1] == "冲正" and kinds[0].startswith("已冲正"), kinds
    assert web.page.get_by_test_id("reverse-repayment").count() == 0

    # A committee member asks for a class by hand (another person approves the request).
    _sign_in_as(web, crew.committee_name)
    web.goto(f"/loans/{loan_id}")
    web.page.get_by_test_id("open-override").click()
    dialog = web.page.get_by_role("dialog")
    dialog.locator(".ant-select").click()
    web.page.locator(".ant-select-item-option", has_text="关注").click()
    dialog.locator(".ant-select", has_text="关注").wait_for()  # chosen
    dialog.get_by_label("原因").fill("行业景气下行，审慎下调")
    web.page.get_by_test_id("override-submit").click()
    web.page.get_by_text("分类调整申请已提交").wait_for()
    requests = crew.committee.call(
        "query($l: ID!) { fourEyesRequests(filter: {loanId: $l, status: null}) "
        "{ edges { node { operation loanClass reason } } } }",
        l=loan_id,
    )["fourEyesRequests"]["edges"]
    assert [e["node"] for e in requests] == [
        {
            "operation": "OVERRIDE_CLASSIFICATION",
            "loanClass": "SPECIAL_MENTION",
            "reason": "行业景气下行，审慎下调",
        }
    ]
