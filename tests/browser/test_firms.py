"""Journeys 2 and 4 in a real Chromium: the header's firm search, the firm list and profile."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from browser_support import USERS, Page, Platform

pytestmark = pytest.mark.slow

FIRMS = (
    "{ firms(first: 100) { totalCount edges { node { id name uscc branchCode "
    "latestScore { grade } representative { name idNumber phone } "
    "financials { periodEnd } taxRecords(first: 1) { totalCount } } } } }"
)


def _api(platform: Platform, username: str, query: str) -> dict[str, Any]:
    """``query`` answered to ``username`` (signed in through the API, no second factor)."""
    with httpx.Client(base_url=platform.url, timeout=30) as c:
        signed = c.post(
            "/graphql",
            json={
                "query": "mutation($u: String!, $p: String!) { signIn(username: $u, "
                "password: $p) { __typename } }",
                "variables": {"u": username, "p": USERS[username]["password"]},
            },
        ).json()
        assert "errors" not in signed, signed
        answer = c.post("/graphql", json={"query": query}).json()
        c.post("/graphql", json={"query": "mutation { signOut { __typename } }"})
    assert answer.get("data"), answer
    return answer["data"]  # type: ignore[no-any-return]


def _firms(platform: Platform, username: str) -> list[dict[str, Any]]:
    return [e["node"] for e in _api(platform, username, FIRMS)["firms"]["edges"]]


def _pick(page: Any, typed: str, name: str) -> None:
    """Type into the header search and choose the firm called ``name``."""
    box = page.locator("#firm-search")
    box.click()
    box.fill(typed)
    option = page.locator(".ant-select-item-option", has_text=name).first
    option.wait_for(timeout=10_000)
    option.click()


def _signed_in(web: Page, username: str) -> None:
    web.goto("/signin")
    web.sign_in(username)
    web.wait_for_dashboard()


def test_officer_finds_a_firm_by_name_and_by_uscc_and_reads_its_evidence(
    web: Page, platform: Platform
) -> None:
    firms = _firms(platform, "officer.hz")
    firm = next(f for f in firms if f["financials"] and f["taxRecords"]["totalCount"])
    other = next(f for f in firms if f["id"] != firm["id"])
    _signed_in(web, "officer.hz")
    page = web.page
    search = page.get_by_label("搜索企业（名称或统一社会信用代码）")
    assert search.count() >= 1

    # By part of its name.
    _pick(page, firm["name"][2:6], firm["name"])
    page.wait_for_url(re.compile(r"/firms/[^/]+$"))
    # The profile's chunk loads after the address changes: wait for its title.
    page.get_by_test_id("page-title").filter(has_text=firm["name"]).wait_for()
    assert page.get_by_test_id("firm-uscc").inner_text() == firm["uscc"]
    page.locator("[data-testid=financials-chart] canvas").wait_for(timeout=15_000)
    page.get_by_test_id("financials-table").wait_for()
    web.shoot("firm-profile")
    web.axe()

    # Every evidence tab loads when opened; the two charts draw on a canvas.
    page.get_by_test_id("tab-tax").click()
    page.locator("[data-testid=tax-chart] canvas").wait_for(timeout=15_000)
    assert re.search(r"/firms/[^?]+\?tab=tax$", page.url)
    for tab, shown in (
        ("legal", "[data-testid=legal-table]"),
        ("registry", "[data-testid=registry-table]"),
        ("bureau", "[data-testid=bureau-table]"),
        ("scores", "[data-testid=scores-table]"),
        ("warnings", "[data-testid=warnings-table]"),
        ("loans", "[data-testid=loans-table]"),
        ("timeline", "[data-testid=timeline], [data-testid=timeline-empty]"),
    ):
        page.get_by_test_id(f"tab-{tab}").click()
        try:
            page.locator(shown).first.wait_for(timeout=15_000)
        except Exception:
            page.screenshot(path=f"/tmp/firms-tab-{tab}.png", full_page=True)
            raise
    web.axe()
    # Score reasons read in the user's language.
    page.get_by_test_id("tab-scores").click()
    reasons = page.locator("[data-testid=scores-table] table .firm-reasons li")
    if reasons.count():
        assert re.search(r"[\u4e00-\u9fff]", reasons.first.inner_text())

    # By the start of its unified social credit code (blanks ignored).
    _pick(page, f"{other['uscc'][:6]} {other['uscc'][6:10]}", other["name"])
    page.wait_for_url(f"**/firms/{quote(other['id'], safe='')}")
    page.get_by_test_id("page-title").filter(has_text=other["name"]).wait_for()


def test_firm_list_filter_is_kept_in_the_address_and_loads_more(
    web: Page, platform: Platform
) -> None:
    from playwright.sync_api import expect  # not at import: the module skips without it

    firms = _firms(platform, "admin")
    assert len(firms) > 20, "the shared book has more firms than one page"
    grades = [f["latestScore"]["grade"] for f in firms if f["latestScore"]]
    grade = max(set(grades), key=grades.count)
    _signed_in(web, "admin")
    page = web.page
    web.goto("/firms")
    table = page.get_by_test_id("firm-table")
    table.locator("table tbody tr").first.wait_for()
    assert table.locator("table tbody tr").count() == 20
    page.get_by_test_id("load-more").click()
    table.locator("table tbody tr").nth(20).wait_for()
    web.shoot("firms-list")
    web.axe()

    # A filter goes into the address and survives a reload.
    page.get_by_label("最新评级").click()
    page.locator(".ant-select-item-option", has_text=re.compile(f"^{grade}$")).click()
    page.get_by_test_id("filter-apply").click()
    page.wait_for_url(re.compile(f"[?&]grade={grade}"))
    page.reload()
    page.wait_for_url(re.compile(f"[?&]grade={grade}"))
    rows = table.locator("table tbody tr")
    rows.first.wait_for()
    expected = sum(1 for g in grades if g == grade)
    expect(rows).to_have_count(min(expected, 20))
    badges = table.locator("table tbody .firm-badge").all_inner_texts()
    assert badges and set(badges) == {grade}
    # The form shows the filter the address restored.
    assert grade in page.get_by_test_id("firm-filters").inner_text()
    web.axe()

    # A shared address with the warning level opens the list filtered by it.
    red = _api(platform, "admin", "{ firms(filter: {warningLevel: RED}) { totalCount } }")
    web.goto("/firms?warning=RED")
    footer = page.get_by_test_id("load-more-footer")
    footer.wait_for()
    total = red["firms"]["totalCount"]
    assert f"共 {total} 家" in footer.inner_text()
    assert "红色" in page.get_by_test_id("firm-filters").inner_text()

    # Phones get cards, not a table wider than the screen.
    page.set_viewport_size({"width": 390, "height": 844})
    page.locator("[data-testid=firm-table] .data-table-cards li").first.wait_for()
    assert not page.locator("[data-testid=firm-table] table").is_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 391


def test_viewer_sees_the_representative_masked(web: Page, platform: Platform) -> None:
    firms = [f for f in _firms(platform, "viewer.sh") if f["representative"]]
    assert firms, "the viewer's branch has firms with a representative"
    firm = firms[0]
    _signed_in(web, "viewer.sh")
    page = web.page
    web.goto(f"/firms/{quote(firm['id'], safe='')}")
    rep = page.get_by_test_id("firm-representative")
    rep.wait_for()
    masked = rep.locator("[data-access=masked]")
    masked.first.wait_for()
    assert masked.count() >= 2  # name and id number (the phone too when recorded)
    assert not rep.locator("[data-access=visible]").count()
    text = rep.inner_text()
    assert firm["representative"]["idNumber"] in text  # as the server masked it
    assert "*" in firm["representative"]["idNumber"]
    assert page.locator("[role=alert]").count() == 0
    web.axe()
