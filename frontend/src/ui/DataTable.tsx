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
  /** This column names its row (a `<th scope="row">`, e.g. the category of a summary). */
  rowHeader?: boolean;
  /** Keep the cell on one line (dates, codes, tags); the table scrolls in its box instead. */
  nowrap?: boolean;
}

/** Extra attributes of one row: a class (on the table row and its phone card) and `data-*`
 * attributes (on the table row only, so a selector counts each row once). */
export type RowProps = { className?: string } & { [data: `data-${string}`]: string | undefined };

function cardClass(extra: string | undefined): string {
  return extra ? `data-table-card ${extra}` : "data-table-card";
}

function cellClass(column: { numeric?: boolean; nowrap?: boolean }): string | undefined {
  const names = [column.numeric ? "num" : "", column.nowrap ? "nowrap" : ""].filter(Boolean);
  return names.length ? names.join(" ") : undefined;
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
  /** Heads each phone card instead of a column (then every column is listed in the card). */
  cardTitle?: (row: T) => ReactNode;
  /** Phones get a card list (default); `false` keeps the table, scrolling in its box. */
  cards?: boolean;
  /** Extra attributes per row, e.g. `data-id` for tests or a highlight class. */
  rowProps?: (row: T) => RowProps;
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
  cardTitle,
  cards = true,
  rowProps,
  loading = false,
  empty,
  footer,
  testId,
}: DataTableProps<T>) {
  if (loading && rows.length === 0) {
    return <Skeleton active aria-busy="true" />;
  }
  const head = cardTitle ? undefined : (columns.find((c) => c.key === titleColumn) ?? columns[0]);
  const rest = columns.filter((c) => c !== head);
  const title = cardTitle ?? head?.render;
  return (
    <div className={cards ? "data-table" : "data-table data-table-no-cards"} data-testid={testId}>
      {rows.length === 0 ? (
        <p className="data-table-empty" role="status" data-testid={testId ? `${testId}-empty` : undefined}>
          {empty ?? "—"}
        </p>
      ) : (
        <>
          {/* Focusable and named: a keyboard can scroll a table wider than the screen. */}
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
                  <tr key={rowKey(row)} {...rowProps?.(row)}>
                    {columns.map((c) =>
                      c.rowHeader ? (
                        <th key={c.key} scope="row" className={cellClass(c)}>
                          {c.render(row)}
                        </th>
                      ) : (
                        <td key={c.key} className={cellClass(c)}>
                          {c.render(row)}
                        </td>
                      ),
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {cards ? (
            <div className="data-table-cards">
              {caption ? <p className="data-table-cards-caption">{label}</p> : null}
              <ul aria-label={label}>
                {rows.map((row) => (
                  <li key={rowKey(row)} className={cardClass(rowProps?.(row).className)}>
                    {title ? <p className="data-table-card-title">{title(row)}</p> : null}
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
          ) : null}
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
  testId = "load-more",
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
  /** The button's test id. */
  testId?: string;
}) {
  return (
    <div className="data-table-footer" data-testid="load-more-footer">
      {summary ? <span aria-live="polite">{summary(shown, total ?? null)}</span> : null}
      {hasMore ? (
        <Button onClick={onLoadMore} loading={loading} data-testid={testId}>
          {label}
        </Button>
      ) : null}
    </div>
  );
}
