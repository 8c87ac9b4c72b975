import { Alert, Skeleton } from "antd";
import type { ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { useQuery } from "urql";
import { pageError, userError } from "../../api/errors";
import {
  FirmBureauSummariesDocument,
  FirmFinancialsDocument,
  FirmLegalCasesDocument,
  FirmLoansDocument,
  FirmRegistryEventsDocument,
  FirmScoresDocument,
  FirmTaxRecordsDocument,
  FirmTimelineDocument,
  FirmWarningsDocument,
} from "../../gql/graphql";
import type {
  FirmBureauSummariesQuery,
  FirmFinancialsQuery,
  FirmLegalCasesQuery,
  FirmLoansQuery,
  FirmRegistryEventsQuery,
  FirmScoresQuery,
  FirmTaxRecordsQuery,
  FirmWarningsQuery,
} from "../../gql/graphql";
import { currentLanguage } from "../../i18n";
import { DataTable, LoadMore } from "../../ui/DataTable";
import type { Column } from "../../ui/DataTable";
import { formatDate, formatDateTime, formatYuan } from "../../ui/format";
import { GradeBadge, SeverityBadge } from "./badges";
import FirmChart from "./FirmChart";
import type { ChartSeries } from "./FirmChart";
import { useKeysetPages } from "./useKeysetPages";
import type { KeysetPages, PageOf } from "./useKeysetPages";

// ECharts is large: it loads only when a chart tab is opened.

type Conn<N> = { edges: { node: N }[]; pageInfo?: { hasNextPage: boolean; endCursor?: string | null } } | null | undefined;

function pageOf<N>(conn: Conn<N>): PageOf<N> | null {
  if (!conn) return null;
  return {
    nodes: conn.edges.map((e) => e.node),
    hasNextPage: conn.pageInfo?.hasNextPage ?? false,
    endCursor: conn.pageInfo?.endCursor ?? null,
  };
}

/** A decimal string as a number, for drawing only (never for showing an amount). */
export function chartNumber(value: string | null | undefined): number | null {
  if (value === null || value === undefined || value === "") return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}

function Chart({ label, categories, series, testId }: { label: string; categories: string[]; series: ChartSeries[]; testId: string }) {
  const language = currentLanguage();
  return (
    <figure className="firm-chart-figure" aria-label={label}>
      <figcaption>{label}</figcaption>
      <FirmChart categories={categories} series={series} language={language} testId={testId} />
    </figure>
  );
}

/** A tab's list: the refusal (if the read failed), the table, and "load more". */
function PagedTable<T>({
  label,
  columns,
  list,
  rowKey,
  testId,
}: {
  label: string;
  columns: Column<T>[];
  list: KeysetPages<T>;
  rowKey: (row: T) => string;
  testId: string;
}) {
  const { t } = useTranslation();
  const failure = pageError(list.error);
  if (list.denied) return <p className="firm-muted" data-testid={`${testId}-denied`}>{t("field.denied")}</p>;
  return (
    <>
      {failure ? <Alert type="error" showIcon role="alert" title={userError(failure, t).message} /> : null}
      <DataTable
        testId={testId}
        label={label}
        caption
        columns={columns}
        rows={list.rows}
        rowKey={rowKey}
        loading={list.loading}
        empty={t("firms.none")}
        footer={
          list.hasMore ? (
            <LoadMore shown={list.rows.length} hasMore={list.hasMore} loading={list.loadingMore} onLoadMore={list.loadMore} label={t("firms.loadMore")} />
          ) : null
        }
      />
    </>
  );
}

function Problem({ error }: { error: Parameters<typeof pageError>[0] }): ReactNode {
  const { t } = useTranslation();
  const failure = pageError(error);
  return failure ? <Alert type="error" showIcon role="alert" title={userError(failure, t).message} /> : null;
}

type Statement = NonNullable<FirmFinancialsQuery["firm"]["financialStatements"]>["edges"][number]["node"];

export function FinancialsTab({ id }: { id: string }) {
  const { t } = useTranslation();
  const language = currentLanguage();
  const [{ data, fetching, error }] = useQuery({ query: FirmFinancialsDocument, variables: { id } });
  if (fetching && !data) return <Skeleton active />;
  const rows = data?.firm.financialStatements.edges.map((e) => e.node) ?? [];
  const oldestFirst = [...rows].reverse();
  const columns: Column<Statement>[] = [
    { key: "period", title: t("firms.fin.period"), render: (s) => `${formatDate(s.periodEnd, language)} ${s.periodTypeLabel ?? s.periodType}` },
    { key: "revenue", title: t("firms.fin.revenue"), numeric: true, render: (s) => formatYuan(s.revenue, language) },
    { key: "netProfit", title: t("firms.fin.netProfit"), numeric: true, render: (s) => formatYuan(s.netProfit, language) },
    { key: "assets", title: t("firms.fin.totalAssets"), numeric: true, render: (s) => formatYuan(s.totalAssets, language) },
    { key: "liabilities", title: t("firms.fin.totalLiabilities"), numeric: true, render: (s) => formatYuan(s.totalLiabilities, language) },
    { key: "cash", title: t("firms.fin.operatingCashFlow"), numeric: true, render: (s) => formatYuan(s.operatingCashFlow, language) },
    { key: "dta", title: t("firms.fin.debtToAssets"), numeric: true, render: (s) => (s.debtToAssetRatio === null || s.debtToAssetRatio === undefined ? "—" : `${(s.debtToAssetRatio * 100).toFixed(1)}%`) },
    { key: "source", title: t("firms.source"), render: (s) => s.source },
  ];
  return (
    <>
      <Problem error={error} />
      {rows.length ? (
        <Chart
          testId="financials-chart"
          label={t("firms.fin.chart")}
          categories={oldestFirst.map((s) => s.periodEnd)}
          series={[
            { name: t("firms.fin.revenue"), kind: "bar", values: oldestFirst.map((s) => chartNumber(s.revenue)) },
            { name: t("firms.fin.netProfit"), kind: "line", values: oldestFirst.map((s) => chartNumber(s.netProfit)) },
          ]}
        />
      ) : null}
      <DataTable testId="financials-table" label={t("firms.tab.financials")} caption columns={columns} rows={rows} rowKey={(s) => s.id} empty={t("firms.none")} />
    </>
  );
}

type TaxRecord = NonNullable<NonNullable<FirmTaxRecordsQuery["firm"]["taxRecords"]>["edges"][number]["node"]>;

export function TaxTab({ id }: { id: string }) {
  const { t } = useTranslation();
  const language = currentLanguage();
  const [{ data, fetching, error }] = useQuery({ query: FirmTaxRecordsDocument, variables: { id } });
  if (fetching && !data) return <Skeleton active />;
  const conn = data?.firm.taxRecords;
  if (data && !conn) return <p className="firm-muted" data-testid="tax-denied">{t("field.denied")}</p>;
  const rows = conn?.edges.map((e) => e.node) ?? [];
  const oldestFirst = [...rows].reverse();
  const columns: Column<TaxRecord>[] = [
    { key: "month", title: t("firms.tax.month"), render: (r) => r.month },
    { key: "sales", title: t("firms.tax.taxableSales"), numeric: true, render: (r) => formatYuan(r.taxableSales, language) },
    { key: "paid", title: t("firms.tax.taxPaid"), numeric: true, render: (r) => formatYuan(r.taxPaid, language) },
    { key: "arrears", title: t("firms.tax.arrears"), numeric: true, render: (r) => formatYuan(r.arrears, language) },
    { key: "source", title: t("firms.source"), render: (r) => r.source },
  ];
  return (
    <>
      <Problem error={error} />
      {rows.length ? (
        <Chart
          testId="tax-chart"
          label={t("firms.tax.chart")}
          categories={oldestFirst.map((r) => r.month)}
          series={[{ name: t("firms.tax.taxableSales"), kind: "bar", values: oldestFirst.map((r) => chartNumber(r.taxableSales)) }]}
        />
      ) : null}
      <DataTable testId="tax-table" label={t("firms.tab.tax")} caption columns={columns} rows={rows} rowKey={(r) => r.id} empty={t("firms.none")} />
    </>
  );
}

type LegalCase = NonNullable<FirmLegalCasesQuery["firm"]["legalCases"]>["edges"][number]["node"];

export function LegalCasesTab({ id }: { id: string }) {
  const { t } = useTranslation();
  const language = currentLanguage();
  const list = useKeysetPages(FirmLegalCasesDocument, { id }, (d) => pageOf(d.firm.legalCases));
  const columns: Column<LegalCase>[] = [
    { key: "caseNo", title: t("firms.legal.caseNo"), render: (c) => <span className="mono">{c.caseNo}</span> },
    { key: "date", title: t("firms.legal.date"), render: (c) => formatDate(c.caseDate, language) },
    { key: "kind", title: t("firms.legal.kind"), render: (c) => c.kindLabel ?? c.kind },
    { key: "severity", title: t("firms.legal.severity"), render: (c) => c.severityLabel ?? c.severity },
    { key: "amount", title: t("firms.legal.amount"), numeric: true, render: (c) => formatYuan(c.amount, language) },
    { key: "description", title: t("firms.legal.description"), render: (c) => c.description },
  ];
  return <PagedTable testId="legal-table" label={t("firms.tab.legal")} columns={columns} list={list} rowKey={(c) => c.id} />;
}

type RegistryEvent = NonNullable<FirmRegistryEventsQuery["firm"]["registryEvents"]>["edges"][number]["node"];

export function RegistryTab({ id }: { id: string }) {
  const { t } = useTranslation();
  const language = currentLanguage();
  const list = useKeysetPages(FirmRegistryEventsDocument, { id }, (d) => pageOf(d.firm.registryEvents));
  const columns: Column<RegistryEvent>[] = [
    { key: "date", title: t("firms.registry.date"), render: (e) => formatDate(e.eventDate, language) },
    { key: "kind", title: t("firms.registry.kind"), render: (e) => e.kindLabel ?? e.kind },
    { key: "description", title: t("firms.registry.description"), render: (e) => e.description },
    { key: "source", title: t("firms.source"), render: (e) => e.source },
  ];
  return <PagedTable testId="registry-table" label={t("firms.tab.registry")} columns={columns} list={list} rowKey={(e) => e.id} />;
}

type Bureau = NonNullable<FirmBureauSummariesQuery["firm"]["bureauSummaries"]>["edges"][number]["node"];

export function BureauTab({ id }: { id: string }) {
  const { t } = useTranslation();
  const language = currentLanguage();
  const list = useKeysetPages(FirmBureauSummariesDocument, { id }, (d) => pageOf(d.firm.bureauSummaries));
  const columns: Column<Bureau>[] = [
    { key: "date", title: t("firms.bureau.date"), render: (b) => formatDate(b.reportDate, language) },
    { key: "debt", title: t("firms.bureau.debtOtherLenders"), numeric: true, render: (b) => formatYuan(b.debtOtherLenders, language) },
    { key: "overdueCount", title: t("firms.bureau.overdueCount"), numeric: true, render: (b) => b.overdueCount },
    { key: "overdueAmount", title: t("firms.bureau.overdueAmount"), numeric: true, render: (b) => formatYuan(b.overdueAmount, language) },
    { key: "inquiries", title: t("firms.bureau.inquiries6m"), numeric: true, render: (b) => b.inquiries6m },
    { key: "lines", title: t("firms.bureau.openCreditLines"), numeric: true, render: (b) => b.openCreditLines },
  ];
  return <PagedTable testId="bureau-table" label={t("firms.tab.bureau")} columns={columns} list={list} rowKey={(b) => b.id} />;
}

type ScoreRow = FirmScoresQuery["firm"]["scores"]["edges"][number]["node"];

export function ScoresTab({ id }: { id: string }) {
  const { t } = useTranslation();
  const language = currentLanguage();
  const list = useKeysetPages(FirmScoresDocument, { id }, (d) => pageOf(d.firm.scores));
  const columns: Column<ScoreRow>[] = [
    { key: "computed", title: t("firms.score.computedAt"), render: (s) => formatDateTime(s.computedAt, language) },
    { key: "grade", title: t("firms.col.grade"), render: (s) => <GradeBadge grade={s.grade} /> },
    { key: "points", title: t("firms.score.points"), numeric: true, render: (s) => s.points },
    { key: "model", title: t("firms.score.model"), render: (s) => `${s.modelName} ${s.modelVersion}` },
    {
      key: "reasons",
      title: t("firms.score.reasons"),
      render: (s) =>
        s.reasons === null || s.reasons === undefined ? (
          <span className="firm-muted">{t("field.denied")}</span>
        ) : s.reasons.length ? (
          <ul className="firm-reasons">
            {s.reasons.map((r) => (
              <li key={r.feature}>{r.text}</li>
            ))}
          </ul>
        ) : (
          "—"
        ),
    },
  ];
  return <PagedTable testId="scores-table" label={t("firms.tab.scores")} columns={columns} list={list} rowKey={(s) => s.id} />;
}

type WarningRow = NonNullable<FirmWarningsQuery["firm"]["warnings"]>["edges"][number]["node"];

export function WarningsTab({ id }: { id: string }) {
  const { t } = useTranslation();
  const language = currentLanguage();
  const list = useKeysetPages(FirmWarningsDocument, { id }, (d) => pageOf(d.firm.warnings));
  const columns: Column<WarningRow>[] = [
    {
      key: "rule",
      title: t("firms.warning.rule"),
      render: (w) => (
        <Link to={`/warnings/${encodeURIComponent(w.id)}`} data-testid="warning-link">
          {w.ruleName}
        </Link>
      ),
    },
    { key: "severity", title: t("firms.warning.severity"), render: (w) => <SeverityBadge severity={w.severity} label={w.severityLabel} /> },
    { key: "status", title: t("firms.warning.status"), render: (w) => w.statusLabel },
    { key: "opened", title: t("firms.warning.openedAt"), render: (w) => formatDateTime(w.openedAt, language) },
    { key: "message", title: t("firms.warning.message"), render: (w) => w.message },
  ];
  return <PagedTable testId="warnings-table" label={t("firms.tab.warnings")} columns={columns} list={list} rowKey={(w) => w.id} />;
}

type LoanRow = FirmLoansQuery["firm"]["loans"]["edges"][number]["node"];

export function LoansTab({ id }: { id: string }) {
  const { t } = useTranslation();
  const language = currentLanguage();
  const list = useKeysetPages(FirmLoansDocument, { id }, (d) => pageOf(d.firm.loans));
  const columns: Column<LoanRow>[] = [
    {
      key: "ref",
      title: t("firms.loan.ref"),
      render: (l) => (
        <Link to={`/loans/${encodeURIComponent(l.id)}`} data-testid="loan-link">
          {l.loanRef}
        </Link>
      ),
    },
    { key: "product", title: t("firms.loan.product"), render: (l) => l.product },
    { key: "principal", title: t("firms.loan.principal"), numeric: true, render: (l) => formatYuan(l.principal, language) },
    { key: "outstanding", title: t("firms.loan.outstanding"), numeric: true, render: (l) => formatYuan(l.outstandingPrincipal, language) },
    { key: "status", title: t("firms.loan.status"), render: (l) => l.statusLabel },
    { key: "class", title: t("firms.loan.classification"), render: (l) => l.classificationLabel },
    { key: "maturity", title: t("firms.loan.maturity"), render: (l) => formatDate(l.maturityOn, language) },
  ];
  return <PagedTable testId="loans-table" label={t("firms.tab.loans")} columns={columns} list={list} rowKey={(l) => l.id} />;
}

export function TimelineTab({ id }: { id: string }) {
  const { t } = useTranslation();
  const language = currentLanguage();
  const list = useKeysetPages(FirmTimelineDocument, { id }, (d) => pageOf(d.firm.timeline));
  const failure = pageError(list.error);
  if (list.loading) return <Skeleton active />;
  if (list.denied) return <p className="firm-muted" data-testid="timeline-denied">{t("field.denied")}</p>;
  return (
    <>
      {failure ? <Alert type="error" showIcon role="alert" title={userError(failure, t).message} /> : null}
      {list.rows.length ? (
        <ol className="firm-timeline" aria-label={t("firms.tab.timeline")} data-testid="timeline">
          {list.rows.map((e) => (
            <li key={`${e.on}-${e.evidenceId}`}>
              <time dateTime={e.on}>{formatDate(e.on, language)}</time>
              <span>
                <span className="kind">{e.kindLabel}</span>
                {e.summary}
              </span>
            </li>
          ))}
        </ol>
      ) : (
        <p className="firm-muted" data-testid="timeline-empty">
          {t("firms.none")}
        </p>
      )}
      {list.hasMore ? (
        <LoadMore shown={list.rows.length} hasMore={list.hasMore} loading={list.loadingMore} onLoadMore={list.loadMore} label={t("firms.loadMore")} />
      ) : null}
    </>
  );
}
