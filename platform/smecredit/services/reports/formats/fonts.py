"""The CJK font of PDF reports: the setting, else the known paths of Debian's packages.

A PDF without a font that has Chinese characters would show boxes; the writer refuses
instead, with :class:`ReportFontMissing` naming the package to install and the setting.
A font collection (``.ttc``) holds several faces: the Simplified Chinese one is chosen.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final

from smecredit.services.reports.formats.errors import ReportFontMissing

__all__ = ["FONT_PACKAGE", "FONT_SETTING", "KNOWN_FONTS", "ReportFont", "find_font"]

#: What to install for the PDF font (Debian).
FONT_PACKAGE: Final = "fonts-noto-cjk"
#: The setting that names a font file instead.
FONT_SETTING: Final = "SMECREDIT_REPORT_FONT"
#: Where Debian's (and other distributions') CJK font packages put their fonts, best first.
KNOWN_FONTS: Final = (
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
)


@dataclass(frozen=True, slots=True)
class ReportFont:
    """A font file and, in a collection, the number of the face to use."""

    path: Path
    face: int = 0


def find_font(setting: Path | None, known: tuple[Path, ...] = KNOWN_FONTS) -> ReportFont:
    """The font PDF reports embed.

    Args:
        setting: ``SMECREDIT_REPORT_FONT`` (None: look at the known paths).
        known: the paths looked at when the setting is unset.

    Raises:
        ReportFontMissing: the setting names no file, or none of the known paths exists.
    """
    if setting is not None:
        if not setting.is_file():
            raise _missing(f"{FONT_SETTING} names {setting}, which is not a font file")
        return ReportFont(setting, _simplified_face(str(setting)))
    for path in known:
        if path.is_file():
            return ReportFont(path, _simplified_face(str(path)))
    raise _missing(f"none of {', '.join(str(p) for p in known)} exists")


def _missing(detail: str) -> ReportFontMissing:
    return ReportFontMissing(
        f"no font with Chinese characters for the PDF: install {FONT_PACKAGE} "
        f"(Debian: apt-get install {FONT_PACKAGE}) or set {FONT_SETTING} to a font file "
        f"({detail})",
        params={"package": FONT_PACKAGE, "setting": FONT_SETTING, "detail": detail},
    )


@cache
def _simplified_face(path: str) -> int:
    """The Simplified Chinese face of a collection (``Noto Sans CJK SC``), else the first."""
    if not path.lower().endswith((".ttc", ".otc")):
        return 0
    from fontTools.ttLib import TTCollection

    try:
        collection = TTCollection(path, lazy=True)
    except Exception as exc:  # a damaged or foreign file: say so, as a missing font
        raise _missing(f"{path} is not a readable font collection: {exc}") from exc
    with collection:
        for index, font in enumerate(collection.fonts):
            family = font["name"].getDebugName(1) or ""
            if family.endswith(" SC") or "GB" in family or "Hei" in family:
                return index
    return 0
