"""The loans screens in a real Chromium: the list and its filters, a loan's detail, the
maker-checker path from an approved application to an active loan, a repayment posted
once however often the button is pressed, and its reversal."""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from browser_flows import (
    OFFICER,
    Api,
    Approver,
    User,
    approve_application,
    create_application,
    create_approver,
    create_user,
    session,
    sign_in_user,
    start_review,
    submit_application,
)
from browser_support import DESKTOP, PHONE, USERS, Page, Platform

pytestmark = pytest.mark.slow


@dataclass
class Crew:
    """Users of this module's own (the shared demo users' state belongs to other tests);
    the approver is the flows' one (``approver.apps``)."""

    approver: Approver
    committee: User
    disburser: User
    confirmer: User
    admin: User


@pytest.fixture(scope="module")
def crew(platform: Platform) -> Crew:
    suffix = uuid.uuid4().hex[:6]
    return Crew(
        approver=create_approver(platform),
        committee=create_user(platform, f"loans.comm.{suffix}", "credit_committee", "HQ"),
        disburser=create_user(platform, f"loans.disb.{suffix}", "loan_officer", "HZ01"),
        confirmer=create_user(platform, f"loans.conf.{suffix}", "loan_officer", "HZ01"),
        admin=create_user(platform, f"loans.admin.{suffix}", "admin", "HQ"),
    )


def _approved_application(platform: Platform, crew: Crew) -> str:
    """An application of officer.hz's, approved by an approver and this module's committee
    member (through the API: the flows' maker-checker path)."""
    app = submit_application(platform, create_application(platform, maker=OFFICER))
    app = start_review(platform, crew.approver, app)
    approved = approve_application(platform, crew.approver, app, committee=crew.committee.username)
    assert approved.status == "APPROVED", approved
    return approved.id


def _officer() -> User:
    """The demo loan officer (its password as seeded)."""
    return User(OFFICER, USERS[OFFICER]["password"])


def _table(web: Page, test_id: str) -> Any:
    """The desktop table of a DataTable (its phone cards repeat each row's controls)."""
    return web.page.get_by_test_id(test_id).locator("table")


def _rows(web: Page, test_id: str) -> Any:
    return web.page.get_by_test_id(test_id).locator("tbody tr")


def test_loan_list_filters_load_more_and_a_seeded_loan(web: Page) -> None:
    sign_in_user(web, _officer())
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
    sign_in_user(web, crew.disburser)
    web.goto("/loans/disbursements")
    _table(web, "awaiting-disbursement").get_by_test_id(f"disburse-{app_id}").click()
    web.page.get_by_test_id("step-submit").click()
    waiting = web.page.get_by_test_id("awaiting-confirmation").locator(f"tr[data-row='{app_id}']")
    waiting.wait_for()
    assert "另一位人员" in waiting.inner_text()  # the disburser may not confirm
    web.shoot("disbursements")
    web.axe()

    # A second person confirms the funds arrived: the loan is active with its schedule.
    sign_in_user(web, crew.confirmer)
    web.goto("/loans/disbursements")
    _table(web, "awaiting-confirmation").get_by_test_id(f"confirm-{app_id}").click()
    web.page.get_by_test_id("step-submit").click()
    waiting.wait_for(state="detached")
    checker: Api = session(platform, crew.confirmer.username)
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

    # An administrator reverses it, with a reason.
    sign_in_user(web, crew.admin)
    web.goto(f"/loans/{loan_id}")
    _table(web, "loan-repayments").get_by_test_id("reverse-repayment").click()
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
    sign_in_user(web, crew.committee)
    web.goto(f"/loans/{loan_id}")
    web.page.get_by_test_id("open-override").click()
    dialog = web.page.get_by_role("dialog")
    dialog.locator(".ant-select").click()
    web.page.locator(".ant-select-item-option", has_text="关注").click()
    dialog.locator(".ant-select", has_text="关注").wait_for()  # chosen
    dialog.get_by_label("原因").fill("行业景气下行，审慎下调")
    web.page.get_by_test_id("override-submit").click()
    web.page.get_by_text("分类调整申请已提交").wait_for()
    requests = session(platform, crew.committee.username).call(
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
