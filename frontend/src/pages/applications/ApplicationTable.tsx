import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import type { ApplicationRowFragment } from "../../gql/graphql";
import { currentLanguage } from "../../i18n";
import { DataTable } from "../../ui/DataTable";
import type { Column } from "../../ui/DataTable";
import { formatDateTime, formatRate, formatYuan } from "../../ui/format";

/** An application's status as a tag with a colour of its own (dark enough on white). */
export function StatusTag({ status, label }: { status: string; label: string }) {
  return (
    <span className={`apps-status apps-status-${status}`} data-status={status}>
      {label}
    </span>
  );
}

/** Applications as a plain table (desktop; it scrolls inside its box) and as a card list
 * on phones: the shared {@link DataTable}; each table row carries `data-application`. */
export function ApplicationTable({ rows, caption }: { rows: ApplicationRowFragment[]; caption: string }) {
  const { t } = useTranslation();
  const language = currentLanguage();
  const columns: Column<ApplicationRowFragment>[] = [
    {
      key: "firm",
      title: t("applications.col.firm"),
      render: (row) => <Link to={`/applications/${encodeURIComponent(row.id)}`}>{row.firm.name}</Link>,
    },
    { key: "product", title: t("applications.col.product"), render: (row) => row.product.name },
    { key: "amount", title: t("applications.col.amount"), numeric: true, render: (row) => formatYuan(row.amount, language) },
    { key: "term", title: t("applications.col.term"), render: (row) => t("applications.months", { count: row.termMonths }) },
    { key: "rate", title: t("applications.col.rate"), numeric: true, render: (row) => formatRate(row.annualRate) },
    { key: "status", title: t("applications.col.status"), render: (row) => <StatusTag status={row.status} label={row.statusLabel} /> },
    { key: "grade", title: t("applications.col.grade"), render: (row) => row.riskGrade ?? "—" },
    { key: "maker", title: t("applications.col.maker"), render: (row) => row.makerId },
    { key: "submittedAt", title: t("applications.col.submittedAt"), nowrap: true, render: (row) => formatDateTime(row.submittedAt, language) },
  ];
  return (
    <DataTable
      testId="applications-table"
      label={caption}
      columns={columns}
      rows={rows}
      rowKey={(row) => row.id}
      titleColumn="firm"
      rowProps={(row) => ({ "data-application": row.id })}
    />
  );
}
