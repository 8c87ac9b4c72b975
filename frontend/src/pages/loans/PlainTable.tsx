import type { ReactNode } from "react";
import "./loans.css";

/** One column of a plain table: its heading and how a row shows in it. */
export interface Column<T> {
  key: string;
  title: ReactNode;
  render: (row: T) => ReactNode;
  numeric?: boolean;
}

/** A plain semantic table (antd's Table writes a `<style>` the CSP refuses) that scrolls
 * inside its box; with `responsive`, a card list replaces it on phones (640px and less). */
export function PlainTable<T>({
  caption,
  columns,
  rows,
  rowKey,
  cardTitle,
  empty,
  responsive = true,
  testId,
}: {
  caption: ReactNode;
  columns: Column<T>[];
  rows: T[];
  rowKey: (row: T) => string;
  cardTitle?: (row: T) => ReactNode;
  empty: ReactNode;
  responsive?: boolean;
  testId?: string;
}) {
  if (rows.length === 0) {
    return (
      <p className="loans-muted" data-testid={testId ? `${testId}-empty` : undefined}>
        {empty}
      </p>
    );
  }
  return (
    <>
      {/* Focusable and named: a keyboard can scroll a table wider than the screen. */}
      <div
        className={`loans-table-wrap${responsive ? " loans-responsive" : ""}`}
        data-testid={testId}
        role="region"
        tabIndex={0}
        aria-label={typeof caption === "string" ? caption : undefined}
      >
        <table className="loans-table">
          <caption className="visually-hidden">{caption}</caption>
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
              <tr key={rowKey(row)} data-row={rowKey(row)}>
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
      {responsive ? (
        <ul className="loans-cards" aria-label={typeof caption === "string" ? caption : undefined}>
          {rows.map((row) => (
            <li key={rowKey(row)} className="loans-card">
              {cardTitle ? <div className="loans-card-title">{cardTitle(row)}</div> : null}
              <dl>
                {columns.map((c) => (
                  <div key={c.key} className="loans-card-row">
                    <dt>{c.title}</dt>
                    <dd>{c.render(row)}</dd>
                  </div>
                ))}
              </dl>
            </li>
          ))}
        </ul>
      ) : null}
    </>
  );
}

/** A status or class as a tag whose colour meets contrast. */
export function LoanTag({ value, label }: { value: string; label: string }) {
  return <span className={`loan-tag loan-tag-${value}`}>{label}</span>;
}

/** Where dialogs render: the shell's `#overlays` (see docs/web-client.md, CSP). */
export function overlays(): HTMLElement {
  return document.getElementById("overlays") ?? document.body;
}
