import { App, Button, Descriptions, Empty, Result, Spin, Typography } from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useParams } from "react-router";
import { useMutation, useQuery } from "urql";
import { businessError, pageError, userError } from "../../api/errors";
import type { UserError } from "../../api/errors";
import { usePermissions } from "../../api/permissions";
import {
  AcknowledgeWarningDocument,
  AssignWarningDocument,
  CommentWarningDocument,
  DismissWarningDocument,
  ResolveWarningDocument,
  StartWarningProgressDocument,
  WarningDetailDocument,
} from "../../gql/graphql";
import type { WarningDetailQuery, WarningStepResultFragment } from "../../gql/graphql";
import { currentLanguage } from "../../i18n";
import type { Language } from "../../i18n";
import { DataTable } from "../../ui/DataTable";
import { FieldValue } from "../../ui/FieldValue";
import { Refusal } from "../../ui/Refusal";
import { formatDate, formatDateTime, formatYuan } from "../../ui/format";
import { StepDialog } from "./WarningDialogs";
import type { TextStep } from "./WarningDialogs";
import { SeverityMark, StatusMark } from "./WarningBits";
import "./warnings.css";

type Detail = NonNullable<WarningDetailQuery["warning"]>;
type Evidence = Detail["evidence"][number];

const ACTIVE = ["OPEN", "ACKNOWLEDGED", "IN_PROGRESS"];

/** The steps the warning's status allows, each with the mutation that takes it. */
export function stepsFor(status: string): Record<"acknowledge" | "start" | TextStep, boolean> {
  const active = ACTIVE.includes(status);
  return {
    acknowledge: status === "OPEN",
    start: status === "OPEN" || status === "ACKNOWLEDGED",
    assign: active,
    comment: true,
    resolve: active,
    dismiss: active,
  };
}

const MUTATION_OF = {
  acknowledge: "acknowledgeWarning",
  start: "startWarningProgress",
  assign: "assignWarning",
  comment: "commentWarning",
  resolve: "resolveWarning",
  dismiss: "dismissWarning",
} as const;

/** One evidence row: its kind, date, what it says, its source. */
export function evidenceRow(e: Evidence, t: (k: string, o?: Record<string, unknown>) => string, language: Language) {
  const y = (v: string | null | undefined) => formatYuan(v, language);
  switch (e.__typename) {
    case "TaxRecord":
      return { date: e.month, detail: t("warnings.evidence.taxSales", { sales: y(e.taxableSales), paid: y(e.taxPaid), arrears: y(e.arrears) }), source: e.source };
    case "FinancialStatement":
      return {
        date: `${formatDate(e.periodEnd, language)} ${e.periodTypeLabel ?? ""}`.trim(),
        detail: t("warnings.evidence.statement", { revenue: y(e.revenue), profit: y(e.netProfit), assets: y(e.totalAssets), liabilities: y(e.totalLiabilities) }),
        source: e.source,
      };
    case "RegistryEvent":
      return { date: formatDate(e.eventDate, language), detail: `${e.kindLabel ?? ""} ${e.description}`.trim(), source: e.source };
    case "LegalCase":
      return {
        date: formatDate(e.caseDate, language),
        detail: t("warnings.evidence.case", { caseNo: e.caseNo, kind: e.kindLabel ?? "", description: e.description, amount: y(e.amount) }),
        source: e.source,
      };
    case "BureauSummary":
      return { date: formatDate(e.reportDate, language), detail: t("warnings.evidence.bureau", { count: e.overdueCount, amount: y(e.overdueAmount), debt: y(e.debtOtherLenders) }), source: e.source };
    case "RepaymentHistory":
      return {
        date: formatDate(e.dueDate, language),
        detail: t("warnings.evidence.repayment", { loan: e.loanRef, due: y(e.amountDue), paid: y(e.amountPaid), days: e.daysPastDue }),
        source: e.source,
      };
    default:
      return { date: "—", detail: "—", source: "—" };
  }
}

function EvidenceTable({ warning }: { warning: Detail }) {
  const { t } = useTranslation();
  const language = currentLanguage();
  const rows = warning.evidence.map((e, i) => ({ key: "id" in e ? e.id : String(i), evidence: e, ...evidenceRow(e, t, language) }));
  return (
    <DataTable
      testId="evidence-table"
      label={t("warnings.evidence.title")}
      rows={rows}
      rowKey={(r) => r.key}
      cards={false}
      empty={t("warnings.evidence.empty")}
      columns={[
        { key: "kind", title: t("warnings.evidence.kind"), nowrap: true, render: (r) => t(`warnings.evidence.${r.evidence.__typename ?? "TaxRecord"}`) },
        { key: "date", title: t("warnings.evidence.date"), nowrap: true, render: (r) => r.date },
        { key: "detail", title: t("warnings.evidence.detail"), render: (r) => r.detail },
        { key: "source", title: t("warnings.evidence.source"), render: (r) => r.source },
      ]}
    />
  );
}

function History({ warning }: { warning: Detail }) {
  const { t } = useTranslation();
  const language = currentLanguage();
  const events = warning.history.edges.map((e) => e.node);
  return (
    <DataTable
      testId="history-table"
      label={t("warnings.history.title")}
      rows={events}
      rowKey={(e) => String(events.indexOf(e))}
      rowProps={(e) => ({ "data-kind": e.kind })}
      cards={false}
      empty={t("warnings.history.empty")}
      columns={[
        { key: "when", title: t("warnings.history.when"), nowrap: true, render: (e) => formatDateTime(e.at, language) },
        { key: "step", title: t("warnings.history.step"), nowrap: true, render: (e) => e.kindLabel },
        { key: "actor", title: t("warnings.history.actor"), render: (e) => e.actor },
        { key: "note", title: t("warnings.history.note"), render: (e) => e.note ?? "—" },
      ]}
    />
  );
}

/** `/warnings/:id`: one warning, the evidence that raised it, its history and comments,
 * and the steps the user may take (each sends the version shown: a stale one is refused
 * with an offer to reload). */
export function WarningDetailPage() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const language = currentLanguage();
  const { id = "" } = useParams();
  const permissions = usePermissions();
  const [{ data, error, fetching }, reload] = useQuery({ query: WarningDetailDocument, variables: { id } });
  const [refusal, setRefusal] = useState<UserError | null>(null);
  const [dialog, setDialog] = useState<TextStep | null>(null);
  const [ack, acknowledge] = useMutation(AcknowledgeWarningDocument);
  const [start, startProgress] = useMutation(StartWarningProgressDocument);
  const [asg, assign] = useMutation(AssignWarningDocument);
  const [com, comment] = useMutation(CommentWarningDocument);
  const [res, resolve] = useMutation(ResolveWarningDocument);
  const [dis, dismiss] = useMutation(DismissWarningDocument);
  const busy = ack.fetching || start.fetching || asg.fetching || com.fetching || res.fetching || dis.fetching;

  const warning = data?.warning;
  const shownError = pageError(error);
  if (fetching && !warning) return <Spin />;
  if (!warning) {
    return (
      <Result
        status="404"
        title={shownError ? userError(shownError, t).message : t("warnings.detail.notFound")}
        extra={<Link to="/warnings">{t("warnings.detail.back")}</Link>}
      />
    );
  }

  const expectedVersion = warning.version;
  const answered = (answer: WarningStepResultFragment | undefined, failure: ReturnType<typeof userError> | null) => {
    if (answer?.__typename === "Warning") {
      setRefusal(null);
      setDialog(null);
      void message.success(t("warnings.detail.done"));
      reload({ requestPolicy: "network-only" });
      return;
    }
    setRefusal(failure ?? businessError(answer));
  };
  const run = async (step: keyof typeof MUTATION_OF, text = "") => {
    const vars = { id: warning.id, expectedVersion };
    let result;
    switch (step) {
      case "acknowledge":
        result = await acknowledge(vars);
        return answered(result.data?.acknowledgeWarning, result.error ? userError(result.error, t) : null);
      case "start":
        result = await startProgress(vars);
        return answered(result.data?.startWarningProgress, result.error ? userError(result.error, t) : null);
      case "assign":
        result = await assign({ ...vars, assignee: text });
        return answered(result.data?.assignWarning, result.error ? userError(result.error, t) : null);
      case "comment":
        result = await comment({ id: warning.id, body: text });
        return answered(result.data?.commentWarning, result.error ? userError(result.error, t) : null);
      case "resolve":
        result = await resolve({ ...vars, note: text });
        return answered(result.data?.resolveWarning, result.error ? userError(result.error, t) : null);
      case "dismiss":
        result = await dismiss({ ...vars, reason: text });
        return answered(result.data?.dismissWarning, result.error ? userError(result.error, t) : null);
    }
  };
  const onReload = () => {
    setRefusal(null);
    reload({ requestPolicy: "network-only" });
  };

  const allowed = stepsFor(warning.status);
  const offered = (Object.keys(MUTATION_OF) as (keyof typeof MUTATION_OF)[]).filter(
    (step) => allowed[step] && permissions.may(MUTATION_OF[step]),
  );
  const labels: Record<keyof typeof MUTATION_OF, string> = {
    acknowledge: t("warnings.action.acknowledge"),
    start: t("warnings.action.start"),
    assign: t("warnings.action.assign"),
    comment: t("warnings.action.comment"),
    resolve: t("warnings.action.resolve"),
    dismiss: t("warnings.action.dismiss"),
  };
  const comments = warning.comments.edges.map((e) => e.node);
  const refusalShown = <Refusal error={refusal} onReload={onReload} />;

  return (
    <>
      <p>
        <Link to="/warnings">{t("warnings.detail.back")}</Link>
      </p>
      <Typography.Title level={1} style={{ fontSize: 24 }} data-testid="page-title">
        {warning.ruleName}
      </Typography.Title>
      <p className="warning-message">
        <SeverityMark severity={warning.severity} label={warning.severityLabel} />{" "}
        <StatusMark status={warning.status} label={warning.statusLabel} /> {warning.message}
      </p>
      {dialog ? null : refusalShown}
      <section className="warning-section" aria-labelledby="warning-actions">
        <h2 id="warning-actions">{t("warnings.detail.actions")}</h2>
        {offered.length ? (
          <div className="warning-actions" data-testid="warning-actions">
            {offered.map((step) => (
              <Button
                key={step}
                data-testid={`action-${step}`}
                type={step === "acknowledge" || step === "resolve" ? "primary" : "default"}
                className={step === "dismiss" ? "warning-dismiss" : undefined}
                disabled={busy}
                onClick={() => {
                  setRefusal(null);
                  if (step === "acknowledge" || step === "start") void run(step);
                  else setDialog(step);
                }}
              >
                {labels[step]}
              </Button>
            ))}
          </div>
        ) : (
          <p>{t("warnings.detail.noActions")}</p>
        )}
      </section>
      <section className="warning-section" aria-labelledby="warning-summary">
        <h2 id="warning-summary">{t("warnings.detail.summary")}</h2>
        <Descriptions bordered size="small" column={{ xs: 1, sm: 2, lg: 3 }} data-testid="warning-summary">
          <Descriptions.Item label={t("warnings.detail.firm")}>
            <Link to={`/firms/${encodeURIComponent(warning.firm.id)}`}>{warning.firm.name}</Link>
          </Descriptions.Item>
          <Descriptions.Item label={t("warnings.detail.branch")}>{warning.firm.branchCode}</Descriptions.Item>
          <Descriptions.Item label={t("warnings.detail.loan")}>
            {warning.loan ? <Link to={`/loans/${encodeURIComponent(warning.loan.id)}`}>{warning.loan.loanRef}</Link> : "—"}
          </Descriptions.Item>
          <Descriptions.Item label={t("warnings.detail.observed")}>
            <FieldValue type="Warning" field="observedValue" value={warning.observedValue} />
          </Descriptions.Item>
          <Descriptions.Item label={t("warnings.detail.threshold")}>
            <FieldValue type="Warning" field="threshold" value={warning.threshold} />
          </Descriptions.Item>
          <Descriptions.Item label={t("warnings.detail.assignee")}>
            <span data-testid="warning-assignee">{warning.assignee ?? t("warnings.detail.unassigned")}</span>
          </Descriptions.Item>
          <Descriptions.Item label={t("warnings.detail.openedAt")}>{formatDateTime(warning.openedAt, language)}</Descriptions.Item>
          <Descriptions.Item label={t("warnings.detail.acknowledgedAt")}>{formatDateTime(warning.acknowledgedAt, language)}</Descriptions.Item>
          <Descriptions.Item label={t("warnings.detail.resolvedAt")}>{formatDateTime(warning.resolvedAt, language)}</Descriptions.Item>
          <Descriptions.Item label={t("warnings.detail.resolutionNote")}>{warning.resolutionNote ?? "—"}</Descriptions.Item>
          <Descriptions.Item label={t("warnings.detail.version")}>{warning.version}</Descriptions.Item>
        </Descriptions>
      </section>
      <section className="warning-section" aria-labelledby="warning-evidence">
        <h2 id="warning-evidence">{t("warnings.evidence.title")}</h2>
        <EvidenceTable warning={warning} />
      </section>
      <section className="warning-section" aria-labelledby="warning-history">
        <h2 id="warning-history">{t("warnings.history.title")}</h2>
        <History warning={warning} />
      </section>
      <section className="warning-section" aria-labelledby="warning-comments">
        <h2 id="warning-comments">{t("warnings.comments.title")}</h2>
        {comments.length ? (
          <ul className="comment-list" data-testid="comments">
            {comments.map((c) => (
              <li key={c.id}>
                <p className="muted">
                  {c.author} · {formatDateTime(c.createdAt, language)}
                </p>
                <p>{c.body}</p>
              </li>
            ))}
          </ul>
        ) : (
          <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t("warnings.comments.empty")} />
        )}
      </section>
      <StepDialog
        step={dialog}
        busy={busy}
        refusal={dialog ? refusalShown : null}
        onSubmit={(text) => dialog && void run(dialog, text)}
        onCancel={() => {
          setDialog(null);
          setRefusal(null);
        }}
      />
    </>
  );
}
