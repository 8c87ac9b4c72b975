/** The loan list's filters as the URL holds them (`?status=OVERDUE&minDpd=30`): a link or
 * a reload shows the same list. Values the API would refuse are dropped, not sent. */
import type { LoanClassification, LoanFilter, LoanStatus } from "../../gql/graphql";

export const LOAN_STATUSES: readonly LoanStatus[] = ["DISBURSED", "ACTIVE", "OVERDUE", "CLOSED", "WRITTEN_OFF", "REVERSED"];
export const LOAN_CLASSES: readonly LoanClassification[] = ["NORMAL", "SPECIAL_MENTION", "SUBSTANDARD", "DOUBTFUL", "LOSS"];

/** The URL parameters of the filters, in form order. */
export const FILTER_PARAMS = ["status", "classification", "minDpd", "maxDpd", "branch", "product"] as const;
export type FilterParam = (typeof FILTER_PARAMS)[number];
export type FilterValues = Partial<Record<FilterParam, string>>;

const MAX_DPD = 100_000;

function days(value: string | null): number | undefined {
  if (value === null || !/^\d{1,6}$/.test(value.trim())) return undefined;
  const n = Number(value.trim());
  return n <= MAX_DPD ? n : undefined;
}

function text(value: string | null, max: number): string | undefined {
  const v = value?.trim();
  // eslint-disable-next-line no-control-regex
  return v && v.length <= max && !/[\u0000-\u001f\u007f]/.test(v) ? v : undefined;
}

/** The API filter the URL asks for (null: no condition). */
export function filterFromParams(params: URLSearchParams): LoanFilter | null {
  const filter: LoanFilter = {};
  const status = params.get("status");
  if (status && (LOAN_STATUSES as readonly string[]).includes(status)) filter.status = status as LoanStatus;
  const cls = params.get("classification");
  if (cls && (LOAN_CLASSES as readonly string[]).includes(cls)) filter.classification = cls as LoanClassification;
  const min = days(params.get("minDpd"));
  const max = days(params.get("maxDpd"));
  if (min !== undefined) filter.minDaysPastDue = min;
  if (max !== undefined && (min === undefined || max >= min)) filter.maxDaysPastDue = max;
  const branch = text(params.get("branch"), 64);
  if (branch) filter.branchCode = branch;
  const product = text(params.get("product"), 200);
  if (product) filter.product = product;
  return Object.keys(filter).length ? filter : null;
}

/** The form's values from the URL. */
export function valuesFromParams(params: URLSearchParams): FilterValues {
  const values: FilterValues = {};
  for (const key of FILTER_PARAMS) {
    const v = params.get(key);
    if (v) values[key] = v;
  }
  return values;
}

/** The URL parameters of the form's values (empty ones left out). */
export function paramsFromValues(values: FilterValues): URLSearchParams {
  const params = new URLSearchParams();
  for (const key of FILTER_PARAMS) {
    const v = values[key];
    if (v !== undefined && v !== null && String(v).trim() !== "") params.set(key, String(v).trim());
  }
  return params;
}
