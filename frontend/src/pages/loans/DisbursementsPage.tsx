import { App, Button, Form, Input, Typography } from "antd";
import { Dialog } from "../../ui/Dialog";
import { useCallback, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { useClient, useQuery } from "urql";
import { businessError, pageError, userError } from "../../api/errors";
import type { UserError } from "../../api/errors";
import { usePermissions } from "../../api/permissions";
import { ConfirmDisbursementDocument, DisburseLoanDocument, DisbursementsDocument } from "../../gql/graphql";
import type { DisbursementRowFragment } from "../../gql/graphql";
import { currentLanguage } from "../../i18n";
import { formatDateTime, formatRate, formatYuan } from "../../ui/format";
import { DataTable } from "../../ui/DataTable";
import type { Column } from "../../ui/DataTable";
import { Refusal } from "../../ui/Refusal";
import { LoanTag } from "./LoanTag";
import { today } from "./RepaymentDialogs";

type Row = DisbursementRowFragment;
type Step = { kind: "disburse" | "confirm"; row: Row } | null;

const VARIABLES = { approved: { status: "APPROVED" as const }, disbursed: { status: "DISBURSED" as const } };

/** Issue the payment order (disburseLoan) or confirm the funds arrived
 * (confirmDisbursement, with the day): a second person each time (maker-checker). */
function StepDialog({ step, onClose, onDone, onReload }: { step: NonNullable<Step>; onClose: () => void; onDone: () => void; onReload: () => void }) {
  const { t } = useTranslation();
  const client = useClient();
  const [form] = Form.useForm<{ disbursedOn: string }>();
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<UserError | null>(null);
  const { row, kind } = step;
  const language = currentLanguage();
  const submit = async () => {
    if (sending) return;
    let disbursedOn: string | null = null;
    if (kind === "confirm") {
      try {
        disbursedOn = (await form.validateFields()).disbursedOn || null;
      } catch {
        return;
      }
    }
    setSending(true);
    setError(null);
    const result =
      kind === "disburse"
        ? await client.mutation(DisburseLoanDocument, { id: row.id, expectedVersion: row.version }).toPromise()
        : await client.mutation(ConfirmDisbursementDocument, { id: row.id, disbursedOn, expectedVersion: row.version }).toPromise();
    setSending(false);
    if (result.error) return setError(userError(result.error, t));
    const data = result.data;
    const answer = data && ("disburseLoan" in data ? data.disburseLoan : "confirmDisbursement" in data ? data.confirmDisbursement : null);
    const refused = businessError(answer);
    if (refused) return setError(refused);
    onDone();
  };
  return (
    <Dialog
      open
      title={t(kind === "disburse" ? "loans.disbursements.disburseTitle" : "loans.disbursements.confirmTitle")}
      okText={t(kind === "disburse" ? "loans.disbursements.disburse" : "loans.disbursements.confirm")}
      cancelText={t("loans.cancel")}
      onOk={() => void submit()}
      onCancel={onClose}
      confirmLoading={sending}
      okButtonProps={{ "data-testid": "step-submit" }}
    >
      <p>
        {t("loans.disbursements.summary", {
          firm: row.firm.name,
          amount: formatYuan(row.amount, language),
          months: row.termMonths,
        })}
      </p>
      <p className="loans-muted">{t(kind === "disburse" ? "loans.disbursements.disburseHint" : "loans.disbursements.confirmHint")}</p>
      {kind === "confirm" ? (
        <Form form={form} layout="vertical" name="confirmDisbursement" initialValues={{ disbursedOn: today() }}>
          <Form.Item name="disbursedOn" label={t("loans.disbursements.disbursedOn")} rules={[{ required: true, message: t("loans.required") }]}>
            <Input type="date" />
          </Form.Item>
        </Form>
      ) : null}
      <Refusal
        error={error}
        onReload={() => {
          onReload();
          onClose();
        }}
      />
    </Dialog>
  );
}

/** `/loans/disbursements`: approved applications awaiting the payment order, and issued
 * orders awaiting confirmation, with the step the caller may take on each. */
export default function DisbursementsPage() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const language = currentLanguage();
  const permissions = usePermissions();
  const [{ data, error, fetching }, refetch] = useQuery({ query: DisbursementsDocument, variables: VARIABLES, requestPolicy: "cache-and-network" });
  const [step, setStep] = useState<Step>(null);
  const reload = useCallback(() => refetch({ requestPolicy: "network-only" }), [refetch]);
  const failed = pageError(error);

  const columns = (kind: "disburse" | "confirm"): Column<Row>[] => [
    { key: "firm", title: t("loans.col.firm"), render: (r) => r.firm.name },
    { key: "product", title: t("loans.col.product"), render: (r) => r.product.name },
    { key: "amount", title: t("loans.disbursements.amount"), numeric: true, render: (r) => formatYuan(r.amount, language) },
    { key: "term", title: t("loans.detail.term"), render: (r) => t("loans.detail.months", { count: r.termMonths }) },
    { key: "rate", title: t("loans.detail.rate"), numeric: true, render: (r) => formatRate(r.annualRate) },
    { key: "status", title: t("loans.col.status"), render: (r) => <LoanTag value={r.status} label={r.statusLabel} /> },
    { key: "maker", title: t("loans.disbursements.maker"), render: (r) => r.makerId },
    { key: "decided", title: t("loans.disbursements.decidedAt"), render: (r) => formatDateTime(r.decidedAt, language) },
    {
      key: "loan",
      title: t("loans.col.ref"),
      render: (r) => (r.loan ? <Link to={`/loans/${encodeURIComponent(r.loan.id)}`}>{r.loan.loanRef}</Link> : "—"),
    },
    {
      key: "action",
      title: <span className="visually-hidden">{t("loans.actions")}</span>,
      render: (r) => {
        const mutation = kind === "disburse" ? "disburseLoan" : "confirmDisbursement";
        const action = kind === "disburse" ? "DISBURSE_LOAN" : "CONFIRM_DISBURSEMENT";
        if (!permissions.may(mutation)) return null;
        if (!r.allowedActions.includes(action)) return <span className="loans-muted">{t("loans.disbursements.otherPerson")}</span>;
        return (
          <Button size="small" type="primary" onClick={() => setStep({ kind, row: r })} data-testid={`${kind}-${r.id}`}>
            {t(kind === "disburse" ? "loans.disbursements.disburse" : "loans.disbursements.confirm")}
          </Button>
        );
      },
    },
  ];

  return (
    <>
      <Typography.Title level={1} style={{ fontSize: 24 }} data-testid="page-title">
        {t("loans.disbursements.title")}
      </Typography.Title>
      <Link to="/loans">{t("loans.disbursements.back")}</Link>
      {failed ? <Refusal error={userError(failed, t)} /> : null}
      <section className="loans-section" aria-labelledby="awaiting-disbursement">
        <h2 id="awaiting-disbursement">
          {t("loans.disbursements.approved")} ({data?.approved.totalCount ?? 0})
        </h2>
        <DataTable<Row>
          label={t("loans.disbursements.approved")}
          rows={data?.approved.edges.map((e) => e.node) ?? []}
          rowKey={(r) => r.id}
          rowProps={(r) => ({ "data-row": r.id })}
          columns={columns("disburse")}
          cardTitle={(r) => r.firm.name}
          empty={fetching && !data ? t("loans.list.loading") : t("loans.disbursements.none")}
          testId="awaiting-disbursement"
        />
      </section>
      <section className="loans-section" aria-labelledby="awaiting-confirmation">
        <h2 id="awaiting-confirmation">
          {t("loans.disbursements.disbursed")} ({data?.disbursed.totalCount ?? 0})
        </h2>
        <DataTable<Row>
          label={t("loans.disbursements.disbursed")}
          rows={data?.disbursed.edges.map((e) => e.node) ?? []}
          rowKey={(r) => r.id}
          rowProps={(r) => ({ "data-row": r.id })}
          columns={columns("confirm")}
          cardTitle={(r) => r.firm.name}
          empty={fetching && !data ? t("loans.list.loading") : t("loans.disbursements.none")}
          testId="awaiting-confirmation"
        />
      </section>
      {step ? (
        <StepDialog
          step={step}
          onClose={() => setStep(null)}
          onReload={reload}
          onDone={() => {
            setStep(null);
            void message.success(t(step.kind === "disburse" ? "loans.disbursements.disbursed_done" : "loans.disbursements.confirmed_done"));
            reload();
          }}
        />
      ) : null}
    </>
  );
}
