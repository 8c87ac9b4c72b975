"""The platform's two languages: every text a person reads, in zh-CN and en.

Texts live in catalogues, ``catalogues/<namespace>.json``, one file per area of the
platform (``errors``, ``lending``, ``warnings`` ...), each holding both languages side by
side so that a key can never be added to one language only::

    {"zh-CN": {"errors.CONFLICT": "..."}, "en": {"errors.CONFLICT": "..."}}

A key is dotted, ``<kind>.<value>`` (``errors.CONFLICT``, ``loanClass.SUBSTANDARD``) and
unique across all files. A template may name parameters in braces (``{field}``); a
parameter the caller does not pass is left as written rather than failing, so a
translation never turns a refusal into a crash.

The language of a request is negotiated once (:func:`negotiate`): the signed-in user's
saved preference, else the first supported ``Accept-Language`` entry, else the
``SMECREDIT_DEFAULT_LANGUAGE`` setting (zh-CN).

Where a code's text is specific to each refusal (argument errors name the field and the
fault), its template may embed ``{detail}``, the technical text, until each of those
refusals has a key of its own.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any, Final

__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "catalogue",
    "has_key",
    "kinds",
    "label",
    "labels_of",
    "language_of",
    "negotiate",
    "normalise_language",
    "translate",
]

#: The supported languages, default first.
LANGUAGES: Final = ("zh-CN", "en")
DEFAULT_LANGUAGE: Final = "zh-CN"


class _KeepMissing(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


@cache
def catalogue() -> Mapping[str, Mapping[str, str]]:
    """Every catalogue file merged: language -> key -> template.

    Raises:
        ValueError: a file lacks a language, or two files define the same key.
    """
    merged: dict[str, dict[str, str]] = {lang: {} for lang in LANGUAGES}
    owner: dict[str, str] = {}
    folder = resources.files(__package__).joinpath("catalogues")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".json"):
            continue
        data = json.loads(entry.read_text(encoding="utf-8"))
        for lang in LANGUAGES:
            if lang not in data:
                raise ValueError(f"catalogue {entry.name} has no {lang!r} section")
            for key, text in data[lang].items():
                if lang == DEFAULT_LANGUAGE:
                    if key in owner:
                        raise ValueError(
                            f"catalogue key {key!r} is defined in {owner[key]} and {entry.name}"
                        )
                    owner[key] = entry.name
                merged[lang][key] = text
    return merged


def has_key(key: str) -> bool:
    """True when ``key`` is catalogued (in the default language)."""
    return key in catalogue()[DEFAULT_LANGUAGE]


def kinds() -> tuple[str, ...]:
    """Every kind of the catalogue (the part of a key before its first dot), sorted."""
    return tuple(sorted({key.partition(".")[0] for key in catalogue()[DEFAULT_LANGUAGE]}))


def labels_of(kind: str, language: str | None = None) -> list[tuple[str, str]]:
    """Every ``(value, text)`` of ``kind`` in ``language``, in catalogue order.

    ``labels_of("loanClass", "en")`` -> ``[("NORMAL", "Normal"), ...]``: what a client
    needs to render the options of a filter. An unknown kind answers an empty list.
    """
    lang = normalise_language(language) or DEFAULT_LANGUAGE
    prefix = f"{kind}."
    return [
        (key[len(prefix) :], text)
        for key, text in catalogue()[lang].items()
        if key.startswith(prefix)
    ]


def normalise_language(value: str | None) -> str | None:
    """A supported language for a tag (``zh``, ``zh-cn``, ``en-GB`` ...), or None."""
    if not value:
        return None
    tag = value.strip().lower().replace("_", "-")
    if tag.startswith("zh"):
        return "zh-CN"
    if tag.startswith("en"):
        return "en"
    return None


def negotiate(
    accept_language: str | None,
    preference: str | None = None,
    default: str = DEFAULT_LANGUAGE,
) -> str:
    """The language of a request: the user's saved preference, else the best supported
    ``Accept-Language`` entry (by q-value, then order), else ``default`` (the
    ``SMECREDIT_DEFAULT_LANGUAGE`` setting)."""
    chosen = normalise_language(preference)
    if chosen:
        return chosen
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate((accept_language or "").split(",")):
        tag, _, rest = part.strip().partition(";")
        q = 1.0
        rest = rest.strip()
        if rest.startswith("q="):
            try:
                q = float(rest[2:])
            except ValueError:
                q = 0.0
        lang = normalise_language(tag)
        if lang and q > 0:
            ranked.append((-q, index, lang))
    return sorted(ranked)[0][2] if ranked else default


def translate(
    key: str,
    language: str | None = None,
    params: Mapping[str, Any] | None = None,
    *,
    default: str | None = None,
) -> str:
    """The text for ``key`` in ``language`` with ``params`` filled in.

    An uncatalogued key answers ``default`` (or the key itself); the catalogue tests make
    sure no shipped key is missing.
    """
    lang = normalise_language(language) or DEFAULT_LANGUAGE
    template = catalogue()[lang].get(key)
    if template is None:
        return default if default is not None else key
    if not params:
        return template
    return template.format_map(_KeepMissing({k: v for k, v in params.items()}))


def label(kind: str, value: object, language: str | None = None) -> str:
    """The display text of an enumerated value: key ``<kind>.<VALUE>`` (``loanClass.NORMAL``).

    ``value`` may be an :class:`enum.Enum` (its name is used) or a string.
    """
    name = getattr(value, "name", None) or str(value)
    return translate(f"{kind}.{name}", language, default=name)


def language_of(context: Any) -> str:
    """The negotiated language of a GraphQL context; one that negotiated none answers its
    settings' default language, else zh-CN."""
    chosen = getattr(context, "language", None)
    if chosen:
        return str(chosen)
    return getattr(getattr(context, "settings", None), "default_language", DEFAULT_LANGUAGE)
