"""The one answer to "who is calling": signed in, and allowed the operation by the table."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from helpers import principal

from smecredit.errors import PermissionDenied
from smecredit.security.caller import caller, signed_in
from smecredit.security.operations import Unauthenticated


def test_nobody_signed_in_is_unauthenticated() -> None:
    for user in (None, "li.wei", object()):
        context = SimpleNamespace(user=user)
        with pytest.raises(Unauthenticated):
            caller(context)
        with pytest.raises(Unauthenticated):
            caller(context, "audit.view")
        assert signed_in(context) is None


def test_the_table_decides_the_operation() -> None:
    auditor = principal("zhou.min", "compliance_auditor")
    officer = principal("li.wei", "loan_officer")
    assert caller(SimpleNamespace(user=officer)) is officer
    assert caller(SimpleNamespace(user=auditor), "policy.view") is auditor
    assert signed_in(SimpleNamespace(user=officer)) is officer
    with pytest.raises(PermissionDenied) as refused:
        caller(SimpleNamespace(user=officer), "policy.view")
    assert refused.value.code == "FORBIDDEN"
    assert "compliance auditor" in str(refused.value)
