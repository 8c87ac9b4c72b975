"""The report writers: each format written from a document with every section and cell
kind, and read back (csv, openpyxl, pypdf); the data hash is the same in every format."""

from __future__ import annotations

import csv
import datetime as dt
import io
import tempfile
from collections.abc import AsyncIterator, Sequence
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from smecredit.domain.spreadsheet import is_formula_like
from smecredit.sdk.reports import (
    WITHHELD,
    Chart,
    Figure,
    KeyFigures,
    ReportCancelled,
    ReportColumn,
    ReportDocument,
    Series,
    Table,
)
from smecredit.services.reports.formats import (
    Cover,
    ReportFontMissing,
    UnknownReportFormat,
    write_report,
)
from smecredit.services.reports.formats.common import CHECKPOINT_EVERY, Titles
from smecredit.services.reports.formats.fonts import find_font
from smecredit.services.reports.formats.sheets import SheetNames
from smecredit.services.reports.formats.svg_chart import chart_svg
from smecredit.services.reports.formats.values import display
from smecredit.settings import Settings

pytestmark = pytest.mark.anyio

TITLE_ZH = "贷款组合概览"
COVER = Cover(
    title=TITLE_ZH,
    report_name="portfolio_overview",
    parameters=(("统计日", "2026-11-30"), ("机构", "杭州分行")),
    generated_at=dt.datetime(2026, 12, 1, 8, 30, tzinfo=dt.UTC),
    generated_by="risk.manager",
)
COLUMNS = (
    ReportColumn("firm", "企业", "Firm"),
    ReportColumn("count", "笔数", "Count", "int"),
    ReportColumn("balance", "余额", "Balance", "money"),
    ReportColumn("rate", "利率", "Rate", "percent"),
    ReportColumn("score", "评分", "Score", "decimal"),
    ReportColumn("opened", "放款日", "Opened", "date"),
    ReportColumn("updated", "更新时间", "Updated", "datetime"),
)
ROWS: list[tuple[Any, ...]] = [
    (
        "杭州甲乙科技有限公司",
        3,
        Decimal("1234567.89"),
        Decimal("0.0435"),
        0.5,
        dt.date(2025, 3, 1),
        dt.datetime(2026, 11, 30, 17, 5, 0),
    ),
    (
        '=HYPERLINK("http://x")',
        1,
        Decimal("-500.00"),
        0.05,
        Decimal("12.5"),
        dt.date(2024, 1, 31),
        dt.datetime(2026, 1, 1, 0, 0, 0),
    ),
    (WITHHELD, None, WITHHELD, None, None, None, None),
    ("@SUM(A1)", 0, "****", Decimal("0"), 1, dt.date(2026, 12, 1), None),
]


def document(rows: Any = None, *, many: int = 0) -> ReportDocument:
    """A document with every section kind and every cell kind."""
    table_rows = ROWS if rows is None else rows
    sections: list[Any] = [
        KeyFigures(
            "headline",
            "核心指标",
            "Headline figures",
            (
                Figure("balance", "贷款余额", "Balance", Decimal("98765432.10"), "money"),
                Figure("npl", "不良率", "NPL ratio", Decimal("0.0123"), "percent"),
                Figure("loans", "贷款笔数", "Loans", 1234, "int"),
                Figure("secret", "保密指标", "Secret", WITHHELD, "decimal"),
            ),
        ),
        Table(
            "by_firm",
            "按企业",
            "By firm",
            COLUMNS,
            table_rows,
            note_zh="注：示例",
            note_en="Note: sample",
        ),
        Chart(
            "by_grade",
            "按等级余额",
            "Balance by grade",
            "bar",
            ("A", "B", "C"),
            (Series("余额", "Balance", (100.0, 250.5, None)), Series("笔数", "Count", (3, 5, 1))),
            "money",
        ),
        Chart(
            "npl_trend",
            "不良率趋势",
            "NPL trend",
            "line",
            ("2026-10", "2026-11"),
            (Series("不良率", "NPL", (0.01, 0.012)),),
            "percent",
        ),
        Chart(
            "mix",
            "产品结构",
            "Product mix",
            "pie",
            ("经营贷", "消费贷"),
            (Series("余额", "Balance", (70.0, 30.0)),),
        ),
        Chart(
            "stack",
            "五级分类",
            "Five categories",
            "stacked_bar",
            ("Q1", "Q2"),
            (Series("正常", "Pass", (90.0, 88.0)), Series("关注", "Special", (10.0, 12.0))),
        ),
    ]
    if many:
        sections.append(Table("many", "明细", "Detail", COLUMNS[:3], _many(many)))
    return ReportDocument(
        tuple(sections),
        notes_zh=("余额单位：元。", "数据来源：贷款台账。"),
        notes_en=("Balances in yuan.", "Source: the loan ledger."),
        as_of=dt.date(2026, 11, 30),
    )


def _many(count: int) -> list[tuple[Any, ...]]:
    return [(f"企业{i}", i, Decimal(i) / 100) for i in range(count)]


async def _aiter(rows: Sequence[Any]) -> AsyncIterator[Any]:
    for row in rows:
        yield row


async def _nothing() -> None:
    return None


async def write(
    doc: ReportDocument, fmt: str, language: str = "zh", settings: Settings | None = None
) -> tuple[bytes, str]:
    out = io.BytesIO()
    digest = await write_report(
        doc,
        fmt,
        out,
        cover=COVER,
        language=language,
        checkpoint=_nothing,
        settings=settings or Settings(),
    )
    return out.getvalue(), digest


# -- CSV ---------------------------------------------------------------------------------


def _csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "UTF-8 BOM for Excel"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


async def test_csv_has_every_section_with_plain_numbers_and_neutral_text() -> None:
    data, _ = await write(document(), "csv")
    rows = _csv_rows(data)
    assert rows[0] == ["核心指标"]
    assert rows[1] == ["指标", "数值"]
    assert rows[2] == ["贷款余额", "98765432.10"]
    assert rows[3] == ["不良率", "0.0123"]
    assert rows[5] == ["保密指标", "（无权限）"]
    assert rows[6] == []
    table = rows.index(["按企业"])
    assert rows[table + 1] == ["企业", "笔数", "余额", "利率", "评分", "放款日", "更新时间"]
    assert rows[table + 2] == [
        "杭州甲乙科技有限公司",
        "3",
        "1234567.89",
        "0.0435",
        "0.5",
        "2025-03-01",
        "2026-11-30 17:05:00",
    ]
    assert rows[table + 3][0] == '\'=HYPERLINK("http://x")'
    assert rows[table + 3][2] == "-500.00", "negative amounts stay numbers"
    assert rows[table + 4][:3] == ["（无权限）", "", "（无权限）"]
    assert rows[table + 5][0] == "'@SUM(A1)"
    chart = rows.index(["按等级余额"])
    assert rows[chart + 1] == ["类别", "余额", "笔数"]
    assert rows[chart + 2] == ["A", "100.0", "3"]
    assert rows[chart + 4] == ["C", "", "1"]
    assert ["说明"] in rows and ["余额单位：元。"] in rows
    assert not any(_formula(cell) for row in rows for cell in row)


def _formula(cell: str) -> bool:
    """Formula-like text that is not a plain number (a negative amount is one)."""
    try:
        Decimal(cell)
    except ArithmeticError:
        return is_formula_like(cell)
    return False


async def test_csv_is_written_as_the_rows_come() -> None:
    out = io.BytesIO()
    seen: list[int] = []

    async def rows() -> AsyncIterator[tuple[Any, ...]]:
        for i in range(3000):
            if i % 1000 == 999:
                seen.append(out.tell())
            yield (f"企业{i}", i, Decimal(i))

    doc = ReportDocument((Table("t", "明细", "Detail", COLUMNS[:3], rows()),))
    await write_report(doc, "csv", out, cover=COVER, language="zh", checkpoint=_nothing)
    assert seen[0] > 10_000 and seen[0] < seen[1] < seen[2] < out.tell(), seen


async def test_csv_in_english() -> None:
    data, _ = await write(document(), "csv", "en")
    rows = _csv_rows(data)
    assert rows[0] == ["Headline figures"]
    assert ["Secret", "(withheld)"] in rows
    assert ["By firm"] in rows and ["Balances in yuan."] in rows


async def test_async_and_sync_rows_write_the_same_report_and_hash() -> None:
    for fmt in ("csv", "xlsx"):
        sync_data, sync_hash = await write(document(list(ROWS)), fmt)
        async_data, async_hash = await write(document(_aiter(ROWS)), fmt)
        assert sync_hash == async_hash
        if fmt == "csv":
            assert sync_data == async_data


# -- XLSX --------------------------------------------------------------------------------


def _book(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


async def test_xlsx_cover_sheets_typed_cells_and_formats() -> None:
    data, digest = await write(document(), "xlsx")
    book = _book(data)
    assert book.sheetnames == [
        "封面",
        "核心指标",
        "按企业",
        "按等级余额",
        "不良率趋势",
        "产品结构",
        "五级分类",
    ]
    cover = book["封面"]
    assert cover["A1"].value == TITLE_ZH
    labels = {row[0].value: row[1].value for row in cover.iter_rows(min_row=2) if row[0].value}
    assert labels["报表"] == "portfolio_overview"
    assert labels["数据截至"] == dt.datetime(2026, 11, 30)
    assert labels["统计日"] == "2026-11-30"
    assert labels["机构"] == "杭州分行"
    assert labels["生成人"] == "risk.manager"
    assert labels["数据哈希 (SHA-256)"] == digest
    assert labels["生成时间"] == dt.datetime(2026, 12, 1, 8, 30)

    table = book["按企业"]
    assert table["A1"].value == "按企业"
    assert [c.value for c in table[2]] == [
        "企业",
        "笔数",
        "余额",
        "利率",
        "评分",
        "放款日",
        "更新时间",
    ]
    assert table.freeze_panes == "A3"
    assert table.auto_filter.ref == "A2:G6"
    first = table[3]
    assert first[1].value == 3 and first[1].number_format == "#,##0"
    assert first[2].value == pytest.approx(1234567.89) and first[2].number_format == "#,##0.00"
    assert first[3].value == pytest.approx(0.0435) and first[3].number_format == "0.00%"
    assert first[4].value == 0.5 and first[4].data_type == "n"
    assert first[5].value == dt.datetime(2025, 3, 1) and first[5].number_format == "yyyy-mm-dd"
    assert first[6].value == dt.datetime(2026, 11, 30, 17, 5)
    assert first[6].number_format == "yyyy-mm-dd hh:mm:ss"
    assert table["A4"].value == '\'=HYPERLINK("http://x")' and table["A4"].data_type == "s"
    assert table["C4"].value == -500
    assert table["A5"].value == "（无权限）" and table["C5"].value == "（无权限）"
    assert table["C6"].value == "****", "a masked amount stays text"
    assert table.column_dimensions["A"].width > 20
    assert table["A8"].value == "注：示例"

    figures = book["核心指标"]
    assert figures["A3"].value == "贷款余额"
    assert figures["B3"].number_format == "#,##0.00"
    assert figures["B4"].number_format == "0.00%"
    assert figures["B6"].value == "（无权限）"
    for name in ("按等级余额", "不良率趋势", "产品结构", "五级分类"):
        assert len(book[name]._charts) == 1, name
    grade = book["按等级余额"]
    assert [c.value for c in grade[2]] == ["类别", "余额", "笔数"]
    assert grade["B3"].value == 100 and grade["B3"].number_format == "#,##0.00"
    assert grade["B5"].value is None
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate)
                assert not (isinstance(cell.value, str) and is_formula_like(cell.value))


async def test_xlsx_charts_are_native_charts_of_their_data() -> None:
    data, _ = await write(document(), "xlsx")
    with __import__("zipfile").ZipFile(io.BytesIO(data)) as archive:
        charts = sorted(n for n in archive.namelist() if n.startswith("xl/charts/chart"))
        assert len(charts) == 4
        xml = archive.read(charts[0]).decode()
    assert "<c:barChart>" in xml and "$A$3:$A$5" in xml and "$B$3:$B$5" in xml


async def test_xlsx_in_english_and_many_rows() -> None:
    data, _ = await write(document(many=CHECKPOINT_EVERY * 3 + 7), "xlsx", "en")
    book = _book(data)
    assert book.sheetnames[0] == "Cover"
    detail = book["Detail"]
    assert detail.max_row == 2 + CHECKPOINT_EVERY * 3 + 7
    assert detail.cell(detail.max_row, 2).value == CHECKPOINT_EVERY * 3 + 6


def test_sheet_names_are_sanitised_unique_and_short() -> None:
    names = SheetNames()
    long = "按行业、地区和分行统计的贷款余额与笔数分布（含不良）明细表格"
    assert names.name("a/b:c*d?[e]") == "a b c d  e"
    first = names.name(long)
    assert len(first) <= 31
    second = names.name(long)
    assert second != first and len(second) <= 31 and second.endswith("(2)")
    assert names.name("A/B:C*D?[E]") == "A B C D  E (2)"
    assert names.name("''") == "Sheet"
    assert names.name("History") == "History 1"


# -- PDF ---------------------------------------------------------------------------------


def _pdf_text(data: bytes) -> list[str]:
    """The text of each page, without blanks.

    pypdf reads the encoding CMap fpdf2 embeds for a CFF font one byte at a time, so each
    character comes with a NUL before it (PDFium, Chrome's reader, extracts clean text):
    the NULs and blanks are dropped.
    """
    reader = PdfReader(io.BytesIO(data))
    return ["".join(page.extract_text().replace("\x00", "").split()) for page in reader.pages]


async def test_pdf_has_a_cover_chinese_text_tables_charts_and_page_numbers() -> None:
    data, digest = await write(document(), "pdf")
    assert data.startswith(b"%PDF")
    pages = _pdf_text(data)
    cover = pages[0]
    assert TITLE_ZH in cover, "the Chinese title, not boxes"
    for text in ("portfolio_overview", "统计日2026-11-30", "杭州分行", "risk.manager", digest):
        assert text in cover, text
    assert "2026-12-0108:30:00UTC" in cover
    everything = "".join(pages)
    for text in (
        "核心指标",
        "98,765,432.10",
        "1.23%",
        "（无权限）",
        "杭州甲乙科技",
        "1,234,567.89",
        "4.35%",
        "2025-03-01",
        "注：示例",
        "按等级余额",
        "不良率趋势",
        "产品结构",
        "五级分类",
        "正常",
        "关注",
        "70.0%",
        "说明",
        "余额单位：元。",
    ):
        assert text in everything, text
    assert all(f"第{n}页，共{len(pages)}页" in page for n, page in enumerate(pages, start=1))
    reader = PdfReader(io.BytesIO(data))
    assert reader.pages[0].mediabox.width == pytest.approx(595.28, abs=0.1)  # A4
    assert reader.metadata is not None and reader.metadata.title == TITLE_ZH


async def test_pdf_in_english() -> None:
    data, _ = await write(document(), "pdf", "en")
    pages = _pdf_text(data)
    assert "Headlinefigures" in pages[1] and "(withheld)" in "".join(pages)
    assert "Page1of" in pages[0]


async def test_a_long_pdf_table_is_cut_with_a_note_and_repeats_its_header() -> None:
    rows = CHECKPOINT_EVERY + 50
    data, digest = await write(
        document(many=rows), "pdf", settings=Settings(report_pdf_max_rows=120)
    )
    pages = _pdf_text(data)
    everything = "".join(pages)
    assert f"仅列出前120行（共{rows:,}行）；完整表格见XLSX/CSV格式。" in everything
    assert "企业119" in everything and "企业120" not in everything
    detail = [page for page in pages if "企业100" in page or "企业60" in page]
    assert detail and all(page.count("企业笔数余额") >= 1 for page in detail), "repeated header"
    assert digest == (await write(document(many=rows), "csv"))[1], "the hash counts every row"


async def test_a_missing_font_is_a_coded_error_naming_the_package_and_setting(
    tmp_path: Any,
) -> None:
    missing = tmp_path / "no-such-font.ttc"
    with pytest.raises(ReportFontMissing) as caught:
        await write(document(), "pdf", settings=Settings(report_font=missing))
    assert caught.value.code == "REPORT_FONT_MISSING"
    assert "fonts-noto-cjk" in str(caught.value) and "SMECREDIT_REPORT_FONT" in str(caught.value)
    assert str(missing) in str(caught.value)
    with pytest.raises(ReportFontMissing):
        find_font(None, known=(missing,))


def test_the_font_of_a_collection_is_its_simplified_chinese_face() -> None:
    font = find_font(None)
    assert font.path.is_file()
    if font.path.suffix == ".ttc" and "Noto" in font.path.name:
        from fontTools.ttLib import TTCollection

        with TTCollection(str(font.path), lazy=True) as collection:
            assert collection.fonts[font.face]["name"].getDebugName(1).endswith(" SC")


@pytest.mark.parametrize("kind", ["bar", "stacked_bar", "line", "pie"])
def test_chart_svg_is_well_formed_with_axes_and_legend(kind: str) -> None:
    from xml.etree import ElementTree

    chart = Chart(
        "c",
        "图",
        "Chart",
        kind,  # type: ignore[arg-type]
        ("甲\x01", "乙<&>"),
        (Series("一", "One", (1.5, -2.0)), Series("二", "Two", (None, 3.0))),
        "money",
    )
    root = ElementTree.fromstring(chart_svg(chart, Titles("zh"), "f"))
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    if kind == "pie":
        assert "甲" in texts and "乙<&>" in texts, "control characters dropped, XML escaped"
    else:
        assert "一" in texts and "二" in texts and "乙<&>" in texts
        assert any(t and t.endswith(".00") for t in texts), "value ticks"


@pytest.mark.parametrize(
    ("value", "kind", "printed"),
    [
        (Decimal("1234567.891"), "money", "1,234,567.89"),
        (0.0435, "percent", "4.35%"),
        (1234, "int", "1,234"),
        (Decimal("12.50"), "decimal", "12.5"),
        (Decimal("3"), "decimal", "3.0"),
        (dt.date(2026, 1, 2), "date", "2026-01-02"),
        (dt.datetime(2026, 1, 2, 3, 4, 5), "datetime", "2026-01-02 03:04"),
        (WITHHELD, "money", "(withheld)"),
        (None, "text", ""),
        ("a\x00b\tc\nd", "text", "ab c\nd"),
    ],
)
def test_how_a_pdf_cell_reads(value: Any, kind: str, printed: str) -> None:
    assert display(value, kind, "(withheld)") == printed


# -- every format ------------------------------------------------------------------------


async def test_the_hash_is_the_same_in_every_format_and_follows_the_data() -> None:
    hashes = {fmt: (await write(document(), fmt))[1] for fmt in ("csv", "xlsx", "pdf")}
    assert len(set(hashes.values())) == 1
    assert len(hashes["csv"]) == 64
    assert (await write(document(), "csv", "en"))[1] == hashes["csv"], "language is not data"
    changed = [*ROWS[:-1], (*ROWS[-1][:1], 1, *ROWS[-1][2:])]
    assert (await write(document(changed), "csv"))[1] != hashes["csv"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "pdf"])
async def test_an_empty_book_writes_every_format(fmt: str) -> None:
    empty = ReportDocument(
        (
            KeyFigures("k", "核心指标", "Figures", ()),
            Table("t", "按企业", "By firm", COLUMNS, []),
            Table("none", "无列", "No columns", (), _aiter([])),
            Chart("c", "按等级余额", "By grade", "bar", (), ()),
            Chart("p", "产品结构", "Mix", "pie", ("经营贷",), (Series("余额", "Balance", (0.0,)),)),
            Chart("l", "趋势", "Trend", "line", ("a", "b"), (Series("s", "s", (None, None)),)),
        )
    )
    data, digest = await write(empty, fmt)
    assert digest == (await write(empty, "csv"))[1]
    if fmt == "csv":
        assert ["企业", "笔数", "余额", "利率", "评分", "放款日", "更新时间"] in _csv_rows(data)
    elif fmt == "xlsx":
        book = _book(data)
        assert book["按企业"].max_row == 2 and book["按企业"].freeze_panes == "A3"
        assert len(book["按等级余额"]._charts) == 0, "no chart without data"
    else:
        assert "按企业" in "".join(_pdf_text(data))


async def test_an_unknown_format_is_a_coded_error_naming_it() -> None:
    with pytest.raises(UnknownReportFormat) as caught:
        await write(document(), "docx")
    assert caught.value.code == "REPORT_FORMAT_UNKNOWN"
    assert "docx" in str(caught.value)


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "pdf"])
async def test_cancel_midway_raises_report_cancelled(
    fmt: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # XlsxWriter keeps a row file per sheet in the temporary directory: none is left
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    calls = 0

    async def checkpoint() -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise ReportCancelled

    with pytest.raises(ReportCancelled):
        await write_report(
            document(_aiter(_many(CHECKPOINT_EVERY * 10))),
            fmt,
            io.BytesIO(),
            cover=COVER,
            language="zh",
            checkpoint=checkpoint,
            settings=Settings(),
        )
    assert calls == 2
    assert list(tmp_path.iterdir()) == []


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.text(max_size=12), min_size=1, max_size=5))
def test_no_text_becomes_a_formula(texts: list[str]) -> None:
    import anyio

    columns = tuple(ReportColumn(f"c{i}", t or "x", t or "x") for i, t in enumerate(texts))
    doc = ReportDocument((Table("t", texts[0], texts[0], columns, [tuple(texts)]),))

    async def both() -> tuple[bytes, bytes]:
        return (await write(doc, "csv"))[0], (await write(doc, "xlsx"))[0]

    csv_data, xlsx_data = anyio.run(both)
    for row in _csv_rows(csv_data):
        assert not any(_formula(cell) for cell in row)
    book = _book(xlsx_data)
    for sheet in book.worksheets[1:]:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f"
                assert not (isinstance(cell.value, str) and is_formula_like(cell.value))
