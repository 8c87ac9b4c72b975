"""The datasets of the compliance and decision reports: compliance results, decision alerts.

``compliance_results``: one row per check result of every compliance run (the run's time
and overall score on each row; ``evidence`` the offending ``Kind:id`` ids as one text);
``decision_alerts``: one row per alert of the feedback on decisions. Neither is bound to a
branch (they are the platform's own oversight); the partner's policy refuses both types.
"""

from __future__ import annotations

from smecredit.services.compliance.catalogue import CATALOGUE as CHECKS
from smecredit.services.reports.catalogue import Column, Dataset

__all__ = ["DATASETS"]


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _title(attribute: str) -> str:
    """A CASE naming each check code's title (the titles live in the code, not the table)."""
    arms = " ".join(
        f"WHEN {_quoted(c.code)} THEN {_quoted(getattr(c, attribute))}" for c, _ in CHECKS
    )
    return f"CASE r.check_code {arms} ELSE r.check_code END"


_EVIDENCE = "(SELECT group_concat(e.value, ', ') FROM json_each(r.evidence) e)"
_EVIDENCE_PG = "(SELECT string_agg(e, ', ') FROM jsonb_array_elements_text(r.evidence::jsonb) e)"

DATASETS: tuple[Dataset, ...] = (
    Dataset(
        "compliance_results",
        "Every result of every compliance run, with the run's time and overall score.",
        "compliance_result r JOIN compliance_run c ON c.id = r.run_id",
        "r.id",
        None,
        (
            Column("run_id", "int", "c.id", None, "the compliance run"),
            Column("run_at", "datetime", "c.started_at", "ComplianceRun.startedAt", "when"),
            Column("check_code", "text", "r.check_code", "ComplianceResult.checkCode", "code"),
            Column("title_zh", "text", _title("title_zh"), "ComplianceResult.titleZh", "标题"),
            Column("title_en", "text", _title("title_en"), "ComplianceResult.titleEn", "title"),
            Column(
                "status",
                "text",
                "r.status",
                "ComplianceResult.status",
                "pass, warning, fail, not_applicable, error",
            ),
            Column("weight", "decimal", "r.weight", "ComplianceResult.weight", "its weight"),
            Column("score", "decimal", "r.score", "ComplianceResult.score", "0-100 or empty"),
            Column(
                "evidence",
                "text",
                _EVIDENCE,
                "ComplianceResult.evidence",
                "offending rows as Kind:id, comma-separated (at most 50)",
                pg_sql=_EVIDENCE_PG,
            ),
            Column(
                "overall_score",
                "decimal",
                "c.overall_score",
                "ComplianceRun.overallScore",
                "the run's weighted score, 0-100",
            ),
        ),
    ),
    Dataset(
        "decision_alerts",
        "Every alert of the feedback on decisions.",
        "decision_alert d",
        "d.id",
        None,
        (
            Column("alert_id", "int", "d.id", None, "the alert"),
            Column("kind", "text", "d.kind", "DecisionAlert.kind", "override_rate, ..."),
            Column("subject", "text", "d.subject", "DecisionAlert.subject", "approver or book"),
            Column("value", "decimal", "d.value", "DecisionAlert.value", "the observed rate"),
            Column("bound", "decimal", "d.bound", "DecisionAlert.bound", "the bound exceeded"),
            Column("status", "text", "d.status", "DecisionAlert.status", "open, ..., closed"),
            Column("raised_at", "datetime", "d.raised_at", "DecisionAlert.raisedAt", "when"),
        ),
    ),
)
