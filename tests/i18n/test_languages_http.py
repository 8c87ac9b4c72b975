"""Over real HTTP: one refusal, two languages; the code and the technical text never change.

The suite runs with ``SMECREDIT_DEFAULT_LANGUAGE=en`` (tests/conftest.py); these tests ask
for each language explicitly with ``Accept-Language``.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from conftest import authenticated_client
from helpers import gql
from strawberry.relay import GlobalID

from smecredit.i18n import translate

pytestmark = pytest.mark.anyio

EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh-CN"}

SUBMIT = """mutation($id: ID!) { r: submitApplication(id: $id) {
  __typename ... on BusinessError { code message detail } } }"""
FIRM = """query($id: ID!) { firm(id: $id) { id name } }"""


def gid(type_name: str, pk: int) -> str:
    return str(GlobalID(type_name, str(pk)))


async def test_a_result_union_refusal_in_both_languages(db: object, client_for: Any) -> None:
    viewer = await client_for("viewer", "B01")
    variables = {"id": gid("LoanApplication", 1)}
    en = (await gql(viewer, SUBMIT, variables, **EN))["data"]["r"]
    zh = (await gql(viewer, SUBMIT, variables, **ZH))["data"]["r"]
    assert (en["__typename"], en["code"]) == ("Forbidden", "FORBIDDEN")
    assert (zh["__typename"], zh["code"]) == ("Forbidden", "FORBIDDEN")
    # English reads the technical sentence itself; Chinese reads the catalogue
    assert en["message"] == en["detail"]
    assert en["detail"].startswith("you may not")
    assert zh["message"] == "您无权执行此操作。"
    assert zh["detail"] == en["detail"]


async def test_a_top_level_query_error_in_both_languages(db: object, client: Any) -> None:
    variables = {"id": gid("Firm", 999_999)}
    en = (await gql(client, FIRM, variables, **EN))["errors"][0]
    zh = (await gql(client, FIRM, variables, **ZH))["errors"][0]
    assert en["extensions"]["code"] == zh["extensions"]["code"] == "NOT_FOUND"
    assert en["path"] == zh["path"] == ["firm"]
    assert variables["id"] in en["message"]
    # the message equals the technical text in English, so no separate detail is sent
    assert "detail" not in en["extensions"]
    assert zh["message"] == "对象不存在，或不在您的权限范围内。"
    assert zh["extensions"]["detail"] == en["message"]


async def test_an_argument_error_names_the_field_in_both_languages(db: object, client: Any) -> None:
    query = '{ labels(kind: "noSuchKind") { value text } }'
    en = (await gql(client, query, **EN))["errors"][0]
    zh = (await gql(client, query, **ZH))["errors"][0]
    for error in (en, zh):
        assert error["extensions"]["code"] == "INVALID_INPUT"
        assert error["extensions"]["field"] == "kind"
    assert "known kinds" in en["message"] and "language" in en["message"]
    assert "noSuchKind" not in en["message"]  # the fault is named, the value not repeated
    assert zh["message"] == f"参数不合法：{en['message']}"
    assert zh["extensions"]["detail"] == en["message"]


async def test_unauthenticated_and_validation_errors_are_translated_too(
    db: object, client: Any, anon_client: Any
) -> None:
    query = "{ firms { totalCount } }"
    en = (await gql(anon_client, query, **EN))["errors"][0]
    zh = (await gql(anon_client, query, **ZH))["errors"][0]
    assert en["extensions"]["code"] == zh["extensions"]["code"] == "UNAUTHENTICATED"
    assert zh["message"] == translate("errors.UNAUTHENTICATED", "zh-CN")
    invalid = "{ noSuchField }"
    en = (await gql(client, invalid, **EN))["errors"][0]
    zh = (await gql(client, invalid, **ZH))["errors"][0]
    assert en["extensions"]["code"] == zh["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert zh["message"] == f"查询语句不合法：{en['message']}"


async def test_labels_answer_a_kind_in_the_callers_language(db: object, client: Any) -> None:
    query = '{ labels(kind: "language") { value text } }'
    en = (await gql(client, query, **EN))["data"]["labels"]
    zh = (await gql(client, query, **ZH))["data"]["labels"]
    assert en == [
        {"value": "zh-CN", "text": "Chinese (Simplified)"},
        {"value": "en", "text": "English"},
    ]
    assert zh == [{"value": "zh-CN", "text": "简体中文"}, {"value": "en", "text": "英语"}]
    # error messages are not labels: they arrive with their errors
    body = await gql(client, '{ labels(kind: "errors") { value } }', **EN)
    assert body["errors"][0]["extensions"]["code"] == "INVALID_INPUT"


async def test_languages_name_each_language_and_mark_the_current_one(
    db: object, client: Any
) -> None:
    query = "{ languages { tag name nativeName current } }"
    zh = (await gql(client, query, **{"Accept-Language": "zh-TW, en;q=0.5"}))["data"]
    assert zh["languages"] == [
        {"tag": "zh-CN", "name": "简体中文", "nativeName": "简体中文", "current": True},
        {"tag": "en", "name": "英语", "nativeName": "English", "current": False},
    ]
    en = (await gql(client, query, **{"Accept-Language": "en-GB"}))["data"]
    assert [(lang["name"], lang["current"]) for lang in en["languages"]] == [
        ("Chinese (Simplified)", False),
        ("English", True),
    ]


async def test_without_a_header_the_configured_default_answers(db: Any) -> None:
    from smecredit.app import create_app

    app = create_app(dataclasses.replace(db, default_language="zh-CN"), manage_db=False)
    client = await authenticated_client(app, "admin", "HQ")
    async with client:
        body = await gql(client, FIRM, {"id": gid("Firm", 999_999)})
        assert body["errors"][0]["message"] == "对象不存在，或不在您的权限范围内。"
        body = await gql(client, FIRM, {"id": gid("Firm", 999_999)}, **EN)
        assert body["errors"][0]["message"] != "对象不存在，或不在您的权限范围内。"
        body = await gql(client, "{ languages { tag current } }")
        assert {lang["tag"]: lang["current"] for lang in body["data"]["languages"]} == {
            "zh-CN": True,
            "en": False,
        }


async def test_labels_need_a_signed_in_caller(db: object, anon_client: Any) -> None:
    body = await gql(anon_client, '{ labels(kind: "language") { value } }', **EN)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
