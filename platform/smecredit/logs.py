"""Log records never carry a long value whole.

A request can hold a 900 KB argument, and several loggers repeat what they are given: the
access log writes the request line, strawberry logs every GraphQL error with its message
and traceback, exceptions quote the value that broke them. Written whole, each such
request costs megabytes of log (and spreads whatever the value held).

:func:`install_log_caps` makes every record of the process pass through
:func:`cap_record` as it is created, whichever logger and handler it goes to: each
argument of the message, the message itself and each line of an attached traceback are
cut to :data:`MAX_VALUE_CHARS` characters, with a note saying how long they were.
:class:`CapLongValues` does the same as a ``logging.Filter``, for handlers configured
elsewhere (``dictConfig``).
"""

from __future__ import annotations

import logging
from typing import Any

__all__ = ["MAX_VALUE_CHARS", "CapLongValues", "cap_record", "cap_text", "install_log_caps"]

#: The most characters of one value (an argument, the message, a traceback line) kept.
MAX_VALUE_CHARS = 2048
_MARK = "_smecredit_capped"
_formatter = logging.Formatter()


def cap_text(text: str, limit: int = MAX_VALUE_CHARS) -> str:
    """``text`` cut to ``limit`` characters, saying how many there were."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... [{len(text):,} characters, cut at {limit:,}]"


def _cap_arg(value: Any, limit: int) -> Any:
    if isinstance(value, int | float | bool) or value is None:
        return value  # %d and %f need numbers, and numbers are short
    text = value if isinstance(value, str) else None
    if text is None:
        try:
            text = str(value)
        except Exception:  # a value whose str() fails is logged as the logging module would
            return value
    return cap_text(text, limit) if len(text) > limit else value


def cap_record(record: logging.LogRecord, limit: int = MAX_VALUE_CHARS) -> logging.LogRecord:
    """Cut the long values of ``record`` in place (idempotent) and return it."""
    if getattr(record, _MARK, False):
        return record
    setattr(record, _MARK, True)
    if isinstance(record.args, tuple):
        record.args = tuple(_cap_arg(arg, limit) for arg in record.args)
    elif isinstance(record.args, dict):
        record.args = {key: _cap_arg(arg, limit) for key, arg in record.args.items()}
    if not isinstance(record.msg, str):
        # e.g. strawberry logs the GraphQLError object itself.
        record.msg = _cap_arg(record.msg, limit)
    elif len(record.msg) > limit:
        record.msg = cap_text(record.msg, limit)
    if record.exc_info and not record.exc_text:
        text = _formatter.formatException(record.exc_info)
        if len(text) > limit:
            record.exc_text = "\n".join(cap_text(line, limit) for line in text.splitlines())
    elif record.exc_text and len(record.exc_text) > limit:
        record.exc_text = "\n".join(cap_text(line, limit) for line in record.exc_text.splitlines())
    return record


class CapLongValues(logging.Filter):
    """A filter that cuts long values (see :func:`cap_record`) and lets every record pass."""

    def filter(self, record: logging.LogRecord) -> bool:
        cap_record(record)
        return True


def install_log_caps() -> None:
    """Cap the values of every log record created from now on, in this process (idempotent)."""
    factory = logging.getLogRecordFactory()
    if getattr(factory, _MARK, False):
        return

    def capped_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return cap_record(factory(*args, **kwargs))

    setattr(capped_factory, _MARK, True)
    logging.setLogRecordFactory(capped_factory)
