import { AutoComplete, Button, Col, Form, Input, InputNumber, Row, Select, Space, Typography } from "antd";
import { useCallback, useEffect, useMemo, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useSearchParams } from "react-router";
import { useClient, useQuery } from "urql";
import { pageError, userError } from "../../api/errors";
import type { UserError } from "../../api/errors";
import { usePermissions } from "../../api/permissions";
import { LoanFilterOptionsDocument, LoanListDocument } from "../../gql/graphql";
import type { LoanListQuery } from "../../gql/graphql";
import { currentLanguage } from "../../i18n";
import { DataTable, LoadMore } from "../../ui/DataTable";
import type { Column } from "../../ui/DataTable";
import { formatDate, formatYuan } from "../../ui/format";
import { Refusal } from "../../ui/Refusal";
import { filterFromParams, paramsFromValues, valuesFromParams } from "./filters";
import type { FilterValues } from "./filters";
import { LoanTag } from "./LoanTag";

export type LoanRow = LoanListQuery["loans"]["edges"][number]["node"];

const PAGE = 20;

interface Listing {
  rows: LoanRow[];
  total: number;
  cursor: string | null;
  more: boolean;
  loading: boolean;
  error: UserError | null;
}

const START: Listing = { rows: [], total: 0, cursor: null, more: false, loading: true, error: null };

/** The loans the caller may see, filtered by the URL's conditions, a page at a time
 * (keyset: "load more" asks for the page after the last cursor). */
function useLoanListing(params: URLSearchParams) {
  const client = useClient();
  const { t } = useTranslation();
  const filter = useMemo(() => filterFromParams(params), [params]);
  const [listing, setListing] = useState<Listing>(START);

  const load = useCallback(
    async (after: string | null, previous: LoanRow[]) => {
      setListing((l) => ({ ...l, loading: true, error: null }));
      const result = await client
        .query(LoanListDocument, { first: PAGE, after, filter, sort: "DPD_DESC" }, { requestPolicy: "network-only" })
        .toPromise();
      const failed = pageError(result.error);
      if (failed || !result.data) {
        setListing((l) => ({ ...l, loading: false, error: failed ? userError(failed, t) : null }));
        return;
      }
      const page = result.data.loans;
      setListing({
        rows: [...previous, ...page.edges.map((e) => e.node)],
        total: page.totalCount,
        cursor: page.pageInfo.endCursor ?? null,
        more: page.pageInfo.hasNextPage,
        loading: false,
        error: null,
      });
    },
    [client, filter, t],
  );

  useEffect(() => {
    setListing(START);
    void load(null, []);
  }, [load]);

  const loadMore = useCallback(() => void load(listing.cursor, listing.rows), [load, listing.cursor, listing.rows]);
  return { listing, loadMore };
}

function FilterForm({ values, onApply }: { values: FilterValues; onApply: (v: FilterValues) => void }) {
  const { t } = useTranslation();
  const [form] = Form.useForm<FilterValues>();
  const [{ data }] = useQuery({ query: LoanFilterOptionsDocument });
  useEffect(() => {
    form.resetFields();
    form.setFieldsValue(values);
  }, [form, values]);
  const productOptions = (data?.products ?? []).map((p) => ({ value: p.code, label: `${p.code} · ${p.name}` }));
  return (
    <Form
      form={form}
      layout="vertical"
      name="loanFilters"
      className="loans-filters"
      initialValues={values}
      onFinish={(v) => onApply(v)}
      aria-label={t("loans.filters.title")}
    >
      <Row gutter={12}>
        <Col xs={24} sm={12} lg={6}>
          <Form.Item name="status" label={t("loans.filters.status")}>
            <Select
              allowClear
              placeholder={t("loans.filters.any")}
              options={(data?.statuses ?? []).map((s) => ({ value: s.value, label: s.text }))}
              data-testid="filter-status"
            />
          </Form.Item>
        </Col>
        <Col xs={24} sm={12} lg={6}>
          <Form.Item name="classification" label={t("loans.filters.classification")}>
            <Select
              allowClear
              placeholder={t("loans.filters.any")}
              options={(data?.classes ?? []).map((s) => ({ value: s.value, label: s.text }))}
              data-testid="filter-classification"
            />
          </Form.Item>
        </Col>
        <Col xs={12} sm={6} lg={3}>
          <Form.Item name="minDpd" label={t("loans.filters.minDpd")}>
            <InputNumber min={0} max={100000} precision={0} style={{ width: "100%" }} stringMode />
          </Form.Item>
        </Col>
        <Col xs={12} sm={6} lg={3}>
          <Form.Item name="maxDpd" label={t("loans.filters.maxDpd")}>
            <InputNumber min={0} max={100000} precision={0} style={{ width: "100%" }} stringMode />
          </Form.Item>
        </Col>
        <Col xs={24} sm={12} lg={6}>
          <Form.Item name="branch" label={t("loans.filters.branch")}>
            <Input maxLength={64} allowClear />
          </Form.Item>
        </Col>
        <Col xs={24} sm={12} lg={12}>
          <Form.Item name="product" label={t("loans.filters.product")} extra={t("loans.filters.productHint")}>
            <AutoComplete options={productOptions} allowClear maxLength={200} filterOption />
          </Form.Item>
        </Col>
      </Row>
      <Space wrap>
        <Button type="primary" htmlType="submit" data-testid="filter-apply">
          {t("loans.filters.apply")}
        </Button>
        <Button
          onClick={() => {
            form.resetFields();
            onApply({});
          }}
        >
          {t("loans.filters.clear")}
        </Button>
      </Space>
    </Form>
  );
}

export function useLoanColumns(): Column<LoanRow>[] {
  const { t } = useTranslation();
  const language = currentLanguage();
  return [
    { key: "ref", title: t("loans.col.ref"), render: (l) => <Link to={`/loans/${encodeURIComponent(l.id)}`}>{l.loanRef}</Link> },
    { key: "firm", title: t("loans.col.firm"), render: (l) => l.firm.name },
    { key: "product", title: t("loans.col.product"), render: (l) => l.product },
    { key: "outstanding", title: t("loans.col.outstanding"), numeric: true, render: (l) => formatYuan(l.outstandingPrincipal, language) },
    { key: "status", title: t("loans.col.status"), render: (l) => <LoanTag value={l.status} label={l.statusLabel} /> },
    { key: "class", title: t("loans.col.class"), render: (l) => <LoanTag value={l.classification} label={l.classificationLabel} /> },
    { key: "dpd", title: t("loans.col.dpd"), numeric: true, render: (l) => l.daysPastDue },
    { key: "branch", title: t("loans.col.branch"), render: (l) => l.branchCode },
    { key: "maturity", title: t("loans.col.maturity"), render: (l) => formatDate(l.maturityOn, language) },
  ];
}

/** `/loans`: the loan book with filters in the URL, a page at a time. */
export default function LoansListPage() {
  const { t } = useTranslation();
  const [params, setParams] = useSearchParams();
  const values = useMemo(() => valuesFromParams(params), [params]);
  const { listing, loadMore } = useLoanListing(params);
  const permissions = usePermissions();
  const columns = useLoanColumns();
  const disburses = permissions.may("disburseLoan") || permissions.may("confirmDisbursement");
  return (
    <>
      <div className="loans-toolbar">
        <Typography.Title level={1} style={{ fontSize: 24, margin: 0 }} data-testid="page-title">
          {t("loans.list.title")}
        </Typography.Title>
        {disburses ? (
          <Link to="/loans/disbursements" data-testid="to-disbursements">
            {t("loans.disbursements.link")}
          </Link>
        ) : null}
      </div>
      <FilterForm values={values} onApply={(v) => setParams(paramsFromValues(v))} />
      <Refusal error={listing.error} />
      <p className="loans-muted" data-testid="loans-total" aria-live="polite">
        {listing.loading && listing.rows.length === 0 ? t("loans.list.loading") : t("loans.list.total", { count: listing.total })}
      </p>
      <DataTable
        label={t("loans.list.caption")}
        columns={columns}
        rows={listing.rows}
        rowKey={(l) => l.id}
        cardTitle={(l) => (
          <Link to={`/loans/${encodeURIComponent(l.id)}`}>
            {l.loanRef} · {l.firm.name}
          </Link>
        )}
        empty={listing.loading ? t("loans.list.loading") : t("loans.list.empty")}
        testId="loans-table"
      />
      <LoadMore
        shown={listing.rows.length}
        total={listing.total}
        hasMore={listing.more}
        loading={listing.loading}
        onLoadMore={loadMore}
        label={t("loans.list.more")}
        testId="loans-more"
      />
    </>
  );
}
