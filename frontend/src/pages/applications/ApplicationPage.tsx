import { Alert, App as AntdApp, Button, Card, Descriptions, Spin, Typography } from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useParams } from "react-router";
import { useMutation, useQuery } from "urql";
import type { OperationResult } from "urql";
import { businessError, pageError, userError } from "../../api/errors";
import type { UserError } from "../../api/errors";
import { usePermissions } from "../../api/permissions";
import {
  ApplicationAppealDocument,
  ApplicationApproveDocument,
  ApplicationCancelDocument,
  ApplicationConfirmDisbursementDocument,
  ApplicationDetailDocument,
  ApplicationDisburseDocument,
  ApplicationGrantConsentDocument,
  ApplicationRejectDocument,
  ApplicationReturnDocument,
  ApplicationStartReviewDocument,
  ApplicationSubmitDocument,
  ApplicationUndoApprovalDocument,
  ApplicationWithdrawDocument,
} from "../../gql/graphql";
import type { ApplicationAnswerFragment } from "../../gql/graphql";
import { currentLanguage } from "../../i18n";
import { DataTable } from "../../ui/DataTable";
import { formatDateTime, formatRate, formatYuan } from "../../ui/format";
import { Refusal } from "../../ui/Refusal";
import { ActionDialog } from "./ActionDialog";
import type { ActionInput } from "./ActionDialog";
import { StatusTag } from "./ApplicationTable";
import { CheckMark, DecisionPanel } from "./DecisionPanel";
import type { ApplicationDetail } from "./DecisionPanel";
import { offeredActions } from "./actions";
import type { ActionSpec } from "./actions";

type Answer = OperationResult<Record<string, ApplicationAnswerFragment>>;

/** What is missing before submission, as a checklist; a missing consent can be recorded
 * here when the user may (grantConsent). */
function Checklist({ application, onChanged }: { application: ApplicationDetail; onChanged(): void }) {
  const { t } = useTranslation();
  const permissions = usePermissions();
  const [{ fetching }, grant] = useMutation(ApplicationGrantConsentDocument);
  const [refusal, setRefusal] = useState<UserError | null>(null);
  const ready = application.submissionChecks.every((c) => c.passed);
  return (
    <Card size="small" title={t("applications.section.checklist")} className="apps-section" data-testid="checklist">
      <ul className="apps-check">
        {application.submissionChecks.map((c) => (
          <li key={c.code} data-check={c.code} data-passed={String(c.passed)}>
            <CheckMark passed={c.passed} /> <span>{c.label}</span>
            {!c.passed && c.code === "CONSENT" && permissions.may("grantConsent") && (
              <Button
                size="small"
                loading={fetching}
                data-testid="grant-consent"
                onClick={async () => {
                  setRefusal(null);
                  const result = await grant({ uscc: application.firm.uscc });
                  if (result.error) return setRefusal(userError(result.error, t));
                  const answer = result.data?.grantConsent;
                  if (answer && answer.__typename !== "Consent") return setRefusal(businessError(answer));
                  onChanged();
                }}
              >
                {t("applications.checklist.grantConsent")}
              </Button>
            )}
          </li>
        ))}
      </ul>
      {ready && <p className="apps-pass">{t("applications.checklist.ready")}</p>}
      <Refusal error={refusal} />
    </Card>
  );
}

function History({ application }: { application: ApplicationDetail }) {
  const { t } = useTranslation();
  const language = currentLanguage();
  const rows = application.transitions.edges.map((e) => e.node);
  return (
    <section className="apps-section" aria-labelledby="history-title">
      <h2 id="history-title" style={{ fontSize: 20 }}>
        {t("applications.section.history")}
      </h2>
      <DataTable
        testId="history"
        label={t("applications.section.history")}
        rows={rows}
        rowKey={(r) => `${r.at}-${rows.indexOf(r)}`}
        cards={false}
        empty={t("applications.history.empty")}
        columns={[
          { key: "at", title: t("applications.history.at"), nowrap: true, render: (r) => formatDateTime(r.at, language) },
          { key: "action", title: t("applications.history.action"), render: (r) => r.actionLabel },
          { key: "change", title: t("applications.history.change"), render: (r) => `${r.fromStatusLabel} → ${r.toStatusLabel}` },
          { key: "actor", title: t("applications.history.actor"), render: (r) => r.actor },
          { key: "reason", title: t("applications.history.reason"), render: (r) => r.reason ?? "—" },
        ]}
      />
      {application.approvals.length > 0 && (
        <>
          <h3 style={{ fontSize: 16, marginTop: 16 }}>{t("applications.section.approvals")}</h3>
          <ul className="apps-check" data-testid="approvals">
            {application.approvals.map((a) => (
              <li key={`${a.approver}-${a.at}`}>
                <strong>{a.approver}</strong> <span className="apps-muted">{formatDateTime(a.at, language)}</span>
                {a.reason && <span>{a.reason}</span>}
              </li>
            ))}
          </ul>
        </>
      )}
      {application.overrides.length > 0 && (
        <>
          <h3 style={{ fontSize: 16, marginTop: 16 }}>{t("applications.section.overrides")}</h3>
          <ul className="apps-check" data-testid="overrides">
            {application.overrides.map((o, i) => (
              <li key={`${o.kind}-${i}`}>
                <strong>{o.kindLabel}</strong>
                <span className="apps-muted">
                  {o.systemValue ?? "—"} → {o.decidedValue} · {o.actor}
                </span>
                <span>{o.reason}</span>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

/** One application: its terms, the decision panel, the checklist before submission, the
 * actions the user may take now (each in a dialog, sending the version read), and the
 * full history. */
export function ApplicationPage() {
  const { t } = useTranslation();
  const language = currentLanguage();
  const { message } = AntdApp.useApp();
  const { id = "" } = useParams();
  const permissions = usePermissions();
  const [{ data, fetching, error }, reexecute] = useQuery({
    query: ApplicationDetailDocument,
    variables: { id },
    requestPolicy: "cache-and-network",
  });
  const [dialog, setDialog] = useState<ActionSpec | null>(null);
  const [refusal, setRefusal] = useState<UserError | null>(null);
  const [busy, setBusy] = useState(false);
  const [, submit] = useMutation(ApplicationSubmitDocument);
  const [, startReview] = useMutation(ApplicationStartReviewDocument);
  const [, approve] = useMutation(ApplicationApproveDocument);
  const [, reject] = useMutation(ApplicationRejectDocument);
  const [, giveBack] = useMutation(ApplicationReturnDocument);
  const [, appeal] = useMutation(ApplicationAppealDocument);
  const [, withdraw] = useMutation(ApplicationWithdrawDocument);
  const [, cancel] = useMutation(ApplicationCancelDocument);
  const [, undoApproval] = useMutation(ApplicationUndoApprovalDocument);
  const [, disburse] = useMutation(ApplicationDisburseDocument);
  const [, confirmDisbursement] = useMutation(ApplicationConfirmDisbursementDocument);
  const reload = () => reexecute({ requestPolicy: "network-only" });

  const application = data?.application;
  if (!application) {
    if (fetching) return <Spin />;
    const problem = pageError(error);
    return (
      <>
        <Typography.Title level={1} style={{ fontSize: 24 }} data-testid="page-title">
          {t("applications.detailTitle")}
        </Typography.Title>
        <Alert type="error" role="alert" showIcon title={problem ? problem.message : t("applications.notFound")} />
        <p style={{ marginTop: 12 }}>
          <Link to="/applications">{t("applications.back")}</Link>
        </p>
      </>
    );
  }
  const offered = offeredActions(
    application.allowedActions,
    data?.allowedActions?.map((a) => a.mutation),
    permissions.may,
  );
  const findings = application.approvalFindings.map((f) => f.kindLabel);

  async function run(spec: ActionSpec, input: ActionInput) {
    if (!application) return;
    const base = { id: application.id, v: application.version };
    const reason = input.reason || null;
    setBusy(true);
    setRefusal(null);
    let result: Answer;
    switch (spec.action) {
      case "SUBMIT_APPLICATION":
        result = (await submit(base)) as Answer;
        break;
      case "START_REVIEW":
        result = (await startReview(base)) as Answer;
        break;
      case "APPROVE_APPLICATION":
        result = (await approve({ ...base, reason, overrideReason: input.overrideReason || null })) as Answer;
        break;
      case "REJECT_APPLICATION":
        result = (await reject({ ...base, reason })) as Answer;
        break;
      case "RETURN_APPLICATION":
        result = (await giveBack({ ...base, reason })) as Answer;
        break;
      case "APPEAL_APPLICATION":
        result = (await appeal({ ...base, reason })) as Answer;
        break;
      case "WITHDRAW_APPLICATION":
        result = (await withdraw({ ...base, reason })) as Answer;
        break;
      case "CANCEL_APPLICATION":
        result = (await cancel({ ...base, reason })) as Answer;
        break;
      case "UNDO_APPROVAL":
        result = (await undoApproval({ ...base, reason })) as Answer;
        break;
      case "DISBURSE_LOAN":
        result = (await disburse(base)) as Answer;
        break;
      default:
        result = (await confirmDisbursement(base)) as Answer;
    }
    setBusy(false);
    if (result.error) return setRefusal(userError(result.error, t));
    const answer = result.data ? Object.values(result.data)[0] : undefined;
    if (answer?.__typename === "LoanApplication") {
      setDialog(null);
      void message.success(t("applications.done", { action: t(`applications.action.${spec.mutation}`) }));
      reload();
      return;
    }
    setRefusal(businessError(answer));
    if (answer && "missing" in answer) reload(); // the checklist shows what is missing
  }

  return (
    <>
      <Typography.Title level={1} style={{ fontSize: 24 }} data-testid="page-title">
        {t("applications.detailTitle")} · {application.firm.name}
      </Typography.Title>
      <p>
        <StatusTag status={application.status} label={application.statusLabel} />
      </p>
      <Descriptions
        bordered
        size="small"
        column={{ xs: 1, sm: 2, lg: 3 }}
        title={t("applications.section.terms")}
        items={[
          {
            key: "firm",
            label: t("applications.field.firm"),
            children: <Link to={`/firms/${encodeURIComponent(application.firm.id)}`}>{application.firm.name}</Link>,
          },
          { key: "product", label: t("applications.field.product"), children: application.product.name },
          { key: "amount", label: t("applications.field.amount"), children: formatYuan(application.amount, language) },
          { key: "term", label: t("applications.field.term"), children: t("applications.months", { count: application.termMonths }) },
          { key: "rate", label: t("applications.field.rate"), children: formatRate(application.annualRate) },
          { key: "method", label: t("applications.field.method"), children: application.repaymentMethodLabel },
          { key: "guarantee", label: t("applications.field.guarantee"), children: application.guaranteeTypeLabel },
          { key: "purpose", label: t("applications.field.purpose"), children: application.purpose || "—" },
          { key: "maker", label: t("applications.field.maker"), children: application.makerId },
          { key: "branch", label: t("applications.field.branch"), children: application.branchCode },
          { key: "submitted", label: t("applications.field.submittedAt"), children: formatDateTime(application.submittedAt, language) },
          { key: "round", label: t("applications.field.round"), children: application.approvalRound },
          ...(application.loan
            ? [
                {
                  key: "loan",
                  label: t("applications.field.loan"),
                  children: (
                    <Link to={`/loans/${encodeURIComponent(application.loan.id)}`} data-testid="loan-link">
                      {t("applications.field.openLoan")}
                    </Link>
                  ),
                },
              ]
            : []),
        ]}
      />
      <section className="apps-section" aria-labelledby="actions-title">
        <h2 id="actions-title" style={{ fontSize: 20 }}>
          {t("applications.section.actions")}
        </h2>
        {offered.length ? (
          <div className="apps-actions" data-testid="actions">
            {offered.map((spec) => (
              <Button
                key={spec.action}
                type={spec.danger ? "default" : "primary"}
                danger={spec.danger}
                data-action={spec.mutation}
                onClick={() => {
                  setRefusal(null);
                  setDialog(spec);
                }}
              >
                {t(`applications.action.${spec.mutation}`)}
              </Button>
            ))}
          </div>
        ) : (
          <p>{t("applications.action.none")}</p>
        )}
        {!dialog && <Refusal error={refusal} onReload={reload} />}
      </section>
      {(application.status === "DRAFT" || application.status === "RETURNED") && (
        <Checklist application={application} onChanged={reload} />
      )}
      <DecisionPanel application={application} />
      <History application={application} />
      {dialog && offered.some((spec) => spec.action === dialog.action) && (
        <ActionDialog
          spec={dialog}
          findings={findings}
          busy={busy}
          refusal={refusal}
          onConfirm={(input) => void run(dialog, input)}
          onCancel={() => {
            setDialog(null);
            setRefusal(null);
          }}
          onReload={() => {
            reload();
            setRefusal(null);
          }}
        />
      )}
    </>
  );
}
