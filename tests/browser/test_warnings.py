"""The warnings journeys in a real Chromium: the live list and its filters, one warning
worked through acknowledge, comment and resolve, a new warning arriving live (list and
bell), and a stale version refused with a reload offer.

A risk analyst of this module's own (created through the CLI, its authenticator enrolled
through the API) signs in with a TOTP code; the administrator (no second factor) changes
warnings through the API behind the browser's back.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from browser_flows import User, create_user, session, sign_in_user
from browser_support import Page, Platform

pytestmark = pytest.mark.slow

ANALYST = "risk.w14"
PASSWORD = "Warn!Spruce-2026hq"


class Api:
    """GraphQL calls as the administrator (a flows session) and the warnings it reads."""

    def __init__(self, platform: Platform) -> None:
        self.session = session(platform, "admin")

    def call(self, query: str, **variables: Any) -> dict[str, Any]:
        return self.session.call(query, **variables)

    def warning(self, gid: str) -> dict[str, Any]:
        return self.call(
            "query($id: ID!) { warning(id: $id) { id version status ruleCode firm { id } } }",
            id=gid,
        )["warning"]

    def open_warnings(self, rule: str | None = None) -> list[dict[str, Any]]:
        data = self.call(
            "query($f: WarningFilter) { warnings(first: 100, filter: $f) "
            "{ edges { node { id version ruleCode firm { id } } } } }",
            f={"status": "OPEN", **({"ruleCode": rule} if rule else {})},
        )
        return [e["node"] for e in data["warnings"]["edges"]]


@pytest.fixture(scope="module")
def analyst(platform: Platform) -> User:
    """This module's risk analyst (HQ), its authenticator enrolled."""
    return create_user(
        platform,
        ANALYST,
        "risk_analyst",
        "HQ",
        password=PASSWORD,
        display_name="预警测试分析师",
        totp=True,
    )


@pytest.fixture(scope="module")
def api(platform: Platform) -> Api:
    return Api(platform)


def _sign_in(web: Page, user: User) -> None:
    sign_in_user(web, user)
    web.wait_for_dashboard()


def _choose(web: Page, testid: str, option: str) -> None:
    web.page.get_by_test_id(testid).click()
    web.page.locator(".ant-select-item-option:visible", has_text=option).first.click()


def test_the_live_list_filters_and_a_new_warning_arrives_without_reload(
    web: Page, analyst: User, api: Api
) -> None:
    _sign_in(web, analyst)
    web.page.locator("[data-testid=nav] [data-nav=warnings]").click()
    web.page.wait_for_url(re.compile(r"/warnings$"))
    rows = web.page.get_by_test_id("warning-row")
    rows.first.wait_for()
    assert web.page.get_by_test_id("page-title").inner_text() == "预警"
    web.shoot("warnings-list")
    web.axe()

    # Keyset paging: the next page is added below.
    first_page = rows.count()
    web.page.get_by_test_id("warnings-more").click()
    web.page.wait_for_function(
        f"() => document.querySelectorAll('[data-testid=warning-row]').length > {first_page}"
    )

    # Filters go into the URL; the rows follow.
    web.page.get_by_test_id("filter-branch").fill("HZ01")
    web.page.get_by_test_id("filter-branch").press("Enter")
    web.page.wait_for_url(re.compile(r"branch=HZ01"))
    web.page.wait_for_function(
        "() => { const s = [...document.querySelectorAll('[data-testid=warning-row]')];"
        " return s.length > 0 && s.every(e => e.dataset.branch === 'HZ01'); }"
    )
    web.page.get_by_role("button", name="清除筛选").click()
    web.page.wait_for_url(re.compile(r"/warnings$"))
    _choose(web, "filter-status", "待处理")
    web.page.wait_for_url(re.compile(r"status=OPEN"))
    web.page.wait_for_function(
        "() => { const s = [...document.querySelectorAll("
        "'[data-testid=warning-row] [data-status]')];"
        " return s.length > 0 && s.every(e => e.dataset.status === 'OPEN'); }"
    )
    web.page.reload()  # the filter is in the URL: it survives a reload
    rows.first.wait_for()
    assert web.page.get_by_test_id("filter-status").inner_text().strip() == "待处理"

    # Behind the browser's back an open warning is dismissed and its firm scanned again:
    # the condition still holds, so the scan opens a new warning. The list shows it on
    # top without a reload, the dismissed one leaves the OPEN list, the bell counts it.
    target = api.open_warnings()[0]
    listed_before = set(rows.evaluate_all("els => els.map(e => e.dataset.id)"))
    api.call(
        'mutation($id: ID!, $v: Int) { dismissWarning(id: $id, reason: "test: false alarm", '
        "expectedVersion: $v) { __typename } }",
        id=target["id"],
        v=target["version"],
    )
    started = api.call(
        "mutation($f: [ID!]) { runWarningScan(firmIds: $f) { __typename } }",
        f=[target["firm"]["id"]],
    )
    assert started["runWarningScan"]["__typename"] == "WarningScanRun", started
    fresh = web.page.locator("[data-testid=warning-row].live-new")
    fresh.first.wait_for(timeout=30_000)
    new_id = fresh.first.get_attribute("data-id")
    assert new_id and new_id not in listed_before
    assert rows.first.get_attribute("data-id") == new_id  # on top
    web.page.locator(f"[data-testid=warning-row][data-id='{target['id']}']").wait_for(
        state="detached"
    )
    assert web.page.get_by_test_id("warnings-arrived").inner_text().strip() != ""
    count = web.page.get_by_test_id("bell-count")
    count.wait_for()
    assert int(count.inner_text()) >= 1
    web.page.get_by_test_id("warning-bell").click()
    item = web.page.get_by_test_id("bell-item").first
    item.wait_for()
    web.axe()
    item.click()
    web.page.wait_for_url(re.compile(r"/warnings/[^/]+$"))
    web.page.get_by_test_id("warning-summary").wait_for()
    assert web.page.get_by_test_id("bell-count").count() == 0  # seen


def test_work_a_warning_through_acknowledge_comment_and_resolve(
    web: Page, analyst: User, api: Api
) -> None:
    target = api.open_warnings()[-1]
    _sign_in(web, analyst)
    web.goto(f"/warnings/{target['id']}")
    status = web.page.get_by_test_id("warning-status").first
    status.wait_for()
    assert status.get_attribute("data-status") == "OPEN"
    web.page.get_by_test_id("evidence-table").or_(
        web.page.get_by_test_id("evidence-empty")
    ).wait_for()
    web.shoot("warning-detail")
    web.axe()

    web.page.get_by_test_id("action-acknowledge").click()
    web.page.locator("[data-testid=warning-status][data-status=ACKNOWLEDGED]").wait_for()

    web.page.get_by_test_id("action-comment").click()
    dialog = web.page.get_by_role("dialog")
    dialog.get_by_test_id("dialog-text").fill("已致电企业负责人核实")
    web.axe()
    dialog.get_by_test_id("dialog-submit").click()
    web.page.get_by_test_id("comments").get_by_text("已致电企业负责人核实").wait_for()

    # The analyst may not list users: the assignee is typed by name.
    web.page.get_by_test_id("action-assign").click()
    dialog = web.page.get_by_role("dialog")
    dialog.get_by_role("combobox").fill("officer.hz")
    dialog.get_by_test_id("dialog-submit").click()
    web.page.get_by_test_id("warning-assignee").filter(has_text="officer.hz").wait_for()

    web.page.get_by_test_id("action-resolve").click()
    dialog = web.page.get_by_role("dialog")
    dialog.get_by_test_id("dialog-submit").click()  # a reason is required
    dialog.get_by_text("请说明如何处理了预警原因").wait_for()
    dialog.get_by_test_id("dialog-text").fill("企业已补缴欠款")
    dialog.get_by_test_id("dialog-submit").click()
    web.page.locator("[data-testid=warning-status][data-status=RESOLVED]").wait_for()
    assert web.page.get_by_test_id("action-resolve").count() == 0  # no longer offered
    history = web.page.get_by_test_id("history-table")
    for kind in ("OPENED", "ACKNOWLEDGED", "COMMENTED", "ASSIGNED", "RESOLVED"):
        assert history.locator(f"tr[data-kind={kind}]").count() >= 1, kind
    after = api.warning(target["id"])
    assert after["status"] == "RESOLVED"


def test_a_stale_version_offers_to_reload(web: Page, analyst: User, api: Api) -> None:
    target = api.open_warnings()[-1]
    _sign_in(web, analyst)
    web.goto(f"/warnings/{target['id']}")
    web.page.get_by_test_id("action-start").wait_for()
    # Someone else acknowledges it meanwhile: the version shown is stale.
    api.call("mutation($id: ID!) { acknowledgeWarning(id: $id) { __typename } }", id=target["id"])
    web.page.get_by_test_id("action-start").click()
    stale = web.page.get_by_test_id("stale-version")
    stale.wait_for()
    web.axe()
    stale.get_by_role("button").click()
    stale.wait_for(state="detached")
    web.page.locator("[data-testid=warning-status][data-status=ACKNOWLEDGED]").wait_for()
