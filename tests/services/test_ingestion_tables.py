"""Column types of the ingestion table specs come from the models."""

from __future__ import annotations

import pytest

from smecredit import models
from smecredit.services.ingestion.tables import EVIDENCE_TABLES, FIRM_COLUMNS, column_type


@pytest.mark.parametrize(
    ("model", "column", "expected"),
    [
        (models.Firm, "established_on", "date"),
        (models.Firm, "registered_capital", "decimal"),
        (models.Firm, "employees", "int"),
        (models.Firm, "uscc", "text"),
        (models.Person, "created_at", "datetime"),
        (models.TaxRecord, "fetched_at", "datetime"),
        (models.Loan, "status", "text"),
    ],
)
def test_column_type_follows_the_model_field(model: type, column: str, expected: str) -> None:
    assert column_type(model, column) == expected


def test_unknown_column_is_refused() -> None:
    with pytest.raises(ValueError, match="no column"):
        column_type(models.Firm, "no_such_column")


def test_specs_are_typed_from_their_models() -> None:
    assert {c.name: c.type for c in FIRM_COLUMNS}["established_on"] == "date"
    loan = {c.name: c.type for c in EVIDENCE_TABLES["loan"].columns}
    assert loan["principal"] == "decimal" and loan["term_months"] == "int"


def test_evidence_columns_are_typed_from_the_model() -> None:
    types = EVIDENCE_TABLES["tax_record"].column_types()
    assert types["fetched_at"] == "datetime"
    assert types["source"] == "text" and types["firm_id"] == "int"


def test_every_spec_names_the_model_of_its_table() -> None:
    for spec in EVIDENCE_TABLES.values():
        assert spec.model is not None and spec.model._meta.db_table == spec.table
