"""The masking-strategy contract: :class:`MaskingStrategyContract`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from smecredit.sdk import MaskingStrategy
from smecredit.testing.kit import NAME_RE, assert_coded, assert_implements, raised

__all__ = ["MaskingStrategyContract"]

#: Values every strategy must take without raising (it may leave some of them as they are).
ANY_TEXT: tuple[str, ...] = (
    "",
    "x",
    "13812345678",
    "110101199003077578",
    "张三",
    "北京市朝阳区建国路88号",
    "6222 0212 3456 7890",
    "12345.67",
    "  spaced  out  ",
    "=cmd|' /C calc'!A0",
)


class MaskingStrategyContract:
    """Pytest base class: what every :class:`~smecredit.sdk.MaskingStrategy` must honour.

    Subclass it in a ``Test*`` class::

        class TestMobileContract(MaskingStrategyContract):
            strategy = MobileStrategy()
            samples = ("13812345678", "+86 138 1234 5678")

    Attributes:
        strategy: the strategy under test.
        samples: values of the kind the strategy is for; each must come out changed.
        options: options passed to every ``mask`` call (e.g. a key).
    """

    strategy: ClassVar[MaskingStrategy]
    samples: ClassVar[Sequence[str]] = ()
    options: ClassVar[Mapping[str, Any]] = {}

    def mask(self, value: str | None) -> str | None:
        """``strategy.mask(value, **options)``."""
        return self.strategy.mask(value, **self.options)

    def test_declares_identity(self) -> None:
        """name and description are declared."""
        assert_implements(self.strategy, MaskingStrategy)
        assert isinstance(self.strategy.name, str) and NAME_RE.match(self.strategy.name), (
            f"name {self.strategy.name!r} must be lower_snake_case"
        )
        assert isinstance(self.strategy.description, str) and self.strategy.description.strip()

    def test_none_stays_none(self) -> None:
        """mask(None) is None."""
        assert self.mask(None) is None, "mask(None) must be None"

    def test_samples_are_hidden(self) -> None:
        """Every sample comes out changed, as a string (there must be samples)."""
        assert self.samples, "give a few samples of the values the strategy is for"
        for sample in self.samples:
            masked = self.mask(sample)
            assert isinstance(masked, str), f"mask({sample!r}) gave {masked!r}"
            assert masked != sample, f"mask({sample!r}) hid nothing"

    def test_idempotent(self) -> None:
        """mask(mask(v)) == mask(v) for the samples and for any text."""
        for value in (*self.samples, *ANY_TEXT):
            once = self.mask(value)
            assert self.mask(once) == once, f"masking {value!r} twice changed {once!r}"

    def test_any_text_is_taken(self) -> None:
        """Text of another kind is masked or left alone, never a crash."""
        for value in ANY_TEXT:
            assert isinstance(self.mask(value), str), f"mask({value!r}) is not a string"

    def test_unknown_option_is_refused_with_a_code(self) -> None:
        """An unknown option raises an error with a code, naming the option."""
        options = {**self.options, "no_such_option_": 1}
        error = raised(lambda: self.strategy.mask("x", **options))
        assert_coded(error)
        assert "no_such_option_" in str(error), "the error should name the bad option"
