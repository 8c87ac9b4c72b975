"""Casbin policy rules kept in the database so admins can change them at run time."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

__all__ = ["PolicyRule"]


class PolicyRule(Model):
    """One Casbin rule: a ``p`` line (permission) or a ``g`` line (role link).

    ``v0`` to ``v5`` hold the rule's values in the order of the model definition
    (p: subject, domain, object, act, effect, strategy - g: member, role, domain).
    The default policy in ``schema/casbin/policy.csv`` seeds the table when it is empty.
    """

    id = fields.IntField(primary_key=True)
    ptype = fields.CharField(max_length=8)
    v0 = fields.CharField(max_length=128)
    v1 = fields.CharField(max_length=128, default="")
    v2 = fields.CharField(max_length=200, default="")
    v3 = fields.CharField(max_length=64, default="")
    v4 = fields.CharField(max_length=16, default="")
    v5 = fields.CharField(max_length=200, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    created_by = fields.CharField(max_length=128, default="")

    class Meta:
        table = "policy_rule"
        unique_together = (("ptype", "v0", "v1", "v2", "v3", "v4", "v5"),)

    def rule_values(self) -> list[str]:
        """The rule's values without trailing empties for ``g`` rules."""
        if self.ptype.startswith("g"):
            return [self.v0, self.v1, self.v2]
        return [self.v0, self.v1, self.v2, self.v3, self.v4, self.v5]
