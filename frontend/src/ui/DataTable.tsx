import { Button, Skeleton } from "antd";
import type { ReactNode } from "react";
import "./DataTable.css";

/** One column of a {@link DataTable}: a heading and how a row shows in it. */
export interface Column<T> {
  key: string;
  title: ReactNode;
  render: (row: T) => ReactNode;
  /** Numbers and money align right. */
  numeric?: boolean;
}

export interface DataTableProps<T> {
  columns: Column<T>[];
  rows: readonly T[];
  rowKey: (row: T) => string;
  /** Names the table for assistive technology (and is shown as its caption if `caption`). */
  label: string;
  /** Show `label` as a visible caption (else it only names the table). */
  caption?: boolean;
  /** The key of the column that heads each phone card (default: the first). */
  titleColumn?: string;
  loading?: boolean;
  /** Shown when there are no rows (and nothing is loading). */
  empty?: ReactNode;
  footer?: ReactNode;
  testId?: string;
}

/** A plain, semantic table that becomes a list of cards on phones (below 640px). Not antd
 * `Table`: its scroll measurement writes a `<style>` the page's CSP refuses. Wide tables
 * scroll inside their container, never the page. */
export function DataTable<T>({
  columns,
  rows,
  rowKey,
  label,
  caption = false,
  titleColumn,
  loading = false,
  empty,
  footer,
  testId,
}: DataTableProps<T>) {
  if (loading && rows.length === 0) {
    return <Skeleton active aria-busy="true" />;
  }
  const head = columns.find((c) => c.key === titleColumn) ?? columns[0];
  const rest = columns.filter((c) => c !== head);
  return (
    <div className="data-table" data-testid={testId}>
      {rows.length === 0 ? (
        <p className="data-table-empty" role="status">
          {empty ?? "—"}
        </p>
      ) : (
        <>
          <div className="data-table-scroll" role="region" aria-label={label} tabIndex={0}>
            <table>
              <caption className={caption ? undefined : "visually-hidden"}>{label}</caption>
              <thead>
                <tr>
                  {columns.map((c) => (
                    <th key={c.key} scope="col" className={c.numeric ? "num" : undefined}>
                      {c.title}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {rows.map((row) => (
                  <tr key={rowKey(row)}>
                    {columns.map((c) => (
                      <td key={c.key} className={c.numeric ? "num" : undefined}>
                        {c.render(row)}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div className="data-table-cards">
            {caption ? <p className="data-table-cards-caption">{label}</p> : null}
            <ul aria-label={label}>
              {rows.map((row) => (
                <li key={rowKey(row)} className="data-table-card">
                  {head ? <p className="data-table-card-title">{head.render(row)}</p> : null}
                  <dl>
                    {rest.map((c) => (
                      <div key={c.key}>
                        <dt>{c.title}</dt>
                        <dd>{c.render(row)}</dd>
                      </div>
                    ))}
                  </dl>
                </li>
              ))}
            </ul>
          </div>
        </>
      )}
      {footer}
    </div>
  );
}

/** The keyset "load more" footer of a list: how many are shown, and a button for the
 * next page while the connection says there is one. */
export function LoadMore({
  shown,
  total,
  hasMore,
  loading,
  onLoadMore,
  label,
  summary,
}: {
  shown: number;
  total?: number | null;
  hasMore: boolean;
  loading?: boolean;
  onLoadMore: () => void;
  /** The button's text ("Load more"). */
  label: string;
  /** How the count reads, e.g. `(shown, total) => "20 of 60"`. */
  summary?: (shown: number, total: number | null) => ReactNode;
}) {
  return (
    <div className="data-table-footer" data-testid="load-more-footer">
      {summary ? <span aria-live="polite">{summary(shown, total ?? null)}</span> : null}
      {hasMore ? (
        <Button onClick={onLoadMore} loading={loading} data-testid="load-more">
          {label}
        </Button>
      ) : null}
    </div>
  );
}
