import { Alert, Button, Empty, Input, Select, Spin, Typography } from "antd";
import { useEffect, useMemo, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useSearchParams } from "react-router";
import { useQuery, useSubscription } from "urql";
import { pageError, userError } from "../../api/errors";
import { WarningChangedDocument, WarningFilterOptionsDocument, WarningListDocument } from "../../gql/graphql";
import { currentLanguage } from "../../i18n";
import { warningPath } from "../../shell/WarningBell";
import { DataTable, LoadMore } from "../../ui/DataTable";
import type { Column } from "../../ui/DataTable";
import { formatDateTime } from "../../ui/format";
import { apiFilter, filtersFromParams, paramsWithFilters, withLive } from "./live";
import type { ListFilters, LiveChange, WarningRow } from "./live";
import { NewMark, SeverityMark, StatusMark } from "./WarningBits";
import "./warnings.css";

/** Rows per page of the keyset list. */
const PAGE = 25;

function Filters({ filters, onChange }: { filters: ListFilters; onChange: (next: ListFilters) => void }) {
  const { t } = useTranslation();
  const [{ data }] = useQuery({ query: WarningFilterOptionsDocument });
  const [branch, setBranch] = useState(filters.branchCode ?? "");
  useEffect(() => setBranch(filters.branchCode ?? ""), [filters.branchCode]);
  const any = { value: "", label: t("warnings.filter.any") };
  const set = (key: keyof ListFilters) => (value: string) => onChange({ ...filters, [key]: value || null });
  const empty = !filters.severity && !filters.status && !filters.ruleCode && !filters.branchCode;
  return (
    <div className="warnings-filters" role="search" aria-label={t("warnings.filter.label")} data-testid="warning-filters">
      <div>
        <label>
          {t("warnings.filter.severity")}
          <Select
            aria-label={t("warnings.filter.severity")}
            data-testid="filter-severity"
            value={filters.severity ?? ""}
            onChange={set("severity")}
            options={[any, ...(data?.severities ?? []).map((o) => ({ value: o.value, label: o.text }))]}
          />
        </label>
      </div>
      <div>
        <label>
          {t("warnings.filter.status")}
          <Select
            aria-label={t("warnings.filter.status")}
            data-testid="filter-status"
            value={filters.status ?? ""}
            onChange={set("status")}
            options={[any, ...(data?.statuses ?? []).map((o) => ({ value: o.value, label: o.text }))]}
          />
        </label>
      </div>
      <div>
        <label>
          {t("warnings.filter.rule")}
          <Select
            aria-label={t("warnings.filter.rule")}
            data-testid="filter-rule"
            value={filters.ruleCode ?? ""}
            onChange={set("ruleCode")}
            popupMatchSelectWidth={false}
            options={[any, ...(data?.warningRules ?? []).map((r) => ({ value: r.code, label: r.label }))]}
          />
        </label>
      </div>
      <div>
        <label>
          {t("warnings.filter.branch")}
          <Input
            aria-label={t("warnings.filter.branch")}
            data-testid="filter-branch"
            placeholder={t("warnings.filter.branchPlaceholder")}
            value={branch}
            maxLength={32}
            onChange={(e) => setBranch(e.target.value)}
            onBlur={() => set("branchCode")(branch.trim())}
            onPressEnter={() => set("branchCode")(branch.trim())}
          />
        </label>
      </div>
      {!empty ? (
        <Button onClick={() => onChange({ severity: null, status: null, ruleCode: null, branchCode: null })}>
          {t("warnings.filter.clear")}
        </Button>
      ) : null}
    </div>
  );
}

function RowsTable({ rows, fresh }: { rows: WarningRow[]; fresh: Set<string> }) {
  const { t } = useTranslation();
  const language = currentLanguage();
  const columns: Column<WarningRow>[] = [
    {
      key: "severity",
      title: t("warnings.col.severity"),
      nowrap: true,
      render: (w) => (
        <>
          <SeverityMark severity={w.severity} label={w.severityLabel} /> {fresh.has(w.id) ? <NewMark /> : null}
        </>
      ),
    },
    {
      key: "rule",
      title: t("warnings.col.rule"),
      render: (w) => (
        <Link to={warningPath(w.id)} data-testid="warning-link">
          {w.ruleName}
        </Link>
      ),
    },
    { key: "firm", title: t("warnings.col.firm"), render: (w) => w.firm.name },
    { key: "branch", title: t("warnings.col.branch"), nowrap: true, render: (w) => w.firm.branchCode },
    { key: "message", title: t("warnings.col.message"), render: (w) => w.message },
    { key: "status", title: t("warnings.col.status"), nowrap: true, render: (w) => <StatusMark status={w.status} label={w.statusLabel} /> },
    { key: "assignee", title: t("warnings.col.assignee"), render: (w) => w.assignee ?? "—" },
    { key: "openedAt", title: t("warnings.col.openedAt"), nowrap: true, render: (w) => formatDateTime(w.openedAt, language) },
  ];
  return (
    <DataTable
      testId="warnings-table"
      label={t("warnings.list.title")}
      columns={columns}
      rows={rows}
      rowKey={(w) => w.id}
      titleColumn="rule"
      rowProps={(w) => ({
        "data-testid": "warning-row",
        "data-id": w.id,
        "data-branch": w.firm.branchCode,
        className: fresh.has(w.id) ? "live-new" : undefined,
      })}
    />
  );
}

/** `/warnings`: the warnings the user may see, newest first, filtered through the URL;
 * new and changed warnings come in live (the same subscription as the bell) without a
 * reload; more rows load by keyset page. */
export function WarningsListPage() {
  const { t } = useTranslation();
  const [params, setParams] = useSearchParams();
  const filters = useMemo(() => filtersFromParams(params), [params]);
  const filterKey = JSON.stringify(filters);
  const filter = useMemo(() => apiFilter(filters), [filterKey]); // eslint-disable-line react-hooks/exhaustive-deps
  const [after, setAfter] = useState<string | null>(null);
  const [pages, setPages] = useState<{ key: string; rows: WarningRow[] }>({ key: filterKey, rows: [] });
  const [live, setLive] = useState<{ key: string; changes: LiveChange[] }>({ key: filterKey, changes: [] });
  const [{ data, error, fetching }] = useQuery({ query: WarningListDocument, variables: { first: PAGE, after, filter } });

  // A new filter starts again from the first page, with no live changes.
  useEffect(() => {
    setAfter(null);
    setPages({ key: filterKey, rows: [] });
    setLive({ key: filterKey, changes: [] });
  }, [filterKey]);

  useEffect(() => {
    const page = data?.warnings.edges.map((e) => e.node);
    if (!page) return;
    setPages((current) => {
      if (after === null) return { key: filterKey, rows: page };
      const known = new Set(current.rows.map((r) => r.id));
      return { key: filterKey, rows: [...current.rows, ...page.filter((r) => !known.has(r.id))] };
    });
  }, [data]); // eslint-disable-line react-hooks/exhaustive-deps

  useSubscription({ query: WarningChangedDocument }, (_previous, pushed) => {
    setLive((current) => ({ key: current.key, changes: [...current.changes, pushed.warningChanged] }));
    return pushed;
  });

  const fetched = pages.key === filterKey ? pages.rows : [];
  const changes = live.key === filterKey ? live.changes : [];
  const rows = useMemo(() => withLive(fetched, changes, filters), [fetched, changes]); // eslint-disable-line react-hooks/exhaustive-deps
  const fetchedIds = useMemo(() => new Set(fetched.map((r) => r.id)), [fetched]);
  const fresh = useMemo(() => new Set(rows.filter((r) => !fetchedIds.has(r.id)).map((r) => r.id)), [rows, fetchedIds]);
  const shownError = pageError(error);
  const pageInfo = data?.warnings.pageInfo;
  const total = data?.warnings.totalCount;

  const onFilters = (next: ListFilters) => setParams(paramsWithFilters(params, next), { replace: true });

  return (
    <>
      <Typography.Title level={1} style={{ fontSize: 24 }} data-testid="page-title">
        {t("warnings.list.title")}
      </Typography.Title>
      <Filters filters={filters} onChange={onFilters} />
      {shownError ? <Alert type="error" showIcon role="alert" title={userError(shownError, t).message} /> : null}
      <div className="warnings-meta">
        {total !== undefined ? (
          <span data-testid="warnings-total">{t("warnings.list.total", { count: total + fresh.size })}</span>
        ) : null}
        <span className="warnings-arrived" role="status" aria-live="polite" data-testid="warnings-arrived">
          {fresh.size ? t("warnings.list.arrived", { count: fresh.size }) : ""}
        </span>
      </div>
      {fetching && !rows.length ? (
        <Spin />
      ) : rows.length ? (
        <RowsTable rows={rows} fresh={fresh} />
      ) : (
        <Empty description={t("warnings.list.empty")} />
      )}
      <LoadMore
        shown={fetched.length}
        total={total}
        hasMore={pageInfo?.hasNextPage ?? false}
        loading={fetching}
        onLoadMore={() => setAfter(pageInfo?.endCursor ?? null)}
        label={t("warnings.list.more")}
        testId="warnings-more"
      />
    </>
  );
}
