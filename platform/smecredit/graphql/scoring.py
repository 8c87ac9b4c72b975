"""GraphQL API of risk scoring: the model registry, training jobs, drift and scores.

Reading the registry needs a signed-in user (field permissions hide model internals from
partners and viewers); training, promotion and rollback need a risk analyst or an
administrator. Training runs as a background asyncio task: ``trainModel`` answers at once
with a :class:`ScoringJobType` that clients poll through ``scoringJob(id)``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import enum
import itertools
import logging
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Annotated, Any

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from smecredit import models
from smecredit.domain.jobs import JobKind
from smecredit.domain.model_metrics import GradeCalibration
from smecredit.errors import InvalidInput, NotFound
from smecredit.graphql.auth import require_operation, require_user
from smecredit.graphql.context import registry_of
from smecredit.graphql.credit_policy import CreditPolicyType
from smecredit.graphql.jobs import supervisor_of
from smecredit.graphql.nodes import scoped_nodes
from smecredit.graphql.pagination import Connection, SortSpec, paginate
from smecredit.graphql.results import Errors, guard
from smecredit.graphql.scalars import parse_global_id
from smecredit.graphql.scores import ScoreType, feature_label
from smecredit.i18n import label, language_of, translate
from smecredit.sdk import ScoringModel
from smecredit.security.principal import Principal
from smecredit.security.row_scope import scoped
from smecredit.services.jobs.kinds import start_tracked
from smecredit.services.scoring import comparison, monitoring, on_demand, registry

__all__ = [
    "ApplicationScoreType",
    "BacktestBasis",
    "DriftBand",
    "FeatureDriftType",
    "LeakageAcknowledgementType",
    "LeakageFlagType",
    "LeakageKind",
    "ModelAction",
    "ModelComparisonType",
    "ModelDriftType",
    "ModelPromotionType",
    "ModelStatus",
    "ModelUse",
    "ModelVersionFilter",
    "ModelVersionSort",
    "ModelVersionType",
    "PdBacktestType",
    "ScoringJobState",
    "ScoringJobType",
    "ScoringMutations",
    "ScoringQueries",
    "TrainingJob",
    "application_score_of",
    "job_registry",
]

log = logging.getLogger("smecredit.graphql.scoring")

#: Finished jobs kept in memory for polling (oldest forgotten first).
MAX_JOBS = 200
_SCORE_HISTORY_SORT = SortSpec("computed_desc", "computed_at", descending=True)


def _available(info: strawberry.Info) -> Mapping[str, ScoringModel]:
    """Scoring models of the request's plugin registry (the application's as a fallback)."""
    plugins = getattr(info.context, "plugins", None)
    found = getattr(plugins, "scoring_models", None)
    return found if found else registry_of(info.context).scoring_models


# -------------------------------------------------------------------------------- enums


@strawberry.enum(description="Where a model version stands in the registry.")
class ModelStatus(enum.Enum):
    CANDIDATE = "candidate"
    CHAMPION = "champion"
    CHALLENGER = "challenger"
    RETIRED = "retired"


@strawberry.enum(description="What a model scores: new applications or the book's behaviour.")
class ModelUse(enum.Enum):
    APPLICATION = "application"
    BEHAVIOUR = "behaviour"


@strawberry.enum(description="How a version's status changed.")
class ModelAction(enum.Enum):
    PROMOTE = "promote"
    RETIRE = "retire"
    ROLLBACK = "rollback"


@strawberry.enum(description="Where a training job stands.")
class ScoringJobState(enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@strawberry.enum(description="Population stability: stable (<0.1), investigate, shifted (>0.25).")
class DriftBand(enum.Enum):
    STABLE = "stable"
    INVESTIGATE = "investigate"
    SHIFTED = "shifted"


@strawberry.enum(description="What the leakage guard measured.")
class LeakageKind(enum.Enum):
    FEATURE_IV = "feature_iv"
    FEATURE_AUC = "feature_auc"
    AUC_JUMP = "auc_jump"


@strawberry.enum(description="Which scores a PD back-test judged.")
class BacktestBasis(enum.Enum):
    STORED = "stored"
    RESCORED = "rescored"


def _band(value: str | None) -> DriftBand | None:
    return None if value is None else DriftBand(value)


# -------------------------------------------------------------------------------- types


@strawberry.type(
    name="LeakageFlag",
    description="A reason the leakage guard suspects a model learned from the outcome.",
)
class LeakageFlagType:
    kind: LeakageKind = strawberry.field(
        description="FEATURE_IV (IV above 0.5), FEATURE_AUC (one-feature AUC above 0.85) or "
        "AUC_JUMP (validation AUC above the champion's by more than 0.1)."
    )
    feature: str | None = strawberry.field(description="The feature (null for auc_jump).")
    value: float = strawberry.field(description="The measured IV, AUC or AUC gain.")
    threshold: float = strawberry.field(description="The limit it went over.")
    detail: strawberry.Private[str]

    @strawberry.field(description="What was seen, in plain words, in the caller's language.")
    def message(self, info: strawberry.Info) -> str:
        params = {
            "feature": self.feature,
            "value": round(self.value, 3),
            "threshold": self.threshold,
            "detail": self.detail,
        }
        return translate(
            f"leakageMessage.{self.kind.name}",
            language_of(info.context),
            params,
            default=self.detail,
        )

    @strawberry.field(description="The kind, in the caller's language.")
    def kind_label(self, info: strawberry.Info) -> str:
        return label("leakageKind", self.kind, language_of(info.context))

    @classmethod
    def from_json(cls, item: Mapping[str, Any]) -> LeakageFlagType:
        return cls(
            kind=LeakageKind(str(item["kind"])),
            feature=item.get("feature"),
            value=float(item["value"]),
            threshold=float(item["threshold"]),
            detail=str(item.get("message", "")),
        )


@strawberry.type(
    name="LeakageAcknowledgement",
    description="Who promoted a flagged version anyway, when and why.",
)
class LeakageAcknowledgementType:
    by: str
    at: str = strawberry.field(description="ISO 8601 time (UTC).")
    reason: str


@strawberry.type(name="ModelVersion", description="One trained version of a scoring model.")
class ModelVersionType(relay.Node):
    db_id: relay.NodeID[int]
    name: str = strawberry.field(description="Model family, e.g. catboost or scorecard.")
    version: str = strawberry.field(description="v1, v2, ... within the family.")
    use: ModelUse
    status: ModelStatus
    # Nullable: field permissions hide them from some roles without hiding the version.
    metrics: JSON | None = strawberry.field(
        description="Cross-validation metrics, IV, calibration."
    )
    model_card: JSON | None = strawberry.field(description="Data window, features, limitations.")
    fingerprint: str = strawberry.field(description="SHA-256 of the training matrix.")
    leakage_flags: list[LeakageFlagType] = strawberry.field(
        description="What the leakage guard flagged when the version was registered "
        "(empty: nothing). A flagged version is promoted only with acknowledgeLeakage."
    )
    leakage_acknowledgement: LeakageAcknowledgementType | None = strawberry.field(
        description="The acknowledgement of the flags at promotion (null: none given)."
    )
    created_by: str
    created_at: dt.datetime

    @strawberry.field(description="The use, in the caller's language.")
    def use_label(self, info: strawberry.Info) -> str:
        return label("modelUse", self.use, language_of(info.context))

    @strawberry.field(description="The status, in the caller's language.")
    def status_label(self, info: strawberry.Info) -> str:
        return label("modelStatus", self.status, language_of(info.context))

    @classmethod
    def from_model(cls, row: models.ModelVersion) -> ModelVersionType:
        ack = row.leakage_acknowledgement or None
        return cls(
            db_id=row.id,
            name=row.name,
            version=row.version,
            use=ModelUse(row.use),
            status=ModelStatus(row.status),
            metrics=row.metrics,
            model_card=row.card,
            fingerprint=row.training_fingerprint,
            leakage_flags=[LeakageFlagType.from_json(f) for f in row.leakage_flags or []],
            leakage_acknowledgement=(
                LeakageAcknowledgementType(
                    by=str(ack.get("by", "")), at=str(ack.get("at", "")), reason=str(ack["reason"])
                )
                if isinstance(ack, dict) and ack.get("reason")
                else None
            ),
            created_by=row.created_by,
            created_at=row.created_at,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: strawberry.Info, node_ids: list[str], required: bool = False
    ) -> list[ModelVersionType | None]:
        return await scoped_nodes(info, models.ModelVersion, node_ids, cls.from_model)

    @strawberry.field(description="Status changes of this version, oldest first.")
    async def promotions(self, info: strawberry.Info) -> list[ModelPromotionType]:
        rows = (
            await scoped(info.context, models.ModelPromotion)
            .filter(model_version_id=self.db_id)
            .order_by("id")
        )
        return [ModelPromotionType.from_model(r) for r in rows]


@strawberry.type(name="ModelPromotion", description="A status change of a model version.")
class ModelPromotionType(relay.Node):
    db_id: relay.NodeID[int]
    from_status: ModelStatus
    to_status: ModelStatus
    action: ModelAction
    actor: str
    reason: str
    at: dt.datetime
    _model_version_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, row: models.ModelPromotion) -> ModelPromotionType:
        return cls(
            db_id=row.id,
            from_status=ModelStatus(row.from_status),
            to_status=ModelStatus(row.to_status),
            action=ModelAction(row.action),
            actor=row.actor,
            reason=row.reason,
            at=row.at,
            _model_version_id=row.model_version_id,  # type: ignore[attr-defined]
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: strawberry.Info, node_ids: list[str], required: bool = False
    ) -> list[ModelPromotionType | None]:
        return await scoped_nodes(info, models.ModelPromotion, node_ids, cls.from_model)

    @strawberry.field(description="The version whose status changed.")
    async def model_version(self, info: strawberry.Info) -> ModelVersionType | None:
        row = await _versions(info).get_or_none(id=self._model_version_id)
        return ModelVersionType.from_model(row) if row else None

    @strawberry.field(description="The action, in the caller's language.")
    def action_label(self, info: strawberry.Info) -> str:
        return label("modelAction", self.action, language_of(info.context))

    @strawberry.field(description="The status before, in the caller's language.")
    def from_status_label(self, info: strawberry.Info) -> str:
        return label("modelStatus", self.from_status, language_of(info.context))

    @strawberry.field(description="The status after, in the caller's language.")
    def to_status_label(self, info: strawberry.Info) -> str:
        return label("modelStatus", self.to_status, language_of(info.context))


@strawberry.type(name="FeatureDrift", description="Characteristic stability of one feature.")
class FeatureDriftType:
    feature: str
    csi: float
    band: DriftBand

    @strawberry.field(description="The feature's name, in the caller's language.")
    def feature_label(self, info: strawberry.Info) -> str:
        return feature_label(self.feature, language_of(info.context))

    @strawberry.field(description="The band, in the caller's language.")
    def band_label(self, info: strawberry.Info) -> str:
        return label("driftBand", self.band, language_of(info.context))


@strawberry.type(
    name="ModelDrift", description="Score PSI and per-feature CSI against the training data."
)
class ModelDriftType:
    model_version: ModelVersionType
    scored: int = strawberry.field(description="Firms whose latest score is from this version.")
    psi: float | None = strawberry.field(description="Null while the version scored nobody.")
    band: DriftBand | None
    features: list[FeatureDriftType]

    @strawberry.field(description="The band, in the caller's language (null with band).")
    def band_label(self, info: strawberry.Info) -> str | None:
        return (
            None if self.band is None else label("driftBand", self.band, language_of(info.context))
        )


@strawberry.type(name="ApplicationScore", description="A score with the suggested limit and price.")
class ApplicationScoreType:
    score: ScoreType
    requested_amount: Decimal
    suggested_limit: Decimal = strawberry.field(
        description="min(amount, revenue cap) x the grade's limit factor (credit policy)."
    )
    price_band_low: Decimal = strawberry.field(
        description="Lowest annual rate to quote: the risk-based rate kept inside the grade's band."
    )
    price_band_high: Decimal = strawberry.field(description="Highest annual rate for the grade.")
    risk_based_rate: Decimal | None = strawberry.field(
        description="fundingRate + margin + PD x LGD before the grade's band bounded it "
        "(null when the policy has no risk-based pricing)."
    )
    policy_version: int = strawberry.field(
        description="The credit policy version that produced limit and band (0: default)."
    )
    scored_at: dt.datetime

    @strawberry.field(
        description="The credit policy version that produced limit and band (null for a "
        "caller who may not read the credit policy)."
    )
    async def policy(self, info: strawberry.Info) -> CreditPolicyType | None:
        found = await CreditPolicyType.resolve_nodes(info=info, node_ids=[str(self.policy_version)])
        return found[0]

    @classmethod
    def from_record(cls, record: models.ApplicationScoreRecord) -> ApplicationScoreType:
        """From a stored record whose ``score`` relation is loaded."""
        return cls(
            score=ScoreType.from_model(record.score),
            requested_amount=record.requested_amount,
            suggested_limit=record.suggested_limit,
            price_band_low=record.rate_low,
            price_band_high=record.rate_high,
            risk_based_rate=record.risk_rate,
            policy_version=record.policy_version,
            scored_at=record.created_at,
        )


async def application_score_of(application_id: int) -> ApplicationScoreType | None:
    """The newest score of a credit application (made on submission), if any."""
    record = (
        await models.ApplicationScoreRecord.filter(application_id=application_id)
        .order_by("-id")
        .select_related("score")
        .first()
    )
    return None if record is None else ApplicationScoreType.from_record(record)


@strawberry.type(name="PdBacktestGrade", description="Predicted against realised defaults.")
class PdBacktestGradeType:
    grade: str
    count: int = strawberry.field(description="Firms whose latest score was in the grade.")
    defaults: int = strawberry.field(description="Of them, defaulted within the horizon.")
    predicted_pd: float = strawberry.field(description="Mean predicted PD of the grade.")
    observed_rate: float = strawberry.field(description="defaults / count.")
    p_value: float = strawberry.field(description="Exact two-sided binomial test.")
    p_value_underestimated: float = strawberry.field(
        description="P(X >= defaults) under the predicted PD: small says the PD is too low."
    )


@strawberry.type(
    name="PdBacktest",
    description="Back-test of a version's PDs: the latest score of each firm made by asOf "
    "against defaults (90+ DPD or write-off) in the months after.",
)
class PdBacktestType:
    model_version: ModelVersionType
    as_of: dt.date
    horizon_months: int
    dpd_threshold: int
    window_end: dt.date = strawberry.field(description="Last day of the outcome window.")
    complete: bool = strawberry.field(
        description="False while the window has not passed: later defaults are missing."
    )
    count: int
    defaults: int
    expected_defaults: float = strawberry.field(description="Sum of count x predicted PD.")
    grades: list[PdBacktestGradeType] = strawberry.field(description="Best grade first.")
    basis: BacktestBasis = strawberry.field(
        description="STORED: the version's scores made by asOf; RESCORED: the version stored "
        "none by then, so it scored the firms holding a loan on asOf on their features as of "
        "that day."
    )

    @strawberry.field(description="The basis, in the caller's language.")
    def basis_label(self, info: strawberry.Info) -> str:
        return label("backtestBasis", self.basis, language_of(info.context))

    @classmethod
    def from_report(
        cls, report: monitoring.BacktestReport, version: models.ModelVersion
    ) -> PdBacktestType:
        return cls(
            model_version=ModelVersionType.from_model(version),
            as_of=report.as_of,
            horizon_months=report.horizon_months,
            dpd_threshold=report.dpd_threshold,
            window_end=report.window_end,
            complete=report.complete,
            count=report.count,
            defaults=report.defaults,
            expected_defaults=round(report.expected_defaults, 6),
            grades=[_grade_type(g) for g in report.grades],
            basis=BacktestBasis(report.basis),
        )


def _grade_type(g: GradeCalibration) -> PdBacktestGradeType:
    return PdBacktestGradeType(
        grade=g.grade,
        count=g.count,
        defaults=g.defaults,
        predicted_pd=g.predicted_pd,
        observed_rate=g.observed_rate,
        p_value=g.p_value,
        p_value_underestimated=g.p_value_underestimated,
    )


def _stored_auc(metrics: Any, key: str) -> float | None:
    value = ((metrics or {}).get(key) or {}).get("auc")
    return float(value) if isinstance(value, int | float) else None


@strawberry.type(
    name="ModelComparisonSide",
    description="One version's showing on the population both versions scored.",
)
class ModelComparisonSideType:
    model_version: ModelVersionType
    auc: float | None = strawberry.field(description="Null when the window holds one outcome.")
    gini: float | None
    ks: float | None
    brier: float | None
    mean_pd: float
    calibration: list[PdBacktestGradeType] = strawberry.field(
        description="Predicted against observed default rate by the version's grades."
    )
    validation_auc: float | None = strawberry.field(
        description="The cross-validated AUC stored at training."
    )
    out_of_time_auc: float | None = strawberry.field(
        description="The out-of-time AUC stored at training (null when it was skipped)."
    )
    in_sample: bool = strawberry.field(
        description="asOf is a date the version was trained on: its numbers here are "
        "in-sample (flattering); compare on a later date for a fair race."
    )

    @classmethod
    def from_result(cls, r: comparison.VersionResult) -> ModelComparisonSideType:
        return cls(
            model_version=ModelVersionType.from_model(r.version),
            auc=r.auc,
            gini=r.gini,
            ks=r.ks,
            brier=r.brier,
            mean_pd=r.mean_pd,
            calibration=[_grade_type(g) for g in r.grades],
            validation_auc=_stored_auc(r.version.metrics, "overall"),
            out_of_time_auc=_stored_auc(r.version.metrics, "out_of_time"),
            in_sample=r.in_sample,
        )


@strawberry.type(
    name="ModelComparison",
    description="Two versions scored as of one observation date on the same firms (holding a "
    "loan, not in default), against the defaults of the window after it.",
)
class ModelComparisonType:
    as_of: dt.date
    horizon_months: int
    dpd_threshold: int
    window_end: dt.date
    complete: bool = strawberry.field(
        description="False while the book has not observed the whole window."
    )
    count: int = strawberry.field(description="Firms scored by both.")
    defaults: int
    psi: float | None = strawberry.field(
        description="PSI of b's score distribution against a's (null when a's is constant)."
    )
    psi_band: DriftBand | None
    a: ModelComparisonSideType
    b: ModelComparisonSideType

    @strawberry.field(description="The PSI band, in the caller's language (null with it).")
    def psi_band_label(self, info: strawberry.Info) -> str | None:
        if self.psi_band is None:
            return None
        return label("driftBand", self.psi_band, language_of(info.context))

    @classmethod
    def from_comparison(cls, c: comparison.Comparison) -> ModelComparisonType:
        return cls(
            as_of=c.as_of,
            horizon_months=c.horizon_months,
            dpd_threshold=c.dpd_threshold,
            window_end=c.window_end,
            complete=c.complete,
            count=c.count,
            defaults=c.defaults,
            psi=c.psi,
            psi_band=_band(c.psi_band),
            a=ModelComparisonSideType.from_result(c.a),
            b=ModelComparisonSideType.from_result(c.b),
        )


@dataclass(slots=True)
class TrainingJob:
    """State of one background training run (kept in memory by :data:`job_registry`)."""

    id: str
    model: str
    use: str
    requested_by: str
    status: str = "queued"
    total: int = 0
    done: int = 0
    error: str | None = None
    error_code: str | None = None
    model_version_id: int | None = None
    started_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    finished_at: dt.datetime | None = None
    task: asyncio.Task[None] | None = None


#: Job id -> job, insertion ordered (the oldest finished jobs are forgotten first).
job_registry: OrderedDict[str, TrainingJob] = OrderedDict()

# Numeric job keys, like every core node's (a 32-bit key): the second of start-up, then
# counting, so a key seen before a restart names no other job after it unless a process
# started more jobs than seconds passed. The job supervisor's table replaces them.
_JOB_KEYS = itertools.count(int(time.time()))


def _new_job_id() -> str:
    return str(next(_JOB_KEYS))


@strawberry.type(name="ScoringJob", description="A background model-training run.")
class ScoringJobType(relay.Node):
    job_id: relay.NodeID[str]
    model: str
    use: ModelUse
    status: ScoringJobState
    progress: float = strawberry.field(description="Share of the model fits done, 0 to 1.")
    total: int = strawberry.field(description="Model fits planned (CV folds + final fit).")
    done: int
    error: str | None
    error_code: str | None
    started_at: dt.datetime
    finished_at: dt.datetime | None
    model_version_id: strawberry.Private[int | None]

    @strawberry.field(
        description="Why the job failed, in the caller's language (null unless it failed)."
    )
    def error_message(self, info: strawberry.Info) -> str | None:
        if self.error is None:
            return None
        code = self.error_code or "TRAINING_FAILED"
        return translate(
            f"errors.{code}", language_of(info.context), {"detail": self.error}, default=self.error
        )

    @strawberry.field(description="The state, in the caller's language.")
    def status_label(self, info: strawberry.Info) -> str:
        return label("scoringJobState", self.status, language_of(info.context))

    @strawberry.field(description="The use, in the caller's language.")
    def use_label(self, info: strawberry.Info) -> str:
        return label("modelUse", self.use, language_of(info.context))

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: strawberry.Info, node_ids: list[str], required: bool = False
    ) -> list[ScoringJobType | None]:
        # Jobs are the platform's, not a branch's: any signed-in caller may poll them.
        if getattr(info.context, "user", None) is None:
            return [None for _ in node_ids]
        jobs = [job_registry.get(str(i)) for i in node_ids]
        return [cls.from_job(job) if job else None for job in jobs]

    @classmethod
    def from_job(cls, job: TrainingJob) -> ScoringJobType:
        progress = 1.0 if job.status == "succeeded" else (job.done / job.total if job.total else 0)
        return cls(
            job_id=job.id,
            model=job.model,
            use=ModelUse(job.use),
            status=ScoringJobState(job.status),
            progress=round(min(progress, 1.0), 4),
            total=job.total,
            done=job.done,
            error=job.error,
            error_code=job.error_code,
            started_at=job.started_at,
            finished_at=job.finished_at,
            model_version_id=job.model_version_id,
        )

    @strawberry.field(description="The candidate version the job registered, once done.")
    async def model_version(self, info: strawberry.Info) -> ModelVersionType | None:
        if self.model_version_id is None:
            return None
        row = await _versions(info).get_or_none(id=self.model_version_id)
        return ModelVersionType.from_model(row) if row else None


# -------------------------------------------------------------------------- training job


class _CountingModel:
    """Delegates to a scoring model and counts ``fit`` calls (the job's progress)."""

    def __init__(self, inner: ScoringModel, job: TrainingJob) -> None:
        self._inner = inner
        self._job = job
        self.name = inner.name
        self.description = inner.description
        self.version = inner.version

    def fit(self, X: Any, y: Any, *, categorical: Any, options: Any) -> bytes:
        artefact = self._inner.fit(X, y, categorical=categorical, options=options)
        self._job.done += 1  # one int store from the worker thread: atomic under the GIL
        return artefact

    def predict_proba(self, artefact: bytes, X: Any) -> list[float]:
        return self._inner.predict_proba(artefact, X)

    def explain(self, artefact: bytes, X: Any, top_n: int) -> Any:
        return self._inner.explain(artefact, X, top_n)


def _remember(job: TrainingJob) -> None:
    job_registry[job.id] = job
    while len(job_registry) > MAX_JOBS:
        finished = (k for k, j in job_registry.items() if j.status in ("succeeded", "failed"))
        oldest = next(finished, None)
        if oldest is None:
            break
        job_registry.pop(oldest)


@dataclass(frozen=True, slots=True)
class _Design:
    """The observation design a training job was asked for."""

    as_of: Sequence[dt.date] | None
    performance_months: int
    out_of_time_date: dt.date | None


async def _run_training(
    job: TrainingJob,
    family: ScoringModel,
    design: _Design,
    folds: int,
    options: Mapping[str, Any],
    actor: Principal,
) -> None:
    from smecredit.services import audit
    from smecredit.services.scoring.features import book_training_set
    from smecredit.services.scoring.training import train_and_validate

    job.status = "running"
    try:
        book = await book_training_set(
            design.as_of,
            performance_months=design.performance_months,
            out_of_time_date=design.out_of_time_date,
        )
        data = book.data
        multi_date = data.dates is not None and len(set(data.dates)) > 1
        job.total = folds + 1 + (1 if multi_date and book.out_of_time is None else 0)
        counting = _CountingModel(family, job)
        # CPU-bound: off the event loop so the API keeps answering (and polling works).
        result = await asyncio.to_thread(
            train_and_validate,
            counting,  # type: ignore[arg-type]
            data,
            folds=folds,
            options=options,
            use=job.use,
            out_of_time=book.out_of_time,
            design={**book.window(), "out_of_time_note": book.out_of_time_note},
        )
        version = await registry.register_version(
            job.model, result, use=job.use, created_by=actor.username
        )
        job.model_version_id = version.id
        job.done = job.total
        job.status = "succeeded"
        await audit.record(
            actor,
            "model.train",
            f"model_version:{version.id}",
            after={"job": job.id, "rows": len(data.y), "defaults": sum(data.y)},
        )
    except Exception as error:  # the job reports every failure; the process goes on
        job.status = "failed"
        job.error_code = str(getattr(error, "code", None) or "TRAINING_FAILED")
        job.error = str(getattr(error, "message", None) or error)
        if job.error_code == "TRAINING_FAILED":
            log.exception("training job %s failed", job.id)
    finally:
        job.finished_at = dt.datetime.now(dt.UTC)


async def wait_for_job(job_id: str) -> TrainingJob:
    """Await a job's task (scripts and tests); return the finished job."""
    job = job_registry[job_id]
    if job.task is not None:
        await asyncio.shield(job.task)
    return job


# ------------------------------------------------------------------------------ helpers


def _versions(info: strawberry.Info) -> Any:
    return scoped(info.context, models.ModelVersion)


async def _visible_version(info: strawberry.Info, id: relay.GlobalID) -> models.ModelVersion:
    row = await _versions(info).get_or_none(id=parse_global_id(id, "ModelVersion"))
    if row is None:
        raise NotFound(f"model version {id} not found")
    return row  # type: ignore[no-any-return]


async def _visible_firm(info: strawberry.Info, firm_id: relay.GlobalID) -> int:
    db_id = parse_global_id(firm_id, "Firm")
    if not await scoped(info.context, models.Firm).filter(id=db_id).exists():
        raise NotFound(f"firm {firm_id} not found")
    return db_id


def _drift_type(result: Mapping[str, Any], version: models.ModelVersion) -> ModelDriftType:
    return ModelDriftType(
        model_version=ModelVersionType.from_model(version),
        scored=int(result["scored"]),
        psi=result["psi"],
        band=_band(result["band"]),
        features=[
            FeatureDriftType(feature=name, csi=float(v["csi"]), band=DriftBand(str(v["band"])))
            for name, v in sorted(result["csi"].items(), key=lambda kv: -float(kv[1]["csi"]))
        ],
    )


async def _latest_score(firm_id: int, name: str, version: str) -> models.Score:
    row = (
        await models.Score.filter(firm_id=firm_id, model_name=name, model_version=version)
        .order_by("-id")
        .first()
    )
    assert row is not None  # just written by the scoring service
    return row


@strawberry.input(description="Filters for model versions; all given conditions must hold.")
class ModelVersionFilter:
    use: ModelUse | None = None
    status: ModelStatus | None = None
    name: str | None = strawberry.field(default=None, description="Model family.")


@strawberry.enum(description="Orderings of the model registry.")
class ModelVersionSort(enum.Enum):
    NEWEST_FIRST = "newest_first"
    OLDEST_FIRST = "oldest_first"
    CREATED_DESC = "created_desc"


_MODEL_SORTS = {
    ModelVersionSort.NEWEST_FIRST: SortSpec("id_desc", "id", descending=True),
    ModelVersionSort.OLDEST_FIRST: SortSpec("id_asc", "id"),
    ModelVersionSort.CREATED_DESC: SortSpec("created_desc", "created_at", descending=True),
}


@strawberry.input(description="Filters for a firm's scores; all given conditions must hold.")
class ScoreHistoryFilter:
    model_name: str | None = None
    grade: str | None = None


# ------------------------------------------------------------------------------- queries


@strawberry.type
class ScoringQueries:
    @strawberry.field(description="Registered model versions (default: newest first), paged.")
    async def models(
        self,
        info: strawberry.Info,
        first: int | None = None,
        after: str | None = None,
        filter: ModelVersionFilter | None = None,
        sort: ModelVersionSort | None = None,
    ) -> Connection[ModelVersionType]:
        require_user(info)
        qs = _versions(info)
        if filter is not None:
            if filter.use is not None:
                qs = qs.filter(use=filter.use.value)
            if filter.status is not None:
                qs = qs.filter(status=filter.status.value)
            if filter.name:
                qs = qs.filter(name=filter.name)
        return await paginate(
            qs,
            sort=_MODEL_SORTS[sort or ModelVersionSort.NEWEST_FIRST],
            first=first,
            after=after,
            max_page_size=info.context.settings.max_page_size,
            to_node=ModelVersionType.from_model,
        )

    @strawberry.field(description="One model version (null when it does not exist).")
    async def model_version(
        self, info: strawberry.Info, id: relay.GlobalID
    ) -> ModelVersionType | None:
        require_user(info)
        row = await _versions(info).get_or_none(id=parse_global_id(id, "ModelVersion"))
        return ModelVersionType.from_model(row) if row else None

    @strawberry.field(description="The champion for a use (null when none was promoted).")
    async def champion(
        self, info: strawberry.Info, use: ModelUse = ModelUse.APPLICATION
    ) -> ModelVersionType | None:
        require_user(info)
        row = (
            await _versions(info)
            .filter(use=use.value, status=ModelStatus.CHAMPION.value)
            .order_by("-id")
            .first()
        )
        return ModelVersionType.from_model(row) if row else None

    @strawberry.field(description="A firm's scores from every model, newest first.")
    async def score_history(
        self,
        info: strawberry.Info,
        firm_id: relay.GlobalID,
        first: int | None = None,
        after: str | None = None,
        filter: ScoreHistoryFilter | None = None,
    ) -> Connection[ScoreType]:
        db_id = await _visible_firm(info, firm_id)
        qs = scoped(info.context, models.Score).filter(firm_id=db_id)
        if filter is not None:
            if filter.model_name:
                qs = qs.filter(model_name=filter.model_name)
            if filter.grade:
                qs = qs.filter(grade=filter.grade)
        return await paginate(
            qs,
            sort=_SCORE_HISTORY_SORT,
            first=first,
            after=after,
            max_page_size=info.context.settings.max_page_size,
            to_node=ScoreType.from_model,
        )

    @strawberry.field(description="Population drift of a version: score PSI, feature CSI.")
    async def model_drift(
        self, info: strawberry.Info, model_version_id: relay.GlobalID
    ) -> ModelDriftType:
        require_user(info)
        version = await _visible_version(info, model_version_id)
        return _drift_type(await monitoring.model_drift(version.id), version)

    @strawberry.field(
        description="Back-test of a version's predicted PD against realised defaults by grade."
    )
    async def model_backtest(
        self,
        info: strawberry.Info,
        model_version_id: relay.GlobalID,
        as_of: dt.date,
        horizon_months: int = 12,
        dpd_threshold: int = 90,
    ) -> PdBacktestType:
        require_user(info)
        version = await _visible_version(info, model_version_id)
        report = await monitoring.backtest_report(
            version.id,
            as_of,
            horizon_months=horizon_months,
            dpd_threshold=dpd_threshold,
            available=_available(info),
        )
        return PdBacktestType.from_report(report, version)

    @strawberry.field(
        description="Two versions side by side: both score the book as of asOf (default: the "
        "latest date whose window the book has observed) and are judged on the same firms: "
        "AUC, Gini, KS, calibration by grade, and the PSI between their scores."
    )
    async def model_comparison(
        self,
        info: strawberry.Info,
        a: relay.GlobalID,
        b: relay.GlobalID,
        as_of: dt.date | None = None,
        horizon_months: int = 12,
        dpd_threshold: int = 90,
    ) -> ModelComparisonType:
        require_user(info)
        ids = [parse_global_id(v, "ModelVersion") for v in (a, b)]
        visible = set(await _versions(info).filter(id__in=ids).values_list("id", flat=True))
        for gid, db_id in zip((a, b), ids, strict=True):
            if db_id not in visible:
                raise NotFound(f"model version {gid} not found")
        result = await comparison.compare_versions(
            ids[0],
            ids[1],
            as_of=as_of,
            horizon_months=horizon_months,
            dpd_threshold=dpd_threshold,
            available=_available(info),
        )
        return ModelComparisonType.from_comparison(result)

    @strawberry.field(description="A training job started by trainModel (null when unknown).")
    def scoring_job(self, info: strawberry.Info, id: relay.GlobalID) -> ScoringJobType | None:
        require_user(info)
        job = job_registry.get(str(parse_global_id(id, "ScoringJob")))
        return ScoringJobType.from_job(job) if job else None


# ----------------------------------------------------------------------------- mutations

TrainModelResult = Annotated[ScoringJobType | Errors, strawberry.union("TrainModelResult")]
ModelVersionResult = Annotated[ModelVersionType | Errors, strawberry.union("ModelVersionResult")]
ScoreResult = Annotated[ScoreType | Errors, strawberry.union("ScoreResult")]
ApplicationScoreResult = Annotated[
    ApplicationScoreType | Errors, strawberry.union("ApplicationScoreResult")
]


@strawberry.type
class ScoringMutations:
    @strawberry.mutation(
        description=(
            "Start training a candidate model on the platform's own book; returns the job at "
            "once (poll scoringJob or node). asOf: observation dates (features as of each "
            "date only; default: the latest date whose performance window the book has "
            "observed), performanceMonths: the window after it in which a 90+ DPD default "
            "is the label, outOfTimeDate: a later observation date held out (default: the "
            "last asOf plus the window, when observed), options: model options such as "
            '{"iterations": 200} for catboost. Refusals: UNKNOWN_MODEL, INVALID_INPUT '
            "(InvalidArgument)."
        )
    )
    async def train_model(
        self,
        info: strawberry.Info,
        model: str = "catboost",
        use: ModelUse = ModelUse.APPLICATION,
        as_of: list[dt.date] | None = None,
        folds: int = 5,
        options: JSON | None = None,
        performance_months: int = 12,
        out_of_time_date: dt.date | None = None,
    ) -> TrainModelResult:
        async def work() -> ScoringJobType:
            actor = require_operation(info, "model.train")
            families = _available(info)
            if model not in families:
                known = ", ".join(sorted(families)) or "none"
                raise InvalidInput(
                    f"unknown model {model!r}; installed models: {known}", code="UNKNOWN_MODEL"
                )
            if options is not None and not isinstance(options, dict):
                raise InvalidInput("options must be a JSON object of model options")
            if not 2 <= folds <= 20:
                raise InvalidInput(f"folds must be between 2 and 20, got {folds}")
            design = _Design(list(as_of) if as_of else None, performance_months, out_of_time_date)
            job = TrainingJob(
                id=_new_job_id(), model=model, use=use.value, requested_by=actor.username
            )
            job.total = folds + 1
            _remember(job)
            # A job of the supervisor; it follows the fits counted on ``job`` as its progress.
            handle = await start_tracked(
                supervisor_of(info.context),
                JobKind.TRAINING,
                lambda: _run_training(
                    job, families[model], design, folds, dict(options or {}), actor
                ),
                figures=lambda: (job.done, job.total),
                failure=lambda: (
                    (job.error_code or "TRAINING_FAILED", job.error or "training failed")
                    if job.status == "failed"
                    else None
                ),
                result=lambda: {"model_version": job.model_version_id, "scoring_job": job.id},
                started_by=actor,
                params={"model": model, "use": use.value, "folds": folds, "scoring_job": job.id},
            )
            job.task = asyncio.ensure_future(handle.wait())
            return ScoringJobType.from_job(job)

        return await guard(work())  # type: ignore[return-value]

    @strawberry.mutation(
        description="Make a version champion, challenger, or retire it. A version with "
        "leakageFlags needs acknowledgeLeakage: true and a reason (else "
        "LEAKAGE_UNACKNOWLEDGED, naming the flags)."
    )
    async def promote_model(
        self,
        info: strawberry.Info,
        id: relay.GlobalID,
        to: ModelStatus = ModelStatus.CHAMPION,
        reason: str = "",
        acknowledge_leakage: bool = False,
    ) -> ModelVersionResult:
        async def work() -> ModelVersionType:
            row = await registry.promote(
                parse_global_id(id, "ModelVersion"),
                to=to.value,
                actor=require_user(info),
                reason=reason,
                acknowledge_leakage=acknowledge_leakage,
            )
            return ModelVersionType.from_model(row)

        return await guard(work())  # type: ignore[return-value]

    @strawberry.mutation(description="Retire the champion and restore the one it replaced.")
    async def rollback_model(
        self, info: strawberry.Info, use: ModelUse = ModelUse.APPLICATION, reason: str = ""
    ) -> ModelVersionResult:
        async def work() -> ModelVersionType:
            row = await registry.rollback(use.value, actor=require_user(info), reason=reason)
            return ModelVersionType.from_model(row)

        return await guard(work())  # type: ignore[return-value]

    @strawberry.mutation(description="Score a firm now with the champion and store the score.")
    async def score_firm(
        self,
        info: strawberry.Info,
        firm_id: relay.GlobalID,
        use: ModelUse = ModelUse.APPLICATION,
    ) -> ScoreResult:
        async def work() -> ScoreType:
            db_id = parse_global_id(firm_id, "Firm")
            result = await on_demand.score_firm_now(
                require_user(info),
                db_id,
                use=use.value,
                available=_available(info),
                label=f"firm {firm_id}",
            )
            return ScoreType.from_model(
                await _latest_score(db_id, result.model_name, result.model_version)
            )

        return await guard(work())  # type: ignore[return-value]

    @strawberry.mutation(description="Score a firm for an application: grade, limit, price band.")
    async def score_application(
        self, info: strawberry.Info, firm_id: relay.GlobalID, amount: Decimal
    ) -> ApplicationScoreResult:
        async def work() -> ApplicationScoreType:
            result = await on_demand.score_application_now(
                require_user(info),
                parse_global_id(firm_id, "Firm"),
                amount,
                available=_available(info),
                label=f"firm {firm_id}",
            )
            record = await models.ApplicationScoreRecord.get(id=result.record_id).select_related(
                "score"
            )
            return ApplicationScoreType.from_record(record)

        return await guard(work())  # type: ignore[return-value]
