"""The quote tracker agrees with Python's csv reader on where every record ends."""

from __future__ import annotations

import csv

from hypothesis import given, settings
from hypothesis import strategies as st
from smecredit_source_files.quoting import QuoteState, advance, line_ends_quoted

# Short lines over the characters that matter to quoting, each ending in \n (or \r\n).
_line = st.builds(
    lambda body, ending: body + ending,
    st.text(st.sampled_from('a",\r\t '), max_size=12),
    st.sampled_from(["\n", "\r\n"]),
)
_lines = st.lists(_line, min_size=1, max_size=12)


def _csv_record_ends(lines: list[str], delimiter: str) -> set[int]:
    """Indexes of the lines on which csv ends a record (or gives up on one)."""
    reader = csv.reader(iter(lines), delimiter=delimiter)
    ends: set[int] = set()
    while True:
        try:
            next(reader)
        except StopIteration:
            return ends
        except csv.Error:
            pass
        ends.add(reader.line_num - 1)


def _tracked(lines: list[str], delimiter: str, chunk: int | None) -> list[bool]:
    quoted, out = False, []
    for line in lines:
        if chunk is None:
            quoted = line_ends_quoted(line, quoted=quoted, delimiter=delimiter)
        else:
            state = QuoteState.QUOTED if quoted else QuoteState.FIELD_START
            for start in range(0, len(line), chunk):
                state = advance(state, line[start : start + chunk], delimiter=delimiter)
            quoted = state is QuoteState.QUOTED
        out.append(quoted)
    return out


@settings(max_examples=400, deadline=None)
@given(_lines, st.sampled_from([",", "\t"]), st.none() | st.integers(1, 5))
def test_record_ends_match_csv(lines: list[str], delimiter: str, chunk: int | None) -> None:
    ends = _csv_record_ends(lines, delimiter)
    continues = _tracked(lines, delimiter, chunk)
    # The last line is left out: at the end of input csv ends any record, quoted or not.
    for index in range(len(lines) - 1):
        assert continues[index] == (index not in ends), (index, lines)


def test_examples() -> None:
    assert line_ends_quoted('a,"b\n', quoted=False)
    assert not line_ends_quoted('a,"b"\n', quoted=False)
    assert not line_ends_quoted('a,b"c\n', quoted=False)  # a quote inside a field is literal
    assert line_ends_quoted('a""b\n', quoted=True)  # "" is a literal quote in a quoted cell
    assert not line_ends_quoted('end",x\n', quoted=True)
    assert line_ends_quoted("no quotes here\n", quoted=True)
    state = advance(QuoteState.FIELD_START, 'a,"b', delimiter=",")
    assert state is QuoteState.QUOTED
    assert advance(state, '"', delimiter=",") is QuoteState.QUOTE_SEEN
