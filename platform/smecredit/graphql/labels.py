"""The catalogue as a client reads it: ``labels(kind)`` and ``languages``.

A client renders a filter's options, a legend or a drop-down from ``labels(kind:
"loanClass")``: every catalogued value of the kind with its text in the caller's language,
in catalogue order (the order the area lists them, e.g. ``NORMAL`` to ``LOSS``). The
values are the enum values of the API (``LoanClass.SUBSTANDARD`` is ``SUBSTANDARD``), so
an option's value goes straight into a filter. ``languages`` lists the languages the API
answers in, each named in the caller's language and its own, and which one this request
got (see ``docs/graphql.md#languages``).

Both are reads of the catalogue for every signed-in user: no operation of the
authorisation table, no row scope (the catalogue holds no data of anybody's).
"""

from __future__ import annotations

import enum

import strawberry

from smecredit.errors import InvalidInput
from smecredit.i18n import LANGUAGES, kinds, labels_of, language_of, translate
from smecredit.security.caller import caller

__all__ = ["Label", "LabelQueries", "Language", "LanguageOption"]

#: Kinds that are not labels of values: error messages arrive with their errors (they are
#: templates filled with the refusal's details).
_NOT_LABELS = frozenset({"errors"})


@strawberry.type(description="One value of an enumerated kind and its text in your language.")
class Label:
    value: str = strawberry.field(
        description="The value as the API names it (an enum value such as `SUBSTANDARD`)."
    )
    text: str = strawberry.field(description="What a person reads, in your language.")


@strawberry.enum(description="A language of the platform's texts (messages, labels).")
class Language(enum.Enum):
    ZH_CN = "zh-CN"
    EN = "en"


@strawberry.type(description="A language the API answers in, named for the reader.")
class LanguageOption:
    language: Language = strawberry.field(description="The language (as `setMyLanguage` takes it).")
    tag: str = strawberry.field(description="BCP 47 tag: `zh-CN` or `en`.")
    name: str = strawberry.field(description="Its name in your language.")
    native_name: str = strawberry.field(description="Its name in itself (`简体中文`, `English`).")
    current: bool = strawberry.field(description="True for the language of this request.")


def label_kinds() -> list[str]:
    """The kinds ``labels`` answers, sorted."""
    return [kind for kind in kinds() if kind not in _NOT_LABELS]


@strawberry.type
class LabelQueries:
    @strawberry.field(
        description=(
            "Every value of an enumerated kind (`loanClass`, `applicationStatus`, "
            "`warningSeverity`, ...) with its text in your language, in catalogue order: "
            "the options of a filter. An unknown kind fails with `INVALID_INPUT` naming "
            "`kind`; the message lists the known kinds."
        )
    )
    def labels(self, info: strawberry.Info, kind: str) -> list[Label]:
        caller(info.context)
        known = label_kinds()
        if kind not in known:
            # The message names the fault, never repeats the value (the boundary's rule).
            raise InvalidInput(f"kind has no labels; known kinds: {', '.join(known)}", field="kind")
        language = language_of(info.context)
        return [Label(value=value, text=text) for value, text in labels_of(kind, language)]

    @strawberry.field(
        description=(
            "The languages the API answers in (`Accept-Language`, or your saved "
            "preference), and which one this request got."
        )
    )
    def languages(self, info: strawberry.Info) -> list[LanguageOption]:
        caller(info.context)
        current = language_of(info.context)
        return [
            LanguageOption(
                language=Language(tag),
                tag=tag,
                name=translate(f"language.{tag}", current),
                native_name=translate(f"language.{tag}", tag),
                current=tag == current,
            )
            for tag in LANGUAGES
        ]
