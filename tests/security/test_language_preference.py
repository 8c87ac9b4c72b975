"""The language a person reads: ``Accept-Language``, overridden by the saved preference.

Over real HTTP: sign-in refusals answer in the language the request asks for (the
default without a header); ``setMyLanguage`` saves a preference that wins over the header
from the next request on, is audited, and is what ``me.language`` answers.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from helpers import gql
from results_support import error_code, error_message, on

from smecredit.models import AuditLog, User

pytestmark = pytest.mark.anyio

SIGN_IN = (
    "mutation($u: String!, $p: String!) { signIn(username: $u, password: $p) "
    + on("SignInPayload", "token")
    + " }"
)
SET_LANGUAGE = (
    "mutation($l: Language!) { setMyLanguage(language: $l) "
    + on("User", "username language")
    + " }"
)
CHANGE = (
    "mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) "
    + on("User", "username")
    + " }"
)
WRONG = {"u": "nobody", "p": "Not-The-Passw0rd!"}


async def test_sign_in_refusals_answer_in_the_requested_language(
    anon_client: httpx.AsyncClient,
) -> None:
    english = await gql(anon_client, SIGN_IN, WRONG, **{"Accept-Language": "en-GB,en;q=0.9"})
    chinese = await gql(anon_client, SIGN_IN, WRONG, **{"Accept-Language": "zh-CN,zh;q=0.9"})
    default = await gql(anon_client, SIGN_IN, WRONG)  # the tests' default language is en
    assert error_code(english) == error_code(chinese) == "INVALID_CREDENTIALS"
    assert error_message(english) == "Wrong user name or password."
    assert error_message(chinese) == "用户名或密码错误。"
    assert error_message(default) == error_message(english)
    # the technical text stays English whatever the language
    assert english["data"]["signIn"]["detail"] == chinese["data"]["signIn"]["detail"]


async def test_the_saved_language_wins_over_the_header(client_for: Any) -> None:
    officer = await client_for("loan_officer", "HZ01")
    assert (await gql(officer, "{ me { language } }"))["data"]["me"] == {"language": None}
    # no preference: the header decides
    wrong = {"c": "Not-The-Passw0rd!", "n": "New#Secret-9876"}
    header_zh = await gql(officer, CHANGE, wrong, **{"Accept-Language": "zh-CN"})
    assert error_message(header_zh) == "当前密码错误。"

    saved = await gql(officer, SET_LANGUAGE, {"l": "ZH_CN"}, **{"Accept-Language": "en"})
    assert saved["data"]["setMyLanguage"] == {"username": officer.username, "language": "ZH_CN"}
    assert (await User.get(id=officer.user_id)).language == "zh-CN"
    # from the next request on, Chinese though the header asks for English
    refused = await gql(officer, CHANGE, wrong, **{"Accept-Language": "en"})
    assert error_code(refused) == "WRONG_PASSWORD"
    assert error_message(refused) == "当前密码错误。"
    assert (await gql(officer, "{ me { language } }"))["data"]["me"] == {"language": "ZH_CN"}

    # back to English: the preference, not the header, decides again
    await gql(officer, SET_LANGUAGE, {"l": "EN"})
    refused = await gql(officer, CHANGE, wrong, **{"Accept-Language": "zh-CN"})
    assert error_message(refused) == "The current password is wrong."

    rows = await AuditLog.filter(action="account.set_language").order_by("seq")
    assert [(r.actor, r.resource) for r in rows] == [
        (officer.username, f"User:{officer.user_id}"),
        (officer.username, f"User:{officer.user_id}"),
    ]
    # the service's row is the only one: no generic duplicate
    assert not await AuditLog.filter(action="mutation.setMyLanguage").exists()


async def test_every_signed_in_role_may_choose_its_language(client_for: Any) -> None:
    from smecredit.security.principal import ROLES

    for role in ROLES:
        caller = await client_for(role, "HQ")
        body = await gql(caller, SET_LANGUAGE, {"l": "EN"})
        assert body["data"]["setMyLanguage"]["language"] == "EN", (role, body)


async def test_roles_are_named_in_the_callers_language(client: httpx.AsyncClient) -> None:
    query = "{ roles { name label description operations { name description } } }"
    english = {r["name"]: r for r in (await gql(client, query))["data"]["roles"]}
    chinese = {
        r["name"]: r
        for r in (await gql(client, query, **{"Accept-Language": "zh-CN"}))["data"]["roles"]
    }
    assert english["loan_officer"]["label"] == "Loan officer"
    assert chinese["loan_officer"]["label"] == "客户经理"
    admin_ops = {op["name"]: op["description"] for op in chinese["admin"]["operations"]}
    assert admin_ops["user.create"] == "创建用户"
    english_ops = {op["name"]: op["description"] for op in english["admin"]["operations"]}
    assert english_ops["user.create"] == "create users"
