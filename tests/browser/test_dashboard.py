"""The dashboard per role in a real Chromium: the book's figures and charts, and the panel
each role's permissions choose (an officer's pipeline, an approver's queue, risk's open
warnings).

The users are this module's own (made with ``smecredit users create``; the approver and the
risk analyst enrol an authenticator through the API and sign in with TOTP). The officer
drafts and submits one application of its own through the API, so its pipeline and the
approver's queue have something in them; nothing else in the shared book is changed.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pyotp
import pytest
from browser_support import Page, Platform, _enrol

pytestmark = pytest.mark.slow

PASSWORD = "Dashboard#Pass-2468"
BRANCH = "HZ01"
OFFICER = "dash.officer"
APPROVER = "dash.approver"
RISK = "dash.risk"


class Api:
    """A signed-in GraphQL client for setting up data."""

    def __init__(self, url: str, username: str) -> None:
        self.client = httpx.Client(base_url=url, timeout=30)
        self.call(
            "mutation($u: String!, $p: String!) { signIn(username: $u, password: $p) "
            "{ __typename } }",
            u=username,
            p=PASSWORD,
        )

    def call(self, query: str, **variables: Any) -> dict[str, Any]:
        answer = self.client.post("/graphql", json={"query": query, "variables": variables})
        body = answer.json()
        assert "errors" not in body, body
        return body["data"]  # type: ignore[no-any-return]

    def close(self) -> None:
        self.client.close()


def _application(url: str) -> tuple[str, int]:
    """Draft applications as the module's officer until one submits: its status, how many.

    A submission needs the firm's bureau consent (granted here: a new consent row) and
    recent evidence (some seeded firms have it): firms are tried in turn.
    """
    api = Api(url, OFFICER)
    try:
        firms = api.call("{ firms(first: 20) { edges { node { id uscc } } } }")["firms"]["edges"]
        product = api.call("{ products { code amountMin termMonthsMin rateMin methods } }")[
            "products"
        ][0]
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
    finally:
        api.close()


@pytest.fixture(scope="module")
def users(platform: Platform) -> Iterator[dict[str, str]]:
    """The module's users; the TOTP secrets of those who need a second factor."""
    for name, role in ((OFFICER, "loan_officer"), (APPROVER, "approver"), (RISK, "risk_analyst")):
        platform.smecredit(
            "users", "create", name, "--role", role, "--branch", BRANCH if role != "risk_analyst"
            else "HQ", "--display-name", name, "--password-stdin", stdin=PASSWORD + "\n",
        )  # fmt: skip
    secrets = {name: _enrol(platform.url, name, PASSWORD)[0] for name in (APPROVER, RISK)}
    status, made = _application(platform.url)
    secrets["submitted"], secrets["made"] = status, str(made)
    yield secrets


def _sign_in(web: Page, username: str, secret: str | None = None) -> None:
    web.goto("/signin")
    web.sign_in(username, PASSWORD)
    if secret:
        web.page.locator("#mfa_code").wait_for()
        # Newer than the enrolment's code (each code is accepted once only).
        web.page.locator("#mfa_code").fill(pyotp.TOTP(secret).at(time.time() + 30))
        web.page.locator("form#mfa button[type=submit]").click()
    web.wait_for_dashboard()


def _book_renders(web: Page) -> None:
    page = web.page
    page.locator("[data-testid=trend-chart] canvas").wait_for(timeout=15_000)
    page.get_by_test_id("kpi-balance").get_by_text("元").wait_for()
    assert page.get_by_test_id("kpi-npl").inner_text().strip().endswith("%")
    assert page.get_by_test_id("dpd-table").locator("tbody tr").count() == 5
    assert page.get_by_test_id("warning-levels").locator("li").count() == 4


def test_officer_sees_its_pipeline(web: Page, users: dict[str, str]) -> None:
    _sign_in(web, OFFICER)
    _book_renders(web)
    panel = web.page.get_by_test_id("panel-pipeline")
    panel.get_by_text(f"共 {users['made']} 笔申请").wait_for()
    assert web.page.get_by_test_id("panel-approvals").count() == 0
    assert web.page.get_by_test_id("panel-warnings").count() == 0
    web.shoot("dashboard-officer")  # phone and desktop: no sideways scroll
    web.axe()
    # at phone size the charts still draw, within the page's width
    web.page.set_viewport_size({"width": 390, "height": 844})
    web.page.wait_for_timeout(300)
    box = web.page.locator("[data-testid=trend-chart] canvas").bounding_box()
    assert box is not None and 0 < box["width"] <= 390, box


def test_approver_sees_its_queue(web: Page, users: dict[str, str]) -> None:
    _sign_in(web, APPROVER, users[APPROVER])
    _book_renders(web)
    panel = web.page.get_by_test_id("panel-approvals")
    panel.wait_for()
    assert users["submitted"] == "SUBMITTED", users
    panel.get_by_text("1 笔待您审批").wait_for()
    panel.locator("li a").first.wait_for()  # the officer's application, linked
    assert web.page.get_by_test_id("panel-pipeline").count() == 0
    web.shoot("dashboard-approver")
    web.axe()


def test_risk_sees_open_warnings(web: Page, users: dict[str, str]) -> None:
    _sign_in(web, RISK, users[RISK])
    _book_renders(web)
    panel = web.page.get_by_test_id("panel-warnings")
    panel.get_by_text("条未处理").wait_for()
    assert panel.locator("li").count() > 0  # the seeded book has open warnings
    assert web.page.get_by_test_id("panel-pipeline").count() == 0
    web.shoot("dashboard-risk")
    web.axe()
