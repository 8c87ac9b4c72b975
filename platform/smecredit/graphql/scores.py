"""GraphQL type for model scores."""

from __future__ import annotations

import datetime as dt

import strawberry
from strawberry.scalars import JSON

from smecredit import models

__all__ = ["ScoreType"]


@strawberry.type(name="Score", description="A model's assessment of a firm at a moment.")
class ScoreType:
    model_name: str
    model_version: str
    # nullable: the field policy may deny these (a viewer), and a denied non-null field
    # would null the whole score
    probability_of_default: float | None
    points: int
    grade: str
    reasons: JSON | None
    computed_at: dt.datetime

    @classmethod
    def from_model(cls, row: models.Score) -> ScoreType:
        return cls(
            model_name=row.model_name,
            model_version=row.model_version,
            probability_of_default=row.probability_of_default,
            points=row.points,
            grade=row.grade,
            reasons=row.reasons,
            computed_at=row.computed_at,
        )
