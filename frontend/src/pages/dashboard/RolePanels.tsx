import { Card, Skeleton, Typography } from "antd";
import type { ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { useQuery } from "urql";
import { pageError, userError } from "../../api/errors";
import {
  DashboardPipelineDocument,
  DashboardQueueDocument,
  DashboardWarningsDocument,
} from "../../gql/graphql";
import type { DashboardApplicationFragment } from "../../gql/graphql";
import { currentLanguage } from "../../i18n";
import { Refusal } from "../../ui/Refusal";
import { formatDateTime, formatYuan } from "../../ui/format";

function Panel({
  testId,
  title,
  total,
  more,
  children,
}: {
  testId: string;
  title: string;
  total: ReactNode;
  more: ReactNode;
  children: ReactNode;
}) {
  return (
    <Card data-testid={testId} title={<h2 className="dashboard-card-title">{title}</h2>} extra={more}>
      <p className="dashboard-panel-total">{total}</p>
      {children}
    </Card>
  );
}

function ApplicationList({ items, empty }: { items: DashboardApplicationFragment[]; empty: string }) {
  const language = currentLanguage();
  if (!items.length) return <Typography.Paragraph className="dashboard-note">{empty}</Typography.Paragraph>;
  return (
    <ul className="dashboard-items">
      {items.map((a) => (
        <li key={a.id}>
          <Link to={`/applications/${encodeURIComponent(a.id)}`}>{a.firm.name}</Link>
          <span className="dashboard-item-meta">
            {formatYuan(a.amount, language)} · {a.statusLabel}
            {a.submittedAt ? ` · ${formatDateTime(a.submittedAt, language)}` : ""}
          </span>
        </li>
      ))}
    </ul>
  );
}

/** An officer's own pipeline: its applications by state and the latest ones. */
export function PipelinePanel({ maker }: { maker: string }) {
  const { t } = useTranslation();
  const [{ data, error }] = useQuery({ query: DashboardPipelineDocument, variables: { maker }, pause: !maker });
  const failure = pageError(error);
  const states = [
    ["drafts", data?.drafts.totalCount],
    ["submitted", data?.submitted.totalCount],
    ["underReview", data?.underReview.totalCount],
    ["returned", data?.returned.totalCount],
    ["approved", data?.approved.totalCount],
  ] as const;
  return (
    <Panel
      testId="panel-pipeline"
      title={t("dashboard.pipeline.title")}
      total={data ? t("dashboard.pipeline.total", { count: data.mine.totalCount }) : null}
      more={<Link to="/applications">{t("dashboard.pipeline.all")}</Link>}
    >
      {failure ? <Refusal error={userError(failure, t)} /> : null}
      {data ? (
        <>
          <dl className="dashboard-states">
            {states.map(([key, n]) => (
              <div key={key}>
                <dt>{t(`dashboard.pipeline.${key}`)}</dt>
                <dd>{n ?? 0}</dd>
              </div>
            ))}
          </dl>
          <ApplicationList items={data.mine.edges.map((e) => e.node)} empty={t("dashboard.pipeline.empty")} />
        </>
      ) : failure ? null : (
        <Skeleton active />
      )}
    </Panel>
  );
}

/** An approver's queue: how many applications wait for it, the longest waiting first. */
export function ApprovalsPanel() {
  const { t } = useTranslation();
  const [{ data, error }] = useQuery({ query: DashboardQueueDocument });
  const failure = pageError(error);
  return (
    <Panel
      testId="panel-approvals"
      title={t("dashboard.approvals.title")}
      total={data ? t("dashboard.approvals.total", { count: data.approvalQueue.totalCount }) : null}
      more={<Link to="/approvals">{t("dashboard.approvals.all")}</Link>}
    >
      {failure ? <Refusal error={userError(failure, t)} /> : null}
      {data ? (
        <ApplicationList items={data.approvalQueue.edges.map((e) => e.node)} empty={t("dashboard.approvals.empty")} />
      ) : failure ? null : (
        <Skeleton active />
      )}
    </Panel>
  );
}

/** Risk's open warnings: how many, the newest first. */
export function WarningsPanel() {
  const { t } = useTranslation();
  const language = currentLanguage();
  const [{ data, error }] = useQuery({ query: DashboardWarningsDocument });
  const failure = pageError(error);
  const items = data?.warnings.edges.map((e) => e.node) ?? [];
  return (
    <Panel
      testId="panel-warnings"
      title={t("dashboard.warnings.title")}
      total={data ? t("dashboard.warnings.total", { count: data.warnings.totalCount }) : null}
      more={<Link to="/warnings">{t("dashboard.warnings.all")}</Link>}
    >
      {failure ? <Refusal error={userError(failure, t)} /> : null}
      {data ? (
        items.length ? (
          <ul className="dashboard-items">
            {items.map((w) => (
              <li key={w.id}>
                <span className={`dashboard-severity dashboard-severity-${w.severity.toLowerCase()}`}>
                  {w.severityLabel}
                </span>{" "}
                <Link to={`/warnings/${encodeURIComponent(w.id)}`}>{w.firm.name}</Link>
                <span className="dashboard-item-meta">
                  {w.ruleName} · {formatDateTime(w.openedAt, language)}
                </span>
              </li>
            ))}
          </ul>
        ) : (
          <Typography.Paragraph className="dashboard-note">{t("dashboard.warnings.empty")}</Typography.Paragraph>
        )
      ) : failure ? null : (
        <Skeleton active />
      )}
    </Panel>
  );
}
