"""The vectorised scores and index agree with the single-firm domain functions."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from smecredit.domain.warning_index import (
    Level,
    Thresholds,
    composite_index,
    index_level,
    indicator_score,
)
from smecredit.services.warnings.index import (
    composite_index_columns,
    index_levels,
    indicator_scores,
)

_VALUES = st.lists(
    st.one_of(st.none(), st.floats(-50, 250, allow_nan=False)), min_size=1, max_size=12
)


@settings(max_examples=100, deadline=None)
@given(values=_VALUES, lower_is_worse=st.booleans())
def test_indicator_scores_match_the_domain(
    values: list[float | None], lower_is_worse: bool
) -> None:
    t = (10.0, 30.0, 60.0, 90.0)
    direction = "lower_is_worse" if lower_is_worse else "higher_is_worse"
    thresholds = Thresholds(*(-x for x in t)) if lower_is_worse else Thresholds(*t)
    arr = np.asarray([np.nan if v is None else v for v in values])
    got = indicator_scores(arr, vars(thresholds), direction)
    for v, g in zip(values, got, strict=True):
        if v is None:
            assert math.isnan(g)
        else:
            assert g == indicator_score(v, thresholds, direction)  # type: ignore[arg-type]


@settings(max_examples=100, deadline=None)
@given(
    rows=st.lists(
        st.tuples(*(st.one_of(st.none(), st.floats(0, 100)) for _ in range(3))),
        min_size=1,
        max_size=10,
    ),
    weights=st.tuples(*(st.floats(0, 5) for _ in range(3))),
)
def test_composite_index_and_levels_match_the_domain(
    rows: list[tuple[float | None, ...]], weights: tuple[float, ...]
) -> None:
    names = ["a", "b", "c"]
    w = dict(zip(names, weights, strict=True))
    columns = {
        n: np.asarray([np.nan if r[k] is None else r[k] for r in rows]) for k, n in enumerate(names)
    }
    index = composite_index_columns(columns, w)
    levels = index_levels(index)
    for r, got, lvl in zip(rows, index, levels, strict=True):
        scores = dict(zip(names, r, strict=True))
        if not any(s is not None and w[n] > 0 for n, s in scores.items()):
            assert math.isnan(got) and lvl == 0
            continue
        expected = composite_index(scores, w)
        assert math.isclose(got, expected, abs_tol=1e-9)
        domain_level = index_level(expected)
        assert lvl == (0 if domain_level is None else int(domain_level))
    assert set(np.unique(levels)) <= {0, *map(int, Level)}
