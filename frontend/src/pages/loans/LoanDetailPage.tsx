import { App, Button, Descriptions, Result, Space, Spin, Typography } from "antd";
import { useCallback, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useParams } from "react-router";
import { useQuery } from "urql";
import { pageError, userError } from "../../api/errors";
import { usePermissions } from "../../api/permissions";
import { LoanDetailDocument, LoanFilterOptionsDocument } from "../../gql/graphql";
import type { LoanDetailQuery, LoanRepaymentFragment } from "../../gql/graphql";
import { currentLanguage } from "../../i18n";
import { DataTable } from "../../ui/DataTable";
import { FieldValue } from "../../ui/FieldValue";
import { formatDate, formatDateTime, formatRate, formatYuan } from "../../ui/format";
import { Refusal } from "../../ui/Refusal";
import { LoanTag } from "./LoanTag";
import { OverrideDialog, PostRepaymentDialog, ReverseRepaymentDialog } from "./RepaymentDialogs";

type Loan = LoanDetailQuery["loan"];
type Instalment = Loan["schedule"][number];
type Record = Loan["classificationHistory"]["edges"][number]["node"];

/** Loans that take repayments (not closed, written off or reversed). */
const REPAYABLE = new Set(["ACTIVE", "OVERDUE"]);

function paid(i: Instalment): string {
  // The server's three paid components, summed digit-exact on strings with two decimals.
  return addMoney(addMoney(i.paidPrincipal, i.paidInterest), i.paidPenalty);
}

/** `a + b` for decimal strings, in cents as BigInt (no float ever touches money). */
export function addMoney(a: string, b: string): string {
  const cents = (v: string) => {
    const m = /^(-?)(\d+)(?:\.(\d{0,2})\d*)?$/.exec(v.trim());
    if (!m) return 0n;
    const value = BigInt((m[2] ?? "0") + (m[3] ?? "").padEnd(2, "0"));
    return m[1] ? -value : value;
  };
  const sum = cents(a) + cents(b);
  const sign = sum < 0n ? "-" : "";
  const abs = (sum < 0n ? -sum : sum).toString().padStart(3, "0");
  return `${sign}${abs.slice(0, -2)}.${abs.slice(-2)}`;
}

function Basics({ loan }: { loan: Loan }) {
  const { t } = useTranslation();
  const language = currentLanguage();
  const money = (v: string | number) => formatYuan(String(v), language);
  return (
    <Descriptions bordered size="small" column={{ xs: 1, sm: 2, lg: 3 }} data-testid="loan-basics">
      <Descriptions.Item label={t("loans.col.ref")}>{loan.loanRef}</Descriptions.Item>
      <Descriptions.Item label={t("loans.col.firm")}>
        <Link to={`/firms/${encodeURIComponent(loan.firm.id)}`}>{loan.firm.name}</Link>
      </Descriptions.Item>
      <Descriptions.Item label={t("loans.col.product")}>{loan.product}</Descriptions.Item>
      <Descriptions.Item label={t("loans.detail.principal")}>
        <FieldValue type="Loan" field="principal" value={loan.principal} render={money} />
      </Descriptions.Item>
      <Descriptions.Item label={t("loans.col.outstanding")}>
        <FieldValue type="Loan" field="outstandingPrincipal" value={loan.outstandingPrincipal} render={money} />
      </Descriptions.Item>
      <Descriptions.Item label={t("loans.detail.rate")}>
        <FieldValue type="Loan" field="annualRate" value={loan.annualRate} render={(v) => formatRate(String(v))} />
      </Descriptions.Item>
      <Descriptions.Item label={t("loans.detail.term")}>{t("loans.detail.months", { count: loan.termMonths })}</Descriptions.Item>
      <Descriptions.Item label={t("loans.detail.method")}>{loan.repaymentMethodLabel}</Descriptions.Item>
      <Descriptions.Item label={t("loans.detail.guarantee")}>{loan.guaranteeTypeLabel}</Descriptions.Item>
      <Descriptions.Item label={t("loans.col.status")}>
        <span data-testid="loan-status">
          <LoanTag value={loan.status} label={loan.statusLabel} />
        </span>
      </Descriptions.Item>
      <Descriptions.Item label={t("loans.col.class")}>
        <LoanTag value={loan.classification} label={loan.classificationLabel} />
      </Descriptions.Item>
      <Descriptions.Item label={t("loans.col.dpd")}>
        <span data-testid="loan-dpd">{loan.daysPastDue}</span>
      </Descriptions.Item>
      <Descriptions.Item label={t("loans.col.branch")}>{loan.branchCode}</Descriptions.Item>
      <Descriptions.Item label={t("loans.detail.officer")}>
        <FieldValue type="Loan" field="officer" value={loan.officer} />
      </Descriptions.Item>
      <Descriptions.Item label={t("loans.detail.disbursedOn")}>{formatDate(loan.disbursedOn, language)}</Descriptions.Item>
      <Descriptions.Item label={t("loans.col.maturity")}>{formatDate(loan.maturityOn, language)}</Descriptions.Item>
      <Descriptions.Item label={t("loans.detail.purpose")}>{loan.purpose || "—"}</Descriptions.Item>
    </Descriptions>
  );
}

function Schedule({ loan }: { loan: Loan }) {
  const { t } = useTranslation();
  const language = currentLanguage();
  return (
    <DataTable<Instalment>
      label={t("loans.schedule.title")}
      rows={loan.schedule}
      rowKey={(i) => String(i.number)}
      cards={false}
      testId="loan-schedule"
      empty={t("loans.schedule.empty")}
      columns={[
        { key: "n", title: t("loans.schedule.number"), numeric: true, render: (i) => i.number },
        { key: "due", title: t("loans.schedule.due"), render: (i) => formatDate(i.dueDate, language) },
        { key: "principal", title: t("loans.schedule.principal"), numeric: true, render: (i) => formatYuan(i.principal, language) },
        { key: "interest", title: t("loans.schedule.interest"), numeric: true, render: (i) => formatYuan(i.interest, language) },
        { key: "penalty", title: t("loans.schedule.penalty"), numeric: true, render: (i) => formatYuan(i.penaltyAccrued, language) },
        { key: "paid", title: t("loans.schedule.paid"), numeric: true, render: (i) => formatYuan(paid(i), language) },
        { key: "status", title: t("loans.schedule.status"), render: (i) => <LoanTag value={i.status} label={i.statusLabel} /> },
      ]}
    />
  );
}

function Repayments({ loan, mayReverse, onReverse }: { loan: Loan; mayReverse: boolean; onReverse: (id: string) => void }) {
  const { t } = useTranslation();
  const language = currentLanguage();
  const rows = loan.repayments.edges.map((e) => e.node);
  return (
    <DataTable<LoanRepaymentFragment>
      label={t("loans.repayments.title")}
      rows={rows}
      rowKey={(r) => r.id}
      testId="loan-repayments"
      empty={t("loans.repayments.empty")}
      cardTitle={(r) => `${formatDate(r.receivedOn, language)} · ${formatYuan(r.amount, language)}`}
      columns={[
        { key: "on", title: t("loans.repayments.receivedOn"), render: (r) => formatDate(r.receivedOn, language) },
        { key: "amount", title: t("loans.repayments.amount"), numeric: true, render: (r) => formatYuan(r.amount, language) },
        {
          key: "kind",
          title: t("loans.repayments.kind"),
          render: (r) =>
            r.reversalOf ? t("loans.repayments.reversal") : r.reversedAt ? t("loans.repayments.reversed", { at: formatDateTime(r.reversedAt, language) }) : t("loans.repayments.posted"),
        },
        {
          key: "allocation",
          title: t("loans.repayments.allocation"),
          render: (r) =>
            r.allocation.length
              ? r.allocation.map((a) => `#${a.instalment} ${a.componentLabel} ${formatYuan(a.amount, language)}`).join("; ")
              : "—",
        },
        {
          key: "action",
          title: <span className="visually-hidden">{t("loans.actions")}</span>,
          render: (r) =>
            mayReverse && !r.reversalOf && !r.reversedAt ? (
              <Button size="small" danger onClick={() => onReverse(r.id)} data-testid="reverse-repayment">
                {t("loans.reverse.open")}
              </Button>
            ) : null,
        },
      ]}
    />
  );
}

function History({ loan }: { loan: Loan }) {
  const { t } = useTranslation();
  const language = currentLanguage();
  return (
    <DataTable<Record>
      label={t("loans.history.title")}
      rows={loan.classificationHistory.edges.map((e) => e.node)}
      rowKey={(r) => `${r.asOf}-${r.loanClass}-${r.actor}-${r.dpd}`}
      testId="loan-history"
      empty={t("loans.history.empty")}
      columns={[
        { key: "asOf", title: t("loans.history.asOf"), render: (r) => formatDate(r.asOf, language) },
        { key: "class", title: t("loans.col.class"), render: (r) => <LoanTag value={r.loanClass} label={r.classLabel} /> },
        { key: "dpd", title: t("loans.col.dpd"), numeric: true, render: (r) => r.dpd },
        { key: "stage", title: t("loans.history.stage"), numeric: true, render: (r) => r.stage },
        { key: "how", title: t("loans.history.how"), render: (r) => (r.overridden ? t("loans.history.manual") : t("loans.history.rule")) },
        { key: "actor", title: t("loans.history.actor"), render: (r) => r.actor },
        { key: "reason", title: t("loans.history.reason"), render: (r) => r.reason ?? "—" },
      ]}
    />
  );
}

type Dialog = { kind: "repay" } | { kind: "reverse"; id: string } | { kind: "override" } | null;

/** `/loans/:id`: one loan, its schedule, repayments and classification history. */
export default function LoanDetailPage() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const { id = "" } = useParams();
  const [{ data, fetching, error }, refetch] = useQuery({ query: LoanDetailDocument, variables: { id } });
  const [{ data: options }] = useQuery({ query: LoanFilterOptionsDocument });
  const permissions = usePermissions();
  const [dialog, setDialog] = useState<Dialog>(null);
  const reload = useCallback(() => refetch({ requestPolicy: "network-only" }), [refetch]);
  const done = useCallback(
    (text: string) => {
      setDialog(null);
      void message.success(text);
      reload();
    },
    [message, reload],
  );
  const failed = pageError(error);
  if (!data && fetching) return <Spin />;
  if (failed && !data?.loan) {
    return (
      <>
        <Typography.Title level={1} style={{ fontSize: 24 }} data-testid="page-title">
          {t("loans.detail.title")}
        </Typography.Title>
        <Refusal error={userError(failed, t)} />
      </>
    );
  }
  const loan = data?.loan;
  if (!loan) return <Result status="404" title={t("loans.detail.missing")} />;
  const mayRepay = permissions.may("postRepayment") && REPAYABLE.has(loan.status);
  const mayOverride = permissions.may("requestClassificationOverride") && REPAYABLE.has(loan.status);
  return (
    <>
      <div className="loans-toolbar">
        <Typography.Title level={1} style={{ fontSize: 24, margin: 0 }} data-testid="page-title">
          {t("loans.detail.heading", { ref: loan.loanRef })}
        </Typography.Title>
        <Space wrap>
          {mayRepay ? (
            <Button type="primary" onClick={() => setDialog({ kind: "repay" })} data-testid="open-repay">
              {t("loans.repay.open")}
            </Button>
          ) : null}
          {mayOverride ? (
            <Button onClick={() => setDialog({ kind: "override" })} data-testid="open-override">
              {t("loans.override.open")}
            </Button>
          ) : null}
        </Space>
      </div>
      <Basics loan={loan} />
      <section className="loans-section" aria-labelledby="loan-schedule-h">
        <h2 id="loan-schedule-h">{t("loans.schedule.title")}</h2>
        <Schedule loan={loan} />
      </section>
      <section className="loans-section" aria-labelledby="loan-repayments-h">
        <h2 id="loan-repayments-h">
          {t("loans.repayments.title")} <span className="loans-muted" data-testid="repayment-count">({loan.repayments.totalCount})</span>
        </h2>
        <Repayments loan={loan} mayReverse={permissions.may("reverseRepayment")} onReverse={(rid) => setDialog({ kind: "reverse", id: rid })} />
      </section>
      <section className="loans-section" aria-labelledby="loan-history-h">
        <h2 id="loan-history-h">{t("loans.history.title")}</h2>
        <History loan={loan} />
      </section>
      {dialog?.kind === "repay" ? (
        <PostRepaymentDialog loanId={loan.id} onClose={() => setDialog(null)} onPosted={() => done(t("loans.repay.done"))} />
      ) : null}
      {dialog?.kind === "reverse" ? (
        <ReverseRepaymentDialog repaymentId={dialog.id} onClose={() => setDialog(null)} onDone={() => done(t("loans.reverse.done"))} />
      ) : null}
      {dialog?.kind === "override" ? (
        <OverrideDialog
          loanId={loan.id}
          version={loan.version}
          classes={options?.classes ?? []}
          onClose={() => setDialog(null)}
          onDone={() => done(t("loans.override.done"))}
          onReload={reload}
        />
      ) : null}
    </>
  );
}
