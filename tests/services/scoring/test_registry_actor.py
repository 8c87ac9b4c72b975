"""Acting as a named user account for promotion and rollback (the command line's actor)."""

from __future__ import annotations

import pytest

from smecredit import models
from smecredit.errors import PermissionDenied
from smecredit.services.actors import acting_user
from smecredit.services.scoring import registry

pytestmark = pytest.mark.anyio


async def _user(name: str, roles: list[str], *, active: bool = True) -> models.User:
    return await models.User.create(
        username=name, password_hash="x", roles=roles, branch_code="HQ", active=active
    )


async def _version(n: int) -> models.ModelVersion:
    return await models.ModelVersion.create(
        name="scorecard", version=f"v{n}", training_fingerprint="0" * 64, created_by="t"
    )


@pytest.mark.parametrize(
    ("name", "code"),
    [("nobody", "USER_NOT_FOUND"), ("", "USER_NOT_FOUND"), ("gone", "USER_DISABLED")],
)
async def test_unknown_and_disabled_accounts_are_refused(db: object, name: str, code: str) -> None:
    await _user("gone", ["risk_analyst"], active=False)
    with pytest.raises(PermissionDenied) as error:
        await acting_user(name, "model.promote")
    assert error.value.code == code


async def test_roles_that_may_not_promote_are_refused(db: object) -> None:
    await _user("olga", ["loan_officer", "viewer"])
    with pytest.raises(PermissionDenied) as error:
        await acting_user("olga", "model.promote")
    assert error.value.code == "FORBIDDEN" and "risk analyst" in error.value.message


async def test_the_acting_account_is_named_in_promotions_and_the_audit(db: object) -> None:
    await _user("ana.li", ["viewer", "risk_analyst"])
    actor = await acting_user("  Ana.Li ", "model.promote")
    assert actor.username == "ana.li" and "risk_analyst" in actor.roles
    first, second = await _version(1), await _version(2)
    await registry.promote(first.id, actor=actor, reason="first")
    await registry.promote(second.id, actor=actor, reason="second")
    restored = await registry.rollback("application", actor=actor, reason="back")
    assert restored.id == first.id
    actors = set(await models.ModelPromotion.all().values_list("actor", flat=True))
    assert actors == {"ana.li"}
    audited = await models.AuditLog.filter(action__startswith="model.").values_list(
        "actor", "action"
    )
    assert {a for a, _ in audited} == {"ana.li"}
    assert sorted({action for _, action in audited}) == [
        "model.promote",
        "model.retire",
        "model.rollback",
    ]
