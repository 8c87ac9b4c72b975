"""Registry of trained scoring-model versions and their promotion history."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

__all__ = ["MODEL_STATUSES", "MODEL_USES", "ModelPromotion", "ModelVersion"]

#: Lifecycle of a model version.
MODEL_STATUSES = ("candidate", "champion", "challenger", "retired")
#: What a model scores: applications (new credit) or behaviour (the existing book).
MODEL_USES = ("application", "behaviour")


class ModelVersion(Model):
    """One trained model: the artefact, its metrics and card, and where it stands.

    ``artefact`` holds the plugin's opaque bytes (or ``artefact_path`` a file under
    var/models for very large ones). ``training_fingerprint`` is the SHA-256 of the
    training matrix so a version can be traced to its exact data. ``baseline`` keeps a
    sample of training scores and feature values for PSI and CSI monitoring.
    """

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=64, db_index=True)
    version = fields.CharField(max_length=32)
    use = fields.CharField(max_length=16, default="application", db_index=True)
    status = fields.CharField(max_length=16, default="candidate", db_index=True)
    artefact = fields.BinaryField(null=True)
    artefact_path = fields.TextField(null=True)
    calibration: Any = fields.JSONField(default=dict)
    metrics: Any = fields.JSONField(default=dict)
    card: Any = fields.JSONField(default=dict)
    baseline: Any = fields.JSONField(default=dict)
    master_scale: Any = fields.JSONField(default=list)
    training_fingerprint = fields.CharField(max_length=64)
    #: What the leakage guard flagged at registration (``domain.leakage.LeakageFlag`` dicts).
    leakage_flags: Any = fields.JSONField(default=list, db_default="[]")
    #: Who acknowledged the flags to promote the version anyway, when and why (or None).
    leakage_acknowledgement: Any = fields.JSONField(null=True)
    created_by = fields.CharField(max_length=64)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "model_version"
        unique_together = (("name", "version"),)


class ModelPromotion(Model):
    """A change of a model version's status, by whom and why (promotion or rollback)."""

    id = fields.IntField(primary_key=True)
    model_version: fields.ForeignKeyRelation[ModelVersion] = fields.ForeignKeyField(
        "smecredit.ModelVersion", related_name="promotions", on_delete=fields.CASCADE
    )
    from_status = fields.CharField(max_length=16)
    to_status = fields.CharField(max_length=16)
    action = fields.CharField(max_length=16)
    actor = fields.CharField(max_length=64)
    reason = fields.TextField(default="")
    at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "model_promotion"
