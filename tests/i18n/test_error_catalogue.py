"""No error code escapes the catalogue, and the two languages of every catalogue agree.

The codes are collected from the code itself, never from a list kept by hand:

* the ``code`` class attribute of every :class:`CodedError` subclass (every module under
  ``smecredit`` and of every installed plugin is imported first, so each class exists), and
  of every other exception class of the platform or a plugin that carries a stable code
  (the GraphQL layer shows any exception with an UPPER_SNAKE ``code``);
* the sources, scanned for codes passed when raising: ``code="X"`` keyword arguments in
  calls of those classes, and the first positional argument of the classes that take their
  code first (``TrainingError("TOO_FEW_ROWS", ...)``);
* the codes the GraphQL and HTTP layers answer themselves (``{"code": "X"}`` literals,
  ``_refusal_body("X", ...)``, :data:`smecredit.graphql.errors.LAYER_CODES`);
* the codes a file reader reports (``ReadIssue("X", ...)``, ``_file_error("X", ...)``),
  which the files source raises as its error's code when nothing can be read.

Calls of other things that happen to take a ``code`` (a warning rule's ``Indicator``, a
demo product) are not error codes and are not collected.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import pkgutil
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

import smecredit
from smecredit.domain.errors import CodedError
from smecredit.graphql.errors import LAYER_CODES
from smecredit.i18n import LANGUAGES, catalogue

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = ROOT / "platform" / "smecredit" / "i18n" / "catalogues"
SOURCES = [ROOT / "platform" / "smecredit", *sorted((ROOT / "plugins").glob("*/smecredit_*"))]
UPPER_SNAKE = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*")
PARAM = re.compile(r"\{(\w+)\}")
#: Callables whose first argument becomes an error's code later (the files source raises
#: a reader's file-level issue with the issue's code), or that answer a refusal themselves.
RELAYS = frozenset({"ReadIssue", "_file_error", "_refusal_body", "_refuse"})
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")


def _plugin_packages() -> list[str]:
    return sorted(p.name for p in SOURCES[1:])


def _import_everything() -> None:
    """Import every module of the platform and the plugins, so every class is defined."""
    for package_name in ["smecredit", *_plugin_packages()]:
        package = importlib.import_module(package_name)
        for module in pkgutil.walk_packages(package.__path__, prefix=f"{package_name}."):
            if module.name.endswith("__main__"):
                continue
            importlib.import_module(module.name)


def _subclasses(base: type) -> Iterator[type]:
    for sub in base.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _ours(cls: type) -> bool:
    root = cls.__module__.split(".")[0]
    return root == "smecredit" or root in _plugin_packages()


def _takes_code_first(cls: type) -> bool:
    try:
        params = list(inspect.signature(cls.__init__).parameters)
    except (TypeError, ValueError):
        return False
    return len(params) > 1 and params[1] == "code"


@cache
def _error_classes() -> dict[str, type]:
    """Name -> class of every exception of ours that carries a code."""
    _import_everything()
    out: dict[str, type] = {}
    for cls in _subclasses(Exception):
        if not _ours(cls):
            continue
        if issubclass(cls, CodedError) or "code" in vars(cls) or _takes_code_first(cls):
            out[cls.__name__] = cls
    return out


def _call_name(node: ast.Call) -> str | None:
    func = node.func
    return getattr(func, "id", None) or getattr(func, "attr", None)


def _constant(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value if UPPER_SNAKE.fullmatch(node.value) else None
    return None


def _codes_in_source(classes: dict[str, type]) -> dict[str, str]:
    """Code -> where it is first raised, from the sources."""
    code_first = {name for name, cls in classes.items() if _takes_code_first(cls)}
    found: dict[str, str] = {}
    for source in SOURCES:
        for path in sorted(source.rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            where = path.relative_to(ROOT)
            for node in ast.walk(tree):
                codes: list[str | None] = []
                if isinstance(node, ast.Call):
                    name = _call_name(node)
                    if name in classes:
                        codes += [_constant(k.value) for k in node.keywords if k.arg == "code"]
                        if name in code_first and node.args:
                            codes.append(_constant(node.args[0]))
                    elif name in RELAYS:
                        codes += [_constant(arg) for arg in node.args[:3]]
                elif isinstance(node, ast.Dict):
                    for key, value in zip(node.keys, node.values, strict=True):
                        if isinstance(key, ast.Constant) and key.value == "code":
                            codes.append(_constant(value))
                for code in codes:
                    if code:
                        found.setdefault(code, f"{where}:{node.lineno}")  # type: ignore[attr-defined]
    return found


@cache
def every_error_code() -> dict[str, str]:
    """Every error code of the platform and its plugins -> where it comes from."""
    classes = _error_classes()
    codes: dict[str, str] = {}
    for cls in classes.values():
        code = vars(cls).get("code")
        if isinstance(code, str) and UPPER_SNAKE.fullmatch(code):
            codes.setdefault(code, f"{cls.__module__}.{cls.__qualname__}")
    for code, where in _codes_in_source(classes).items():
        codes.setdefault(code, where)
    for code in LAYER_CODES:
        codes.setdefault(code, "smecredit.graphql.errors.LAYER_CODES")
    return codes


def test_the_collection_finds_the_known_families() -> None:
    codes = every_error_code()
    # one of each way a code is written, so a broken scan cannot pass silently
    for code in (
        "NOT_FOUND",  # class attribute
        "USERNAME_TAKEN",  # code= keyword
        "TOO_FEW_DEFAULTS",  # positional code of TrainingError
        "BAD_TRAINING_DATA",  # a plugin's ModelInputError
        "INTERNAL_ERROR",  # answered by the GraphQL layer itself
        "PAYLOAD_TOO_LARGE",  # answered by the HTTP layer
        "BAD_USER_INPUT",  # strawberry's own input errors
        "EMPTY_FILE",  # a file reader's issue, raised by the files source
    ):
        assert code in codes, code
    # a warning rule's name is not an error code
    assert "DEBT_TO_ASSET" not in codes
    assert "LOAN_DPD" not in codes


def test_every_error_code_is_catalogued_in_both_languages() -> None:
    texts = catalogue()
    missing = {
        code: where
        for code, where in sorted(every_error_code().items())
        if any(f"errors.{code}" not in texts[lang] for lang in LANGUAGES)
    }
    assert not missing, (
        "error codes without errors.<CODE> in both languages "
        f"(add them to a catalogue in platform/smecredit/i18n/catalogues/): {missing}"
    )


def _files() -> list[Path]:
    return sorted(CATALOGUES.glob("*.json"))


@pytest.mark.parametrize("path", _files(), ids=lambda p: p.name)
def test_both_languages_of_a_catalogue_have_the_same_keys(path: Path) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    assert sorted(data) == sorted(LANGUAGES), f"{path.name}: sections {sorted(data)}"
    zh, en = (set(data[lang]) for lang in LANGUAGES)
    assert not zh - en, f"{path.name}: only in zh-CN: {sorted(zh - en)}"
    assert not en - zh, f"{path.name}: only in en: {sorted(en - zh)}"


#: The whole English text is the technical one: it names everything the refusal says, so
#: the Chinese may name any of the refusal's params (or none).
TECHNICAL = "{detail}"


@pytest.mark.parametrize("path", _files(), ids=lambda p: p.name)
def test_a_template_names_the_same_params_in_both_languages(path: Path) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    zh, en = (data[lang] for lang in LANGUAGES)
    differ = {
        key: (sorted(set(PARAM.findall(zh[key]))), sorted(set(PARAM.findall(en[key]))))
        for key in zh.keys() & en.keys()
        if en[key] != TECHNICAL and set(PARAM.findall(zh[key])) != set(PARAM.findall(en[key]))
    }
    assert not differ, f"{path.name}: params differ (zh-CN, en): {differ}"


@pytest.mark.parametrize("path", _files(), ids=lambda p: p.name)
def test_each_language_is_written_in_its_language(path: Path) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    ascii_zh = sorted(k for k, text in data["zh-CN"].items() if not CJK.search(text))
    cjk_en = sorted(k for k, text in data["en"].items() if CJK.search(text))
    assert not ascii_zh, f"{path.name}: zh-CN texts without Chinese: {ascii_zh}"
    assert not cjk_en, f"{path.name}: en texts with Chinese characters: {cjk_en}"
    blank = sorted(k for lang in LANGUAGES for k, text in data[lang].items() if not text.strip())
    assert not blank, f"{path.name}: blank texts: {blank}"


def test_keys_are_dotted_kind_and_value() -> None:
    for path in _files():
        for key in json.loads(path.read_text(encoding="utf-8"))["zh-CN"]:
            kind, dot, value = key.partition(".")
            assert dot and kind and value, f"{path.name}: {key!r} is not <kind>.<VALUE>"


def test_the_merged_catalogue_loads() -> None:
    # two files defining one key, or a file without a language, fail here
    texts = catalogue()
    assert set(texts) == set(LANGUAGES)
    assert smecredit.i18n.has_key("errors.CONFLICT")
