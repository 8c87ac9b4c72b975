"""The sign-in journeys and the shell in a real Chromium against a real platform."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from browser_support import USERS, Page, Platform

pytestmark = pytest.mark.slow

ZH_WRONG = "用户名或密码错误。"
EN_WRONG = "wrong user name or password"


def _switch_language(web: Page, label: str) -> None:
    page = web.page
    page.locator("[data-testid=language-switch]").first.click()
    page.locator(".ant-select-item-option", has_text=label).click()


def test_sign_in_with_password_lands_on_the_dashboard(web: Page) -> None:
    web.goto("/")
    web.page.wait_for_url(re.compile(r"/signin$"))
    web.page.get_by_role("heading", name="登录").wait_for()
    web.shoot("signin")
    web.axe()
    web.sign_in("officer.hz")
    web.wait_for_dashboard()
    assert web.page.url.endswith("/")
    assert web.page.get_by_test_id("page-title").inner_text() == "工作台"
    web.shoot("dashboard")
    web.axe()


def test_wrong_password_is_refused_in_the_chosen_language(web: Page) -> None:
    web.goto("/signin")
    web.sign_in("officer.hz", "not-the-password")
    error = web.page.get_by_test_id("form-error")
    error.wait_for()
    assert ZH_WRONG in error.inner_text()
    web.shoot("signin-error")
    _switch_language(web, "English")
    web.page.get_by_role("heading", name="Sign in").wait_for()
    web.sign_in("officer.hz", "not-the-password")
    web.page.get_by_text(EN_WRONG).wait_for()
    # Remembered: a reload keeps English.
    web.page.reload()
    web.page.get_by_role("heading", name="Sign in").wait_for()
    assert web.page.evaluate("document.documentElement.lang") == "en"


def test_sign_in_with_an_authenticator_code(web: Page, platform: Platform) -> None:
    web.goto("/signin")
    web.sign_in("analyst")
    web.page.get_by_role("heading", name="两步验证").wait_for()
    web.shoot("totp")
    web.axe()
    web.page.locator("#mfa_code").fill("12345")
    web.page.locator("form#mfa button[type=submit]").click()
    web.page.get_by_test_id("form-error").wait_for()  # a wrong code is refused
    code = pyotp.TOTP(platform.analyst_secret).at(time.time() + 30)  # newer than any used
    web.page.locator("#mfa_code").fill(code)
    web.page.locator("form#mfa button[type=submit]").click()
    web.wait_for_dashboard()


def test_sign_in_with_a_recovery_code(web: Page, platform: Platform) -> None:
    web.goto("/signin")
    web.sign_in("analyst")
    web.page.get_by_role("button", name="改用恢复码").click()
    web.page.get_by_label("恢复码").wait_for()
    web.shoot("recovery-code")
    web.page.locator("#mfa_code").fill(platform.analyst_recovery_codes[0])
    web.page.locator("form#mfa button[type=submit]").click()
    web.wait_for_dashboard()


def test_forced_enrolment_shows_a_qr_code_and_recovery_codes(web: Page) -> None:
    web.goto("/signin")
    web.sign_in("approver.hz")
    qr = web.page.get_by_test_id("totp-qr").locator("svg")
    qr.wait_for()
    assert qr.get_attribute("role") == "img"
    secret = web.page.get_by_test_id("totp-secret").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-7]{16,}", secret), secret
    web.shoot("enrol")
    web.axe()
    web.page.locator("#enrol_code").fill(pyotp.TOTP(secret).now())
    web.page.locator("form#enrol button[type=submit]").click()
    codes = web.page.get_by_test_id("recovery-codes").locator("li")
    codes.first.wait_for()
    assert codes.count() >= 8
    web.shoot("recovery-codes")
    web.axe()
    web.page.get_by_role("button", name=re.compile("我已保存")).click()
    web.wait_for_dashboard()
    assert "approvals" in web.nav_keys()  # the approver may approve: the queue is offered


def test_a_reset_password_must_be_changed_at_sign_in(web: Page, platform: Platform) -> None:
    printed = platform.smecredit("users", "reset-password", "checker.hz")
    temporary = re.search(r"temporary password \(shown once\): (\S+)", printed)
    assert temporary, printed
    web.goto("/signin")
    web.sign_in("checker.hz", temporary.group(1))
    web.page.locator("#password_currentPassword").wait_for()
    web.shoot("forced-password-change")
    web.axe()
    web.page.locator("#password_currentPassword").fill(temporary.group(1))
    web.page.locator("#password_newPassword").fill("Fresh!Larch-2026hz")
    web.page.locator("#password_confirm").fill("Fresh!Larch-2026hz")
    web.page.locator("form#password button[type=submit]").click()
    web.wait_for_dashboard()


def test_navigation_comes_from_each_users_permissions(web: Page, browser: object) -> None:
    web.sign_in("officer.hz")
    web.wait_for_dashboard()
    officer = web.nav_keys()
    web.page.get_by_test_id("user-menu").click()
    web.page.get_by_text("退出登录").click()
    web.page.locator("#signin_username").wait_for()
    web.sign_in("viewer.sh")
    web.wait_for_dashboard()
    viewer = web.nav_keys()
    web.shoot("dashboard-viewer")
    web.page.get_by_test_id("user-menu").click()
    web.page.get_by_text("退出登录").click()
    web.page.locator("#signin_username").wait_for()
    web.sign_in("admin")
    web.wait_for_dashboard()
    admin = web.nav_keys()
    assert "new-application" in officer and "new-application" not in viewer
    assert "users" in admin and "users" not in officer and "users" not in viewer
    assert {"dashboard", "firms", "loans"} <= officer & viewer
    assert len({frozenset(officer), frozenset(viewer), frozenset(admin)}) == 3


def test_a_deep_link_survives_sign_in_and_reload(web: Page) -> None:
    web.goto("/firms/123")
    web.page.wait_for_url(re.compile(r"/signin$"))
    web.sign_in("officer.hz")
    web.page.wait_for_url(re.compile(r"/firms/123$"))
    crumbs = web.page.locator(".ant-breadcrumb")
    crumbs.get_by_text("编号 123").wait_for()
    web.page.reload()
    web.page.get_by_test_id("page-title").wait_for()
    # A firm's profile: an id that names no firm is said so, on the page it was asked of.
    assert web.page.get_by_test_id("page-title").inner_text() == "企业档案"
    assert "编号 123" in crumbs.inner_text()
    web.shoot("section")
    web.axe()


def test_an_unknown_path_is_a_not_found_page_with_a_way_back(web: Page) -> None:
    web.sign_in("officer.hz")
    web.wait_for_dashboard()
    web.goto("/no-such-screen")
    back = web.page.get_by_role("button", name="返回工作台")
    back.wait_for()
    web.axe()  # one control, not a link nested in a button
    back.click()
    web.wait_for_dashboard()


def test_language_switch_changes_the_ui_and_the_api_messages(web: Page) -> None:
    web.sign_in("officer.hz")
    web.wait_for_dashboard()
    web.goto("/account/password")
    web.page.locator("#password_currentPassword").fill("not-my-password")
    web.page.locator("#password_newPassword").fill("Another!Password-2468")
    web.page.locator("#password_confirm").fill("Another!Password-2468")
    web.page.locator("form#password button[type=submit]").click()
    web.page.get_by_text("当前密码错误。").wait_for()
    web.shoot("change-password")
    web.axe()
    _switch_language(web, "English")
    web.page.get_by_test_id("page-title").get_by_text("Change password").wait_for()
    web.page.locator("form#password button[type=submit]").click()
    web.page.get_by_text("The current password is wrong.").wait_for()
    assert web.page.locator("[data-testid=nav]").get_by_text("Dashboard").is_visible()
    web.goto("/")
    web.wait_for_dashboard()
    assert web.page.get_by_test_id("page-title").inner_text() == "Dashboard"
    web.shoot("dashboard-en")
    # the switch saved the language for the user (setMyLanguage): a browser that remembers
    # nothing (zh-CN by default) comes back in English once it knows who is signed in
    web.page.evaluate("window.localStorage.clear()")
    web.page.reload()
    web.wait_for_dashboard()
    web.page.get_by_test_id("page-title").get_by_text("Dashboard").wait_for()
    # back to Chinese, saved too (the other journeys of this user read the default)
    _switch_language(web, "简体中文")
    web.page.get_by_test_id("page-title").get_by_text("工作台").wait_for()


def test_an_ended_session_returns_to_sign_in(web: Page) -> None:
    web.sign_in("officer.hz")
    web.wait_for_dashboard()
    web.page.context.clear_cookies()  # as after the idle or absolute expiry
    web.page.locator("[data-nav=loans]").click()  # the loan list asks the API again
    web.page.get_by_test_id("signin-notice").wait_for()
    assert "会话已过期" in web.page.get_by_test_id("signin-notice").inner_text()


def test_sign_out(web: Page) -> None:
    web.sign_in("officer.hz")
    web.wait_for_dashboard()
    web.page.get_by_test_id("user-menu").click()
    web.page.get_by_text("退出登录").click()
    web.page.get_by_test_id("signin-notice").wait_for()
    assert "已安全退出" in web.page.get_by_test_id("signin-notice").inner_text()
    web.goto("/")
    web.page.wait_for_url(re.compile(r"/signin$"))
    assert not [c for c in web.page.context.cookies() if c["name"] == "smecredit_session"]


def test_phone_navigation_opens_from_the_menu_button(web: Page) -> None:
    web.page.set_viewport_size({"width": 390, "height": 844})
    web.sign_in("officer.hz")
    web.wait_for_dashboard()
    assert not web.page.locator("[data-testid=nav]").is_visible()
    web.page.get_by_role("button", name="导航菜单").click()
    web.page.locator("[data-testid=nav] [data-nav=loans]").click()
    web.page.get_by_test_id("page-title").get_by_text("贷款").wait_for()


def test_development_graphiql_loads_locally_with_the_session(web: Page) -> None:
    foreign: list[str] = []
    web.page.on(
        "request", lambda r: None if r.url.startswith((web.url, "data:")) else foreign.append(r.url)
    )
    web.sign_in("officer.hz")
    web.wait_for_dashboard()
    web.goto("/graphql")
    editor = web.page.locator(".graphiql-query-editor .CodeMirror").first
    editor.wait_for()
    editor.click()
    web.page.keyboard.press("Control+A")
    web.page.keyboard.type("{ me { username } }")
    web.page.locator(".graphiql-execute-button").click()
    web.page.locator(".graphiql-response").get_by_text("officer.hz").wait_for()
    assert not foreign, foreign
    web.shoot("graphiql")


def test_users_of_the_fixture_exist() -> None:
    assert {"officer.hz", "viewer.sh", "admin", "analyst", "approver.hz"} <= set(USERS)
