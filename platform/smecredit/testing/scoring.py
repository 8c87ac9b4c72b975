"""The scoring-model contract: :class:`ScoringModelContract` and :func:`training_sample`."""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from smecredit.sdk import Reason, ScoringModel, declared
from smecredit.testing.kit import NAME_RE, assert_coded, assert_implements, close, raised, skip

__all__ = ["ScoringModelContract", "training_sample"]


def training_sample(
    n: int = 600, seed: int = 7
) -> tuple[list[dict[str, Any]], list[int], list[str]]:
    """A small labelled data set with signal, missing values and a categorical feature.

    Returns:
        ``(rows, labels, categorical feature names)``: ``leverage`` drives the risk,
        ``noise`` does not, ``sector`` (categorical) carries some; about one value in ten
        of ``leverage`` and one in twenty of ``sector`` is missing (None).
    """
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    labels: list[int] = []
    for _ in range(n):
        risk = rng.gauss(0, 1)
        sector = rng.choice(["risky", "safe", "safe"])
        rows.append(
            {
                "leverage": risk + rng.gauss(0, 0.6) if rng.random() > 0.1 else None,
                "noise": rng.gauss(0, 1),
                "sector": sector if rng.random() > 0.05 else None,
            }
        )
        z = -1.5 + 1.5 * risk + (0.8 if sector == "risky" else 0.0)
        labels.append(int(rng.random() < 1 / (1 + math.exp(-z))))
    return rows, labels, ["sector"]


class ScoringModelContract:
    """Pytest base class: what every :class:`~smecredit.sdk.ScoringModel` must honour.

    Subclass it in a ``Test*`` class and set :attr:`model` (and, where the model needs them,
    the training data and options)::

        class TestMyModelContract(ScoringModelContract):
            model = MyModel()
            options = {"iterations": 50}

    Attributes:
        model: the model family under test.
        rows, labels, categorical: training data (default: :func:`training_sample`).
        options: the training options handed to ``fit``.
        top_n: reasons asked of ``explain``.
        scored: how many of the rows the prediction tests score.
    """

    model: ClassVar[ScoringModel]
    rows: ClassVar[Sequence[Mapping[str, Any]] | None] = None
    labels: ClassVar[Sequence[int] | None] = None
    categorical: ClassVar[Sequence[str]] = ()
    options: ClassVar[Mapping[str, Any]] = {}
    top_n: ClassVar[int] = 2
    scored: ClassVar[int] = 40

    _artefacts: ClassVar[dict[type, bytes]] = {}

    def data(self) -> tuple[Sequence[Mapping[str, Any]], Sequence[int], Sequence[str]]:
        """The training rows, labels and categorical features in use."""
        if self.rows is None or self.labels is None:
            return training_sample()
        return self.rows, self.labels, self.categorical

    def artefact(self) -> bytes:
        """The model trained on :meth:`data`, once per test class."""
        cls = type(self)
        if cls not in ScoringModelContract._artefacts:
            rows, labels, categorical = self.data()
            ScoringModelContract._artefacts[cls] = self.model.fit(
                rows, labels, categorical=categorical, options=self.options
            )
        return ScoringModelContract._artefacts[cls]

    def sample(self) -> list[Mapping[str, Any]]:
        """The rows the prediction tests score."""
        return list(self.data()[0][: self.scored])

    def test_declares_identity(self) -> None:
        """name, description and version are declared; predict_and_explain is optional."""
        model = self.model
        assert_implements(model, ScoringModel)
        assert isinstance(model.name, str) and NAME_RE.match(model.name), (
            f"name {model.name!r} must be lower_snake_case"
        )
        assert isinstance(model.description, str) and model.description.strip()
        assert isinstance(model.version, str) and model.version.strip()
        both = declared(model, ScoringModel, "predict_and_explain")
        assert both is None or callable(both), "predict_and_explain must be None or callable"

    def test_fit_returns_bytes(self) -> None:
        """The artefact is non-empty bytes (nothing is pickled into the database)."""
        artefact = self.artefact()
        assert isinstance(artefact, bytes) and artefact, "fit must return non-empty bytes"

    def test_predictions_are_probabilities_in_order(self) -> None:
        """One probability in [0, 1] per row, the same for the same row wherever it sits."""
        rows = self.sample()
        probabilities = self.model.predict_proba(self.artefact(), rows)
        assert len(probabilities) == len(rows)
        assert all(0.0 <= float(p) <= 1.0 for p in probabilities), "not probabilities"
        reversed_ = self.model.predict_proba(self.artefact(), rows[::-1])
        assert close(reversed_[::-1], probabilities), (
            "a row's probability depends on its place in the batch"
        )

    def test_missing_values_are_scored(self) -> None:
        """A row whose every value is missing (None) still gets a probability."""
        keys = sorted({key for row in self.sample() for key in row})
        (p,) = self.model.predict_proba(self.artefact(), [dict.fromkeys(keys)])
        assert 0.0 <= float(p) <= 1.0

    def test_explain_gives_top_reasons_strongest_first(self) -> None:
        """At most top_n Reasons per row, naming the row's features, strongest first."""
        rows = self.sample()
        reasons = self.model.explain(self.artefact(), rows, self.top_n)
        assert len(reasons) == len(rows)
        for row, found in zip(rows, reasons, strict=True):
            assert len(found) <= self.top_n
            assert all(isinstance(r, Reason) for r in found), "explain must give sdk.Reason"
            assert all(r.feature in row for r in found), "a reason names an unknown feature"
            pushes = [float(r.contribution) for r in found]
            assert pushes == sorted(pushes, reverse=True), "reasons are not strongest first"

    def test_predict_and_explain_agrees_with_the_separate_calls(self) -> None:
        """When present, predict_and_explain gives what predict_proba and explain give."""
        both = declared(self.model, ScoringModel, "predict_and_explain")
        if both is None:
            skip("the model has no predict_and_explain")
        rows = self.sample()
        probabilities, reasons = both(self.artefact(), rows, self.top_n)
        assert close(probabilities, self.model.predict_proba(self.artefact(), rows)), (
            "predict_and_explain gives other probabilities than predict_proba"
        )
        assert [[r.feature for r in rs] for rs in reasons] == [
            [r.feature for r in rs] for rs in self.model.explain(self.artefact(), rows, self.top_n)
        ]

    def test_one_class_training_data_is_refused_with_a_code(self) -> None:
        """Labels of one class raise an error with a code (not a crash deep in a library)."""
        rows = list(self.data()[0][:20])
        categorical = self.data()[2]
        assert_coded(
            raised(
                lambda: self.model.fit(
                    rows, [0] * len(rows), categorical=categorical, options=self.options
                )
            )
        )

    def test_unusable_artefact_is_refused_with_a_code(self) -> None:
        """Bytes that are no artefact raise an error with a code."""
        rows = self.sample()[:1]
        assert_coded(raised(lambda: self.model.predict_proba(b"\x00not an artefact", rows)))
