import { Alert, Button, Empty, Select, Spin, Typography } from "antd";
import { useMemo, useState } from "react";
import { useTranslation } from "react-i18next";
import { useNavigate } from "react-router";
import { useQuery } from "urql";
import { pageError } from "../../api/errors";
import { usePermissions } from "../../api/permissions";
import { useSession } from "../../auth/session";
import {
  ApplicationStatusOptionsDocument,
  ApplicationsMineDocument,
  ApprovalQueueDocument,
} from "../../gql/graphql";
import type { ApplicationFilter, ApplicationRowFragment, ApplicationStatus } from "../../gql/graphql";
import { ApplicationTable } from "./ApplicationTable";

const PAGE = 20;

/** Keyset paging: the cursors of the pages seen so far (the first page has none). */
function usePager() {
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const after = cursors[cursors.length - 1] ?? null;
  return {
    after,
    page: cursors.length,
    next: (cursor: string | null | undefined) => cursor && setCursors((c) => [...c, cursor]),
    previous: () => setCursors((c) => (c.length > 1 ? c.slice(0, -1) : c)),
    reset: () => setCursors([null]),
  };
}

function Results({
  rows,
  fetching,
  error,
  empty,
  caption,
}: {
  rows: ApplicationRowFragment[] | undefined;
  fetching: boolean;
  error: ReturnType<typeof pageError>;
  empty: string;
  caption: string;
}) {
  if (error) return <Alert type="error" role="alert" showIcon title={error.message} />;
  if (!rows && fetching) return <Spin />;
  if (!rows || rows.length === 0) return <Empty description={empty} />;
  return <ApplicationTable rows={rows} caption={caption} />;
}

/** My applications: the signed-in maker's own, or for a user who drafts none every
 * application visible to them (filter by status). */
export function MyApplicationsPage() {
  const { t } = useTranslation();
  const session = useSession();
  const navigate = useNavigate();
  const permissions = usePermissions();
  const [status, setStatus] = useState<ApplicationStatus | "">("");
  const pager = usePager();
  // A maker sees their own applications; anyone else every one visible to them.
  const own = permissions.may("createApplication");
  const filter = useMemo<ApplicationFilter>(
    () => ({ makerId: own ? (session.user?.username ?? null) : null, status: status || null }),
    [own, session.user?.username, status],
  );
  const [{ data, fetching, error }] = useQuery({
    query: ApplicationsMineDocument,
    variables: { first: PAGE, after: pager.after, filter },
  });
  const [{ data: options }] = useQuery({ query: ApplicationStatusOptionsDocument });
  const connection = data?.applications;
  return (
    <>
      <Typography.Title level={1} style={{ fontSize: 24 }} data-testid="page-title">
        {t("applications.mineTitle")}
      </Typography.Title>
      <div className="apps-toolbar">
        <span>
          <label htmlFor="apps-status-filter">{t("applications.statusFilter")}</label>
          <Select
            id="apps-status-filter"
            style={{ minWidth: 180 }}
            value={status}
            onChange={(value) => {
              setStatus(value);
              pager.reset();
            }}
            options={[
              { value: "", label: t("applications.allStatuses") },
              ...(options?.labels ?? []).map((l) => ({ value: l.value, label: l.text })),
            ]}
          />
        </span>
        {permissions.may("createApplication") && (
          <Button type="primary" onClick={() => navigate("/applications/new")}>
            {t("applications.new")}
          </Button>
        )}
      </div>
      <Results
        rows={connection?.edges.map((e) => e.node)}
        fetching={fetching}
        error={pageError(error)}
        empty={t("applications.empty")}
        caption={t("applications.mineTitle")}
      />
      {connection && connection.totalCount > 0 && (
        <PagerWithNext pager={pager} hasNext={connection.pageInfo.hasNextPage} cursor={connection.pageInfo.endCursor} total={connection.totalCount} />
      )}
    </>
  );
}

function PagerWithNext({
  pager,
  hasNext,
  cursor,
  total,
}: {
  pager: ReturnType<typeof usePager>;
  hasNext: boolean;
  cursor: string | null | undefined;
  total: number;
}) {
  const { t } = useTranslation();
  return (
    <div className="apps-pager">
      <span className="apps-muted">{t("applications.total", { count: total })}</span>
      <Button onClick={pager.previous} disabled={pager.page <= 1}>
        {t("applications.previous")}
      </Button>
      <Button onClick={() => pager.next(cursor)} disabled={!hasNext}>
        {t("applications.next")}
      </Button>
    </div>
  );
}

/** The approval queue: applications waiting for an action the signed-in user can take. */
export function ApprovalQueuePage() {
  const { t } = useTranslation();
  const pager = usePager();
  const [{ data, fetching, error }] = useQuery({
    query: ApprovalQueueDocument,
    variables: { first: PAGE, after: pager.after },
    requestPolicy: "cache-and-network",
  });
  const connection = data?.approvalQueue;
  return (
    <>
      <Typography.Title level={1} style={{ fontSize: 24 }} data-testid="page-title">
        {t("applications.queueTitle")}
      </Typography.Title>
      <Results
        rows={connection?.edges.map((e) => e.node)}
        fetching={fetching}
        error={pageError(error)}
        empty={t("applications.queueEmpty")}
        caption={t("applications.queueTitle")}
      />
      {connection && connection.totalCount > 0 && (
        <PagerWithNext pager={pager} hasNext={connection.pageInfo.hasNextPage} cursor={connection.pageInfo.endCursor} total={connection.totalCount} />
      )}
    </>
  );
}

