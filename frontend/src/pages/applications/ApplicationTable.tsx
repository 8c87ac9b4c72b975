import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import type { ApplicationRowFragment } from "../../gql/graphql";
import { currentLanguage } from "../../i18n";
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
 * on phones (the CSS shows one of the two at 640px). */
export function ApplicationTable({ rows, caption }: { rows: ApplicationRowFragment[]; caption: string }) {
  const { t } = useTranslation();
  const language = currentLanguage();
  return (
    <>
      <div className="apps-table-wrap apps-responsive">
        <table className="apps-table" data-testid="applications-table">
          <caption className="visually-hidden">{caption}</caption>
          <thead>
            <tr>
              <th scope="col">{t("applications.col.firm")}</th>
              <th scope="col">{t("applications.col.product")}</th>
              <th scope="col" className="num">
                {t("applications.col.amount")}
              </th>
              <th scope="col">{t("applications.col.term")}</th>
              <th scope="col" className="num">
                {t("applications.col.rate")}
              </th>
              <th scope="col">{t("applications.col.status")}</th>
              <th scope="col">{t("applications.col.grade")}</th>
              <th scope="col">{t("applications.col.maker")}</th>
              <th scope="col">{t("applications.col.submittedAt")}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.id} data-application={row.id}>
                <td>
                  <Link to={`/applications/${encodeURIComponent(row.id)}`}>{row.firm.name}</Link>
                </td>
                <td>{row.product.name}</td>
                <td className="num">{formatYuan(row.amount, language)}</td>
                <td>{t("applications.months", { count: row.termMonths })}</td>
                <td className="num">{formatRate(row.annualRate)}</td>
                <td>
                  <StatusTag status={row.status} label={row.statusLabel} />
                </td>
                <td>{row.riskGrade ?? "—"}</td>
                <td>{row.makerId}</td>
                <td>{formatDateTime(row.submittedAt, language)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <ul className="apps-cards" aria-label={caption}>
        {rows.map((row) => (
          <li key={row.id} data-application={row.id}>
            <Link to={`/applications/${encodeURIComponent(row.id)}`}>{row.firm.name}</Link>{" "}
            <StatusTag status={row.status} label={row.statusLabel} />
            <dl>
              <dt>{t("applications.col.product")}</dt>
              <dd>{row.product.name}</dd>
              <dt>{t("applications.col.amount")}</dt>
              <dd>{formatYuan(row.amount, language)}</dd>
              <dt>{t("applications.col.term")}</dt>
              <dd>{t("applications.months", { count: row.termMonths })}</dd>
              <dt>{t("applications.col.rate")}</dt>
              <dd>{formatRate(row.annualRate)}</dd>
              <dt>{t("applications.col.grade")}</dt>
              <dd>{row.riskGrade ?? "—"}</dd>
              <dt>{t("applications.col.submittedAt")}</dt>
              <dd>{formatDateTime(row.submittedAt, language)}</dd>
            </dl>
          </li>
        ))}
      </ul>
    </>
  );
}
