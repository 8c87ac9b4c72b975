"""Journey 5 in a real Chromium: an officer drafts and submits an application, an approver
(made through the CLI, signed in with a fresh TOTP code) takes it from the queue, reviews
and approves it with an override reason; a rejection with a reason; a stale version
offers a reload. The maker-checker steps that set a scene run through the API (flows)."""

from __future__ import annotations

import re

import pytest
from browser_flows import (
    RESERVED_FIRM,
    create_application,
    create_approver,
    firm_id,
    session,
    sign_in_with_totp,
    start_review,
    submit_application,
)
from browser_support import Page, Platform

pytestmark = pytest.mark.slow


def _detail(web: Page, application_id: str) -> None:
    web.goto(f"/applications/{application_id}")
    web.page.get_by_test_id("decision-panel").wait_for()


def _act(web: Page, mutation: str, reason: str | None = None) -> None:
    """Click an action's button and confirm its dialog (with a reason when given)."""
    page = web.page
    page.locator(f"[data-testid=actions] [data-action={mutation}]").click()
    dialog = page.get_by_role("dialog")
    dialog.wait_for()
    if reason is not None:
        dialog.locator("#action-reason").fill(reason)
    dialog.get_by_test_id("dialog-confirm").click()


def _status(web: Page, status: str) -> None:
    web.page.locator(f".apps-status[data-status={status}]").first.wait_for(timeout=15_000)


def test_officer_creates_and_submits_an_application(web: Page, platform: Platform) -> None:
    page = web.page
    firm = firm_id(platform)  # the reserved firm, its bureau consent granted
    web.sign_in("officer.hz")
    web.wait_for_dashboard()
    web.goto(f"/applications/new?firm={firm}")
    page.get_by_test_id("page-title").wait_for()
    page.locator("#new-application").get_by_text(RESERVED_FIRM).wait_for()
    page.locator("#app-product").click()
    page.locator(".ant-select-item-option", has_text="税易贷").click()
    # terms outside the product are refused before the server sees them
    page.locator("#app-amount").fill("600000")
    page.locator("#app-term").fill("12")
    page.locator("#app-rate").fill("7.8")
    page.get_by_text("不能高于 500,000.00 元").wait_for()
    web.shoot("application-new")
    web.axe()
    page.locator("#app-amount").fill("120000.00")
    page.locator("#app-purpose").fill("采购原材料")
    page.get_by_test_id("create-application").click()
    page.wait_for_url(re.compile(r"/applications/[^/n][^/]+$"))
    page.get_by_test_id("checklist").wait_for()
    assert page.locator("[data-testid=checklist] [data-passed=false]").count() == 0
    _act(web, "submitApplication")
    _status(web, "SUBMITTED")
    page.locator("[data-testid=policy-checks]").wait_for()
    assert page.get_by_test_id("suggested-limit").inner_text().endswith("元")
    page.get_by_test_id("history").get_by_text("officer.hz").first.wait_for()

    # a firm outside the officer's branches: the server refuses, what was typed stays
    foreign = session(platform, "admin").call(
        '{ firms(first: 1, filter: {branchCode: "SH01"}) { edges { node { id } } } }'
    )["firms"]["edges"][0]["node"]["id"]
    web.goto(f"/applications/new?firm={foreign}")
    page.locator("#app-product").click()
    page.locator(".ant-select-item-option", has_text="税易贷").click()
    page.locator("#app-amount").fill("130000")
    page.locator("#app-term").fill("6")
    page.locator("#app-rate").fill("9")
    page.get_by_test_id("create-application").click()
    page.get_by_test_id("refusal").wait_for()
    assert page.locator("#app-amount").input_value() == "130000"
    assert "/applications/new" in page.url

    web.goto("/applications")
    page.get_by_test_id("applications-table").wait_for()
    page.get_by_test_id("applications-table").get_by_text(RESERVED_FIRM).first.wait_for()
    web.shoot("applications-mine")
    web.axe()


def test_approver_reviews_approves_rejects_and_sees_a_stale_version(
    web: Page, platform: Platform
) -> None:
    page = web.page
    approver = create_approver(platform)
    approving = submit_application(platform, create_application(platform))
    rejecting = start_review(
        platform, approver, submit_application(platform, create_application(platform))
    )
    stale = submit_application(platform, create_application(platform, amount="150000.00"))
    sign_in_with_totp(web, approver)

    # the queue lists what waits for this approver
    web.goto("/approvals")
    rows = page.get_by_test_id("applications-table")
    rows.wait_for()
    assert rows.locator(f"tr[data-application='{approving.id}']").count() == 1
    web.shoot("approval-queue")
    web.axe()
    rows.locator(f"tr[data-application='{approving.id}'] a").click()
    page.get_by_test_id("decision-panel").wait_for()
    _act(web, "startReview")
    _status(web, "UNDER_REVIEW")
    # the grade's suggested limit is zero: approving needs an override reason
    page.locator("[data-testid=findings] [data-finding]").first.wait_for()
    page.locator("[data-testid=actions] [data-action=approveApplication]").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_test_id("override").wait_for()
    dialog.locator("#action-reason").fill("经营稳定，同意")
    dialog.get_by_test_id("dialog-confirm").click()
    dialog.get_by_text("请填写偏离建议的理由").wait_for()  # the client asks first
    dialog.locator("#action-override").fill("核实订单充足，同意超建议额度")
    dialog.get_by_test_id("dialog-confirm").click()
    page.get_by_test_id("approvals").get_by_text(approver.username).wait_for()
    page.get_by_test_id("overrides").wait_for()
    web.shoot("application-detail")
    web.axe()

    # a rejection needs a reason; it is kept in the history
    _detail(web, rejecting.id)
    _act(web, "rejectApplication", "")
    page.get_by_role("dialog").get_by_text("请填写理由").wait_for()
    page.get_by_role("dialog").locator("#action-reason").fill("经营风险较高，暂不支持")
    page.get_by_role("dialog").get_by_test_id("dialog-confirm").click()
    _status(web, "REJECTED")
    page.get_by_test_id("history").get_by_text("经营风险较高，暂不支持").wait_for()
    assert page.locator("[data-testid=actions] [data-action]").count() == 0

    # someone else changes the application meanwhile: the page offers to reload
    _detail(web, stale.id)
    start_review(platform, approver, stale)
    _act(web, "startReview")
    notice = page.get_by_test_id("stale-version")
    notice.wait_for()
    notice.get_by_role("button", name="重新加载").click()
    _status(web, "UNDER_REVIEW")
