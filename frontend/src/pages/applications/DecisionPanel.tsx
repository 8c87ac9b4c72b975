import { Card } from "antd";
import { useTranslation } from "react-i18next";
import type { ApplicationDetailQuery } from "../../gql/graphql";
import { currentLanguage } from "../../i18n";
import { formatDateTime, formatRate, formatYuan } from "../../ui/format";

export type ApplicationDetail = NonNullable<ApplicationDetailQuery["application"]>;

const CLOSED_WARNINGS = new Set(["RESOLVED", "DISMISSED"]);

/** A probability as a percentage with two decimals (a model output, not money). */
export function formatPd(pd: number | null | undefined): string {
  if (pd === null || pd === undefined) return "—";
  return `${(pd * 100).toFixed(2)}%`;
}

/** Pass / fail mark with its word (colour is never the only sign). */
export function CheckMark({ passed }: { passed: boolean }) {
  const { t } = useTranslation();
  return passed ? (
    <span className="apps-pass">✓ {t("applications.decision.passed")}</span>
  ) : (
    <span className="apps-fail">✗ {t("applications.decision.failed")}</span>
  );
}

/** What an approver decides on: the score made on submission (grade, PD, reasons in the
 * user's language), the suggested limit and price band, the policy checks and how an
 * approval now would depart from the recommendation, the firm's open warnings, and the
 * approvals still needed. */
export function DecisionPanel({ application }: { application: ApplicationDetail }) {
  const { t } = useTranslation();
  const language = currentLanguage();
  const scored = application.score;
  const reasons = scored?.score.reasons ?? [];
  const warnings = (application.firm.warnings?.edges ?? [])
    .map((e) => e.node)
    .filter((w) => !CLOSED_WARNINGS.has(w.status));
  return (
    <section aria-labelledby="decision-title" className="apps-section" data-testid="decision-panel">
      <h2 id="decision-title" style={{ fontSize: 20 }}>
        {t("applications.section.decision")}
      </h2>
      <div className="apps-grid">
        <Card size="small" title={t("applications.decision.score")}>
          {scored ? (
            <dl className="apps-kv">
              <dt>{t("applications.decision.grade")}</dt>
              <dd data-testid="decision-grade">{application.riskGrade ?? scored.score.grade}</dd>
              {application.systemGrade && application.systemGrade !== application.riskGrade && (
                <>
                  <dt>{t("applications.decision.systemGrade")}</dt>
                  <dd>{application.systemGrade}</dd>
                </>
              )}
              <dt>{t("applications.decision.score")}</dt>
              <dd>{scored.score.points}</dd>
              <dt>{t("applications.decision.pd")}</dt>
              <dd data-testid="decision-pd">{formatPd(scored.score.probabilityOfDefault)}</dd>
              <dt>{t("applications.decision.model")}</dt>
              <dd>
                {scored.score.modelName} {scored.score.modelVersion}
                <div className="apps-muted">{formatDateTime(scored.scoredAt, language)}</div>
              </dd>
            </dl>
          ) : (
            <p data-testid="not-scored">{t("applications.decision.notScored")}</p>
          )}
        </Card>
        <Card size="small" title={t("applications.decision.suggestedLimit")}>
          {scored ? (
            <dl className="apps-kv">
              <dt>{t("applications.decision.suggestedLimit")}</dt>
              <dd data-testid="suggested-limit">{formatYuan(scored.suggestedLimit, language)}</dd>
              <dt>{t("applications.decision.priceBand")}</dt>
              <dd data-testid="price-band">
                {formatRate(scored.priceBandLow)} – {formatRate(scored.priceBandHigh)}
              </dd>
              {scored.riskBasedRate && (
                <>
                  <dt>{t("applications.decision.riskBasedRate")}</dt>
                  <dd>{formatRate(scored.riskBasedRate)}</dd>
                </>
              )}
              <dt>{t("applications.field.amount")}</dt>
              <dd>{formatYuan(application.amount, language)}</dd>
              <dt>{t("applications.field.rate")}</dt>
              <dd>{formatRate(application.annualRate)}</dd>
            </dl>
          ) : (
            <p>{t("applications.decision.notScored")}</p>
          )}
        </Card>
        <Card size="small" title={t("applications.decision.reasons")}>
          {reasons.length ? (
            <ol className="apps-reasons" data-testid="reasons">
              {reasons.map((r) => (
                <li key={r.feature}>
                  <strong>{r.featureLabel}</strong>：{r.text}
                </li>
              ))}
            </ol>
          ) : (
            <p>{t("applications.decision.noReasons")}</p>
          )}
        </Card>
        <Card size="small" title={t("applications.decision.policyChecks")}>
          <ul className="apps-check" data-testid="policy-checks">
            {application.submissionChecks.map((c) => (
              <li key={c.code} data-check={c.code} data-passed={String(c.passed)}>
                <CheckMark passed={c.passed} /> <span>{c.label}</span>
              </li>
            ))}
          </ul>
          {application.status === "UNDER_REVIEW" && (
            <div data-testid="findings" style={{ marginTop: 8 }}>
              {application.approvalFindings.length ? (
                <>
                  <p className="apps-fail" style={{ margin: "4px 0" }}>
                    {t("applications.decision.findings")}
                  </p>
                  <ul className="apps-check">
                    {application.approvalFindings.map((f) => (
                      <li key={f.kind} data-finding={f.kind}>
                        <strong>{f.kindLabel}</strong>
                        <span className="apps-muted">
                          {f.systemValue !== null && t("applications.decision.systemValue", { value: f.systemValue })}
                          {f.systemValue !== null && " · "}
                          {t("applications.decision.decidedValue", { value: f.decidedValue })}
                        </span>
                      </li>
                    ))}
                  </ul>
                </>
              ) : (
                <p className="apps-pass">{t("applications.decision.noFindings")}</p>
              )}
            </div>
          )}
        </Card>
        <Card size="small" title={t("applications.section.warnings")}>
          {warnings.length ? (
            <ul className="apps-check" data-testid="open-warnings">
              {warnings.map((w) => (
                <li key={w.id}>
                  <span className={`apps-sev apps-sev-${w.severity}`}>{w.severityLabel}</span>
                  <span>
                    <strong>{w.ruleName}</strong>：{w.message}
                  </span>
                </li>
              ))}
            </ul>
          ) : (
            <p>{t("applications.decision.noWarnings")}</p>
          )}
        </Card>
        <Card size="small" title={t("applications.decision.required")}>
          {application.requiredApprovals.length ? (
            <ul className="apps-check" data-testid="required-approvals">
              {application.requiredApprovals.map((r, i) => (
                <li key={`${r.rule}-${i}`}>{r.text}</li>
              ))}
            </ul>
          ) : (
            <p>{t("applications.decision.noneRequired")}</p>
          )}
        </Card>
      </div>
    </section>
  );
}
