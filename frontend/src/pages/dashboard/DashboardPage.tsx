import { Card, Col, Row, Skeleton, Statistic, Typography } from "antd";
import { useTranslation } from "react-i18next";
import { useQuery } from "urql";
import { pageError, userError } from "../../api/errors";
import { usePermissions } from "../../api/permissions";
import { useSession } from "../../auth/session";
import { DashboardPortfolioDocument } from "../../gql/graphql";
import type { DashboardPortfolioQuery } from "../../gql/graphql";
import { currentLanguage } from "../../i18n";
import type { Language } from "../../i18n";
import { DataTable } from "../../ui/DataTable";
import { Refusal } from "../../ui/Refusal";
import { formatDate, formatRate, formatYuan } from "../../ui/format";
import ClassChart from "./ClassChart";
import { panelsFor, plotNumber, ratioPercent, showsBook } from "./panels";
import { ApprovalsPanel, PipelinePanel, WarningsPanel } from "./RolePanels";
import TrendChart from "./TrendChart";
import "./dashboard.css";


export const CLASS_KEYS = ["NORMAL", "SPECIAL_MENTION", "SUBSTANDARD", "DOUBTFUL", "LOSS"] as const;
const SEVERITY_KEYS = ["RED", "ORANGE", "YELLOW", "BLUE"] as const;

type Book = DashboardPortfolioQuery["portfolio"];

function heading(text: string) {
  return <h2 className="dashboard-card-title">{text}</h2>;
}

function Kpis({ book, language }: { book: Book | undefined; language: Language }) {
  const { t } = useTranslation();
  const loading = !book;
  return (
    <Row gutter={[16, 16]} data-testid="dashboard-kpis">
      <Col xs={24} md={8}>
        <Card>
          <Statistic
            title={t("dashboard.kpi.balance")}
            value={book ? formatYuan(book.balance, language) : ""}
            loading={loading}
            data-testid="kpi-balance"
          />
        </Card>
      </Col>
      <Col xs={24} md={8}>
        <Card>
          <Statistic title={t("dashboard.kpi.count")} value={book?.count ?? 0} loading={loading} data-testid="kpi-count" />
        </Card>
      </Col>
      <Col xs={24} md={8}>
        <Card>
          <Statistic
            title={t("dashboard.kpi.npl")}
            value={book ? formatRate(book.nplRatio) : ""}
            loading={loading}
            data-testid="kpi-npl"
          />
          {book ? (
            <Typography.Text className="dashboard-note">
              {t("dashboard.kpi.nplBalance", { amount: formatYuan(book.nplBalance, language) })}
            </Typography.Text>
          ) : null}
        </Card>
      </Col>
    </Row>
  );
}

function ClassCard({ book, language }: { book: Book | undefined; language: Language }) {
  const { t } = useTranslation();
  const slices = CLASS_KEYS.map((k) => book?.classes.find((c) => c.classification === k));
  const labels = CLASS_KEYS.map((k) => t(`class.${k}`));
  const counts = slices.map((s) => s?.count ?? 0);
  return (
    <Card title={heading(t("dashboard.classes.title"))}>
      <figure
        className="chart-figure"
        aria-label={`${t("dashboard.classes.title")}: ${labels.map((l, i) => `${l} ${counts[i]}`).join(", ")}`}
      >
        {book ? <ClassChart labels={labels} counts={counts} language={language} /> : <Skeleton active />}
      </figure>
      <DataTable
        testId="class-table"
        label={t("dashboard.classes.title")}
        rows={CLASS_KEYS.map((k, i) => ({ key: k, label: labels[i] ?? k, count: slices[i]?.count ?? 0, balance: slices[i]?.balance ?? "0" }))}
        rowKey={(r) => r.key}
        cards={false}
        columns={[
          { key: "class", title: t("dashboard.col.class"), rowHeader: true, render: (r) => r.label },
          { key: "count", title: t("dashboard.col.count"), numeric: true, render: (r) => r.count },
          { key: "balance", title: t("dashboard.col.balance"), numeric: true, render: (r) => formatYuan(r.balance, language) },
        ]}
      />
    </Card>
  );
}

function DpdCard({ book, language }: { book: Book | undefined; language: Language }) {
  const { t } = useTranslation();
  return (
    <Card title={heading(t("dashboard.dpd.title"))}>
      {book ? (
        <DataTable
          testId="dpd-table"
          label={t("dashboard.dpd.title")}
          rows={book.dpdBuckets}
          rowKey={(b) => b.bucket}
          cards={false}
          columns={[
            { key: "bucket", title: t("dashboard.col.bucket"), rowHeader: true, render: (b) => t(`dashboard.dpd.${b.bucket}`) },
            { key: "count", title: t("dashboard.col.count"), numeric: true, render: (b) => b.count },
            { key: "balance", title: t("dashboard.col.balance"), numeric: true, render: (b) => formatYuan(b.balance, language) },
          ]}
        />
      ) : (
        <Skeleton active />
      )}
    </Card>
  );
}

function WarningLevelsCard({ book }: { book: Book | undefined }) {
  const { t } = useTranslation();
  return (
    <Card title={heading(t("dashboard.levels.title"))}>
      {book ? (
        <ul className="dashboard-levels" data-testid="warning-levels">
          {SEVERITY_KEYS.map((s) => (
            <li key={s}>
              <span className={`dashboard-severity dashboard-severity-${s.toLowerCase()}`}>
                {t(`dashboard.severity.${s}`)}
              </span>
              <span className="dashboard-level-count">
                {book.warningsByLevel.find((w) => w.severity === s)?.count ?? 0}
              </span>
            </li>
          ))}
        </ul>
      ) : (
        <Skeleton active />
      )}
    </Card>
  );
}

function TrendCard({ book, language }: { book: Book | undefined; language: Language }) {
  const { t } = useTranslation();
  const points = book?.trend ?? [];
  const months = points.map((p) => p.monthEnd.slice(0, 7));
  const summary = points
    .map((p) => `${p.monthEnd.slice(0, 7)} ${formatYuan(p.balance, language)} ${formatRate(p.nplRatio)}`)
    .join(", ");
  return (
    <Card title={heading(t("dashboard.trend.title"))}>
      <figure className="chart-figure" aria-label={`${t("dashboard.trend.title")}: ${summary}`}>
        {book ? (
          <TrendChart
            months={months}
            balances={points.map((p) => plotNumber(p.balance))}
            ratios={points.map((p) => ratioPercent(p.nplRatio))}
            balanceName={t("dashboard.trend.balance")}
            ratioName={t("dashboard.trend.npl")}
            language={language}
          />
        ) : (
          <Skeleton active />
        )}
      </figure>
      <Typography.Paragraph className="dashboard-note">{t("dashboard.trend.note")}</Typography.Paragraph>
    </Card>
  );
}

/** The dashboard: the book the user may see (KPIs, five categories, DPD buckets, warnings
 * by level, month-end trend) and the panels of what the user does (from permissions). */
export default function DashboardPage() {
  const { t } = useTranslation();
  const session = useSession();
  const permissions = usePermissions();
  const language = currentLanguage();
  const book = showsBook(permissions);
  const [{ data, error }] = useQuery({ query: DashboardPortfolioDocument, pause: !book });
  const failure = pageError(error);
  const portfolio = data?.portfolio ?? undefined;
  const panels = panelsFor(permissions);
  return (
    <>
      <Typography.Title level={1} style={{ fontSize: 24 }} data-testid="page-title">
        {t("dashboard.title")}
      </Typography.Title>
      <Typography.Paragraph>
        {t("dashboard.welcome", { name: session.user?.displayName ?? "" })}
        {portfolio ? ` ${t("dashboard.asOf", { date: formatDate(portfolio.asOf, language) })}` : ""}
      </Typography.Paragraph>
      {failure ? <Refusal error={userError(failure, t)} /> : null}
      {book ? (
        <div className="dashboard-row">
          <Kpis book={portfolio} language={language} />
        </div>
      ) : null}
      {panels.length ? (
        <Row gutter={[16, 16]} className="dashboard-row" data-testid="role-panels">
          {panels.map((key) => (
            <Col key={key} xs={24} lg={panels.length > 1 ? 12 : 24}>
              {key === "pipeline" ? (
                <PipelinePanel maker={session.user?.username ?? ""} />
              ) : key === "approvals" ? (
                <ApprovalsPanel />
              ) : (
                <WarningsPanel />
              )}
            </Col>
          ))}
        </Row>
      ) : null}
      {book ? (
        <Row gutter={[16, 16]} className="dashboard-row">
            <Col xs={24} lg={12}>
              <ClassCard book={portfolio} language={language} />
            </Col>
            <Col xs={24} lg={12}>
              <TrendCard book={portfolio} language={language} />
            </Col>
            <Col xs={24} lg={12}>
              <DpdCard book={portfolio} language={language} />
            </Col>
            <Col xs={24} lg={12}>
              <WarningLevelsCard book={portfolio} />
            </Col>
        </Row>
      ) : null}
    </>
  );
}
