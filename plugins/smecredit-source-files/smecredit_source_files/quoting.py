"""Where a CSV record ends: the quote state of Python's ``csv`` reader, tracked per line.

The reader feeds ``csv.reader`` one physical line at a time. A record continues onto the
next line exactly when ``csv`` is inside a quoted field at the end of a line. Knowing that
ourselves, before ``csv`` does, lets the reader:

* stop feeding a record that grows too large and skip the rest of its quoted cell without
  holding it (one bad cell costs one record, and the rows after it are read);
* recognise a quote that is never closed (it would swallow the rest of the file);
* replace a line it cannot hand over (undecodable, too long) by one that leaves ``csv`` in
  the state the real line would have left it in.

The rules mirror ``csv``'s default dialect with ``strict=False`` (CPython's
``Modules/_csv.c``): a quote opens a quoted field only at the start of a field; inside it
``""`` is a literal quote and a lone ``"`` closes it; after the closing quote, characters up
to the next delimiter belong to the field (quotes there are literal); a carriage return in an
unquoted field ends the record (``csv`` raises on what follows and starts afresh on the next
line). Property tests check both functions against ``csv`` itself.
"""

from __future__ import annotations

import re
from enum import Enum
from functools import cache

__all__ = ["QuoteState", "advance", "line_ends_quoted"]


class QuoteState(Enum):
    """Where ``csv`` stands inside a physical line (for :func:`advance`)."""

    #: At the start of a field (also of a record).
    FIELD_START = "field_start"
    #: Inside an unquoted field (or the tail of a quoted one after its closing quote).
    IN_FIELD = "in_field"
    #: Inside a quoted field.
    QUOTED = "quoted"
    #: Inside a quoted field, just after a quote: a second quote is a literal one.
    QUOTE_SEEN = "quote_seen"
    #: The record ended on this line; the rest of the line does not matter.
    ENDED = "ended"


@cache
def _open_at_end(delimiter: str) -> re.Pattern[str]:
    d = re.escape(delimiter)
    quoted = rf'"(?:[^"]|"")*+"[^{d}\r\n]*+'
    unquoted = rf'[^"{d}\r\n][^{d}\r\n]*+'
    # Complete fields, each followed by a delimiter, then a quoted field left open to the
    # end of the line. Possessive quantifiers: one parse, linear time, like csv's own.
    return re.compile(rf'(?:(?:{quoted}|{unquoted})?+{d})*+"(?:[^"]|"")*+\Z')


def line_ends_quoted(line: str, *, quoted: bool, delimiter: str = ",") -> bool:
    """Whether ``csv`` is inside a quoted field at the end of ``line``.

    Args:
        line: one physical line, with its line ending (or the last line without one).
        quoted: whether the line starts inside a quoted field (the previous line ended
            quoted); otherwise it starts a record.
        delimiter: the field delimiter.

    Returns:
        True when the record continues onto the next line.
    """
    if '"' not in line:
        return quoted
    text = '"' + line if quoted else line
    return _open_at_end(delimiter).match(text) is not None


@cache
def _unquoted_event(delimiter: str) -> re.Pattern[str]:
    # In unquoted text only two things matter: a field that opens with a quote, and the
    # end of the record. Plain delimiters between them change nothing.
    return re.compile(rf'{re.escape(delimiter)}"|[\r\n]')


def advance(state: QuoteState, text: str, *, delimiter: str = ",") -> QuoteState:
    """The state after ``text``, a piece of one physical line read in chunks.

    Feed the pieces of a line in order, starting from ``FIELD_START`` (a new record) or
    ``QUOTED`` (the line continues a quoted field). After the last piece, the record
    continues onto the next line exactly when the state is ``QUOTED``.

    Args:
        state: the state before ``text``.
        text: the next piece of the line.
        delimiter: the field delimiter.

    Returns:
        The state after ``text``.
    """
    pos, end = 0, len(text)
    events = _unquoted_event(delimiter)
    while pos < end:
        if state is QuoteState.ENDED:
            return state
        if state is QuoteState.FIELD_START:
            if text[pos] == '"':
                state, pos = QuoteState.QUOTED, pos + 1
                continue
            state = QuoteState.IN_FIELD
        if state is QuoteState.IN_FIELD:
            event = events.search(text, pos)
            if event is None:
                return QuoteState.FIELD_START if text.endswith(delimiter) else state
            if event.group() in ("\r", "\n"):
                return QuoteState.ENDED
            state, pos = QuoteState.QUOTED, event.end()
            continue
        if state is QuoteState.QUOTED:
            quote = text.find('"', pos)
            if quote < 0:
                return state
            state, pos = QuoteState.QUOTE_SEEN, quote + 1
            continue
        # QUOTE_SEEN: the character after a quote inside a quoted field decides.
        char = text[pos]
        pos += 1
        if char == '"':
            state = QuoteState.QUOTED
        elif char == delimiter:
            state = QuoteState.FIELD_START
        elif char in "\r\n":
            return QuoteState.ENDED
        else:
            state = QuoteState.IN_FIELD
    return state
