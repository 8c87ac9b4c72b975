"""Header mapping: defaults, user overrides, header spelling variants."""

from __future__ import annotations

from pathlib import Path

import pytest
from smecredit_source_files.mapping import ColumnTarget, HeaderMapping, MappingError, header_key

KINDS = (
    "firm",
    "person",
    "financial_statement",
    "tax_record",
    "registry_event",
    "legal_case",
    "bureau_summary",
    "loan",
    "repayment_history",
)


def test_default_mapping_covers_every_kind() -> None:
    mapping = HeaderMapping.default()
    assert set(mapping.kinds) == set(KINDS)
    for kind in KINDS:
        assert mapping.required(kind), kind
        for field in mapping.required(kind):
            assert mapping.target(kind, field) == ColumnTarget(field)


@pytest.mark.parametrize(
    ("kind", "header", "field"),
    [
        ("firm", "统一社会信用代码", "uscc"),
        ("firm", " 统一社会信用代码 ", "uscc"),
        ("firm", "\ufeff企业名称", "name"),
        ("firm", "法定代表人", "representative.name"),
        ("firm", "representative.phone", "representative.phone"),
        ("firm", "USCC", "uscc"),
        ("person", "身份证号码", "id_number"),
        ("loan", "期限（月）", "term_months"),
        ("tax_record", "税款所属期", "month"),
        ("firm", "数据来源", "source"),
    ],
)
def test_headers_map_to_fields(kind: str, header: str, field: str) -> None:
    target = HeaderMapping.default().target(kind, header)
    assert target is not None and target.field == field


def test_unit_columns() -> None:
    target = HeaderMapping.default().target("firm", "注册资本（万元）")
    assert target == ColumnTarget("registered_capital", "万")


def test_unknown_header() -> None:
    assert HeaderMapping.default().target("firm", "联系地址") is None


def test_user_file_extends_and_overrides(tmp_path: Path) -> None:
    path = tmp_path / "partner.toml"
    path.write_text(
        '[common.columns]\n"批次" = ""\n'
        '[firm]\nrequired = ["uscc"]\n'
        '[firm.columns]\n"客户名称" = "name"\n"名称" = "industry_code"\n',
        encoding="utf-8",
    )
    mapping = HeaderMapping.from_toml(path)
    assert mapping.target("firm", "客户名称") == ColumnTarget("name")
    assert mapping.target("firm", "企业名称") == ColumnTarget("name")  # default still there
    assert mapping.target("firm", "名称") == ColumnTarget("industry_code")  # user wins
    assert mapping.required("firm") == ("uscc",)
    assert mapping.required("loan") == HeaderMapping.default().required("loan")
    assert mapping.target("loan", "批次") == ColumnTarget("")  # common reaches other kinds


@pytest.mark.parametrize(
    "text",
    ['[firm.columns]\n"a" = 3\n', "[firm]\nrequired = 'uscc'\n", "not toml = = ", 'firm = "x"\n'],
)
def test_malformed_mapping_files(tmp_path: Path, text: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(MappingError) as caught:
        HeaderMapping.from_toml(path)
    assert caught.value.code == "BAD_MAPPING"


def test_header_key() -> None:
    assert header_key(" 企业 名称 ") == "企业名称"
    assert header_key("ＵＳＣＣ") == "uscc"
