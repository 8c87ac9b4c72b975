import { Alert, Button, Form, Input, Select, Typography } from "antd";
import { useEffect, useMemo } from "react";
import { useTranslation } from "react-i18next";
import { Link, useSearchParams } from "react-router";
import { pageError, userError } from "../../api/errors";
import { FirmListDocument } from "../../gql/graphql";
import type { FirmListQuery } from "../../gql/graphql";
import { DataTable, LoadMore } from "../../ui/DataTable";
import type { Column } from "../../ui/DataTable";
import { GRADES, MAX_SEARCH, WARNING_LEVELS, filtersFromParams, filtersToParams, toFirmFilter } from "./firmFilters";
import type { FirmListFilters } from "./firmFilters";
import { GradeBadge } from "./badges";
import { useKeysetPages } from "./useKeysetPages";

type FirmRow = FirmListQuery["firms"]["edges"][number]["node"];

export const FIRM_PAGE_SIZE = 20;

export function firmPath(id: string): string {
  return `/firms/${encodeURIComponent(id)}`;
}

/** The firms the user may see, filtered by what the address says, a page at a time. */
export function FirmListPage() {
  const { t } = useTranslation();
  const [params, setParams] = useSearchParams();
  const filters = useMemo(() => filtersFromParams(params), [params]);
  const [form] = Form.useForm<FirmListFilters>();
  useEffect(() => {
    form.setFieldsValue({ ...{ search: "", industry: "", region: "", branch: "", grade: undefined, warning: undefined }, ...filters });
  }, [filters, form]);
  const list = useKeysetPages(
    FirmListDocument,
    { first: FIRM_PAGE_SIZE, filter: toFirmFilter(filters) },
    (data) => ({
      nodes: data.firms.edges.map((e) => e.node),
      hasNextPage: data.firms.pageInfo.hasNextPage,
      endCursor: data.firms.pageInfo.endCursor ?? null,
      totalCount: data.firms.totalCount,
    }),
  );
  const apply = (values: FirmListFilters) => setParams(filtersToParams(values, params));
  const clear = () => setParams(filtersToParams({}, params));
  const failure = pageError(list.error);

  const columns: Column<FirmRow>[] = [
    {
      key: "name",
      title: t("firms.col.name"),
      render: (f) => (
        <Link to={firmPath(f.id)} data-testid="firm-link">
          {f.name}
        </Link>
      ),
    },
    { key: "uscc", title: t("firms.col.uscc"), render: (f) => <span className="mono">{f.uscc}</span> },
    { key: "grade", title: t("firms.col.grade"), render: (f) => <GradeBadge grade={f.latestScore?.grade} /> },
    { key: "industry", title: t("firms.col.industry"), render: (f) => f.industryCode },
    { key: "region", title: t("firms.col.region"), render: (f) => f.regionCode },
    { key: "branch", title: t("firms.col.branch"), render: (f) => f.branchCode },
    { key: "status", title: t("firms.col.status"), render: (f) => f.statusLabel },
    { key: "warnings", title: t("firms.col.openWarnings"), numeric: true, render: (f) => f.openWarningCount ?? "—" },
  ];

  return (
    <>
      <Typography.Title level={1} className="firms-title" data-testid="page-title">
        {t("firms.list.title")}
      </Typography.Title>
      <Form
        form={form}
        layout="vertical"
        className="firm-filters"
        aria-label={t("firms.filters.label")}
        onFinish={apply}
        data-testid="firm-filters"
      >
        <Form.Item name="search" label={t("firms.filters.search")}>
          <Input allowClear maxLength={MAX_SEARCH} placeholder={t("firms.filters.searchHint")} data-testid="filter-search" />
        </Form.Item>
        <Form.Item name="grade" label={t("firms.filters.grade")}>
          <Select
            allowClear
            placeholder={t("firms.filters.any")}
            options={GRADES.map((g) => ({ value: g, label: g }))}
            data-testid="filter-grade"
            aria-label={t("firms.filters.grade")}
          />
        </Form.Item>
        <Form.Item name="warning" label={t("firms.filters.warning")}>
          <Select
            allowClear
            placeholder={t("firms.filters.any")}
            options={WARNING_LEVELS.map((w) => ({ value: w, label: t(`firms.severity.${w}`) }))}
            data-testid="filter-warning"
            aria-label={t("firms.filters.warning")}
          />
        </Form.Item>
        <Form.Item name="industry" label={t("firms.filters.industry")}>
          <Input allowClear maxLength={8} data-testid="filter-industry" />
        </Form.Item>
        <Form.Item name="region" label={t("firms.filters.region")}>
          <Input allowClear maxLength={6} inputMode="numeric" data-testid="filter-region" />
        </Form.Item>
        <Form.Item name="branch" label={t("firms.filters.branch")}>
          <Input allowClear maxLength={16} data-testid="filter-branch" />
        </Form.Item>
        <div className="firm-filter-actions">
          <Button type="primary" htmlType="submit" data-testid="filter-apply">
            {t("firms.filters.apply")}
          </Button>
          <Button onClick={clear} data-testid="filter-clear">
            {t("firms.filters.clear")}
          </Button>
        </div>
      </Form>
      {failure ? <Alert type="error" showIcon role="alert" title={userError(failure, t).message} /> : null}
      <DataTable
        testId="firm-table"
        label={t("firms.list.tableLabel")}
        columns={columns}
        rows={list.rows}
        rowKey={(f) => f.id}
        loading={list.loading}
        empty={t("firms.list.empty")}
        footer={
          list.rows.length ? (
            <LoadMore
              shown={list.rows.length}
              total={list.total}
              hasMore={list.hasMore}
              loading={list.loadingMore}
              onLoadMore={list.loadMore}
              label={t("firms.loadMore")}
              summary={(shown, total) => t("firms.list.shown", { shown, total: total ?? shown })}
            />
          ) : null
        }
      />
    </>
  );
}
