"""GraphQL type for model scores, with their reasons in the caller's language."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from smecredit import models
from smecredit.graphql.nodes import scoped_nodes
from smecredit.i18n import has_key, language_of, translate

__all__ = ["ScoreReasonType", "ScoreType", "feature_label"]


def feature_label(code: str, language: str, fallback: str | None = None) -> str:
    """The name of feature ``code`` in ``language``: the core's features are catalogued
    (``scoringFeature.<code>``); a plugin's own feature answers ``fallback`` (the name the
    model stored with the score), else its code."""
    return translate(f"scoringFeature.{code}", language, default=fallback or code)


@strawberry.type(name="ScoreReason", description="One reason behind a score: what raised the risk.")
class ScoreReasonType:
    feature: str = strawberry.field(description="The feature's stable code (reason code).")
    value: JSON | None = strawberry.field(description="The firm's value of the feature.")
    contribution: float = strawberry.field(
        description="The feature's push on the score (positive: riskier)."
    )
    _names: strawberry.Private[Mapping[str, str]]
    _description: strawberry.Private[str] = ""

    @strawberry.field(description="The feature's name, in the caller's language.")
    def feature_label(self, info: strawberry.Info) -> str:
        language = language_of(info.context)
        return feature_label(self.feature, language, self._names.get(language))

    @strawberry.field(
        description="The reason as a sentence, in the caller's language (a plugin model's "
        "own feature: the sentence the model gave, in its words)."
    )
    def text(self, info: strawberry.Info) -> str:
        language = language_of(info.context)
        if self._description and not has_key(f"scoringFeature.{self.feature}"):
            return self._description
        name = feature_label(self.feature, language, self._names.get(language))
        return translate(
            "scoreReason.RAISES_RISK", language, {"feature": name, "value": self.value}
        )

    @classmethod
    def from_json(cls, item: Mapping[str, Any]) -> ScoreReasonType:
        """From a reason as stored on a score (``scoring.reason_dicts``)."""
        return cls(
            feature=str(item.get("feature", "")),
            value=item.get("value"),
            contribution=float(item.get("contribution") or 0.0),
            _names={"en": str(item.get("name_en") or ""), "zh-CN": str(item.get("name_zh") or "")},
            _description=str(item.get("description") or ""),
        )


def _reasons(stored: Any) -> list[ScoreReasonType]:
    items: Sequence[Any] = stored if isinstance(stored, list) else []
    return [ScoreReasonType.from_json(r) for r in items if isinstance(r, Mapping)]


@strawberry.type(name="Score", description="A model's assessment of a firm at a moment.")
class ScoreType(relay.Node):
    db_id: relay.NodeID[int]
    model_name: str
    model_version: str
    # nullable: the field policy may deny these (a viewer), and a denied non-null field
    # would null the whole score
    probability_of_default: float | None
    points: int
    grade: str
    reasons: list[ScoreReasonType] | None = strawberry.field(
        description="The strongest reasons, strongest first (only what raised the risk)."
    )
    computed_at: dt.datetime

    @classmethod
    def from_model(cls, row: models.Score) -> ScoreType:
        return cls(
            db_id=row.id,
            model_name=row.model_name,
            model_version=row.model_version,
            probability_of_default=row.probability_of_default,
            points=row.points,
            grade=row.grade,
            reasons=_reasons(row.reasons),
            computed_at=row.computed_at,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: strawberry.Info, node_ids: list[str], required: bool = False
    ) -> list[ScoreType | None]:
        return await scoped_nodes(info, models.Score, node_ids, cls.from_model)
