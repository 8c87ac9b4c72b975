"""The dashboard per role in a real Chromium: the book's figures and charts, and the panel
each role's permissions choose (an officer's pipeline, an approver's queue, risk's open
warnings).

The users are this module's own (made with ``smecredit users create``; the approver and the
risk analyst enrol an authenticator through the API and sign in with TOTP). The officer
drafts and submits one application of its own through the API, so its pipeline and the
approver's queue have something in them; nothing else in the shared book is changed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from browser_flows import User, create_user, session, sign_in_user
from browser_support import Page, Platform

pytestmark = pytest.mark.slow

PASSWORD = "Dashboard#Pass-2468"
BRANCH = "HZ01"
OFFICER = "dash.officer"
APPROVER = "dash.approver"
RISK = "dash.risk"


def _application(platform: Platform) -> tuple[str, int]:
    """Draft applications as the module's officer until one submits: its status, how many.

    A submission needs the firm's bureau consent (granted here: a new consent row) and
    recent evidence (some seeded firms have it): firms are tried in turn.
    """
    api = session(platform, OFFICER)
    firms = api.call("{ firms(first: 20) { edges { node { id uscc } } } }")["firms"]["edges"]
    products = api.call("{ products { code amountMin termMonthsMin rateMin methods } }")
    product = products["products"][0]
    for count, edge in enumerate(firms, start=1):
        firm = edge["node"]
        api.call(
            'mutation($u: String!) { grantConsent(uscc: $u, scope: "bureau", '
            'evidenceRef: "dashboard test") { __typename } }',
            u=firm["uscc"],
        )
        made = api.call(
            "mutation($i: CreateApplicationInput!) { createApplication(input: $i) "
            "{ __typename ... on LoanApplication { id version } ... on BusinessError "
            "{ code message } } }",
            i={
                "firmId": firm["id"],
                "productCode": product["code"],
                "amount": product["amountMin"],
                "termMonths": product["termMonthsMin"],
                "annualRate": product["rateMin"],
                "repaymentMethod": product["methods"][0],
                "purpose": "dashboard test",
            },
        )["createApplication"]
        assert made["__typename"] == "LoanApplication", made
        sent = api.call(
            "mutation($id: ID!, $v: Int) { submitApplication(id: $id, expectedVersion: $v) "
            "{ __typename ... on LoanApplication { status } } }",
            id=made["id"],
            v=made["version"],
        )["submitApplication"]
        if sent["__typename"] == "LoanApplication":
            return str(sent["status"]), count
        # left a draft: the pipeline counts it too
    return "DRAFT", len(firms)


@dataclass
class Users:
    """The module's users, and what the officer's application came to."""

    officer: User
    approver: User
    risk: User
    submitted: str
    made: int


@pytest.fixture(scope="module")
def users(platform: Platform) -> Users:
    """The module's users (the approver and the risk analyst with an authenticator)."""

    def make(name: str, role: str, branch: str, totp: bool = False) -> User:
        return create_user(platform, name, role, branch, password=PASSWORD, totp=totp)

    officer = make(OFFICER, "loan_officer", BRANCH)
    approver = make(APPROVER, "approver", BRANCH, totp=True)
    risk = make(RISK, "risk_analyst", "HQ", totp=True)
    status, made = _application(platform)
    return Users(officer, approver, risk, status, made)


def _sign_in(web: Page, user: User) -> None:
    sign_in_user(web, user)
    web.wait_for_dashboard()


def _book_renders(web: Page) -> None:
    page = web.page
    page.locator("[data-testid=trend-chart] canvas").wait_for(timeout=15_000)
    page.get_by_test_id("kpi-balance").get_by_text("元").wait_for()
    assert page.get_by_test_id("kpi-npl").inner_text().strip().endswith("%")
    assert page.get_by_test_id("dpd-table").locator("tbody tr").count() == 5
    assert page.get_by_test_id("warning-levels").locator("li").count() == 4


def test_officer_sees_its_pipeline(web: Page, users: Users) -> None:
    _sign_in(web, users.officer)
    _book_renders(web)
    panel = web.page.get_by_test_id("panel-pipeline")
    panel.get_by_text(f"共 {users.made} 笔申请").wait_for()
    assert web.page.get_by_test_id("panel-approvals").count() == 0
    assert web.page.get_by_test_id("panel-warnings").count() == 0
    web.shoot("dashboard-officer")  # phone and desktop: no sideways scroll
    web.axe()
    # at phone size the charts still draw, within the page's width
    web.page.set_viewport_size({"width": 390, "height": 844})
    web.page.wait_for_timeout(300)
    box = web.page.locator("[data-testid=trend-chart] canvas").bounding_box()
    assert box is not None and 0 < box["width"] <= 390, box


def test_approver_sees_its_queue(web: Page, users: Users) -> None:
    _sign_in(web, users.approver)
    _book_renders(web)
    panel = web.page.get_by_test_id("panel-approvals")
    panel.wait_for()
    assert users.submitted == "SUBMITTED", users
    # Other modules' applications of the branch may wait too: at least the officer's.
    panel.get_by_text(re.compile(r"[1-9]\d* 笔待您审批")).wait_for()
    panel.locator("li a").first.wait_for()  # the officer's application, linked
    assert web.page.get_by_test_id("panel-pipeline").count() == 0
    web.shoot("dashboard-approver")
    web.axe()


def test_risk_sees_open_warnings(web: Page, users: Users) -> None:
    _sign_in(web, users.risk)
    _book_renders(web)
    panel = web.page.get_by_test_id("panel-warnings")
    panel.get_by_text("条未处理").wait_for()
    assert panel.locator("li").count() > 0  # the seeded book has open warnings
    assert web.page.get_by_test_id("panel-pipeline").count() == 0
    web.shoot("dashboard-risk")
    web.axe()
