/** The firm list's filters as the address keeps them (`?grade=B&warning=RED`): what a
 * reload or a shared link restores. Values that cannot be right are dropped, not sent. */
import type { FirmFilter, Severity } from "../../gql/graphql";

export const GRADES = ["A", "B", "C", "D", "E", "F", "G"] as const;
export const WARNING_LEVELS: readonly Severity[] = ["RED", "ORANGE", "YELLOW", "BLUE"];

export interface FirmListFilters {
  search?: string;
  grade?: string;
  industry?: string;
  region?: string;
  branch?: string;
  warning?: Severity;
}

/** URL parameter of each filter, in the order they are written. */
const PARAMS: Record<keyof FirmListFilters, string> = {
  search: "q",
  grade: "grade",
  industry: "industry",
  region: "region",
  branch: "branch",
  warning: "warning",
};

/** The longest search the API takes (FirmFilter.search). */
export const MAX_SEARCH = 60;
const CODE = /^[A-Za-z0-9_-]{1,16}$/;

function clean(key: keyof FirmListFilters, raw: string | null): string | undefined {
  const value = raw?.trim();
  if (!value) return undefined;
  switch (key) {
    case "search":
      return value.slice(0, MAX_SEARCH);
    case "grade":
      return (GRADES as readonly string[]).includes(value.toUpperCase()) ? value.toUpperCase() : undefined;
    case "warning":
      return (WARNING_LEVELS as readonly string[]).includes(value.toUpperCase()) ? value.toUpperCase() : undefined;
    case "region":
      return /^\d{1,6}$/.test(value) ? value : undefined;
    default:
      return CODE.test(value) ? value : undefined;
  }
}

/** The filters an address names (unknown or malformed values are ignored). */
export function filtersFromParams(params: URLSearchParams): FirmListFilters {
  const out: FirmListFilters = {};
  for (const key of Object.keys(PARAMS) as (keyof FirmListFilters)[]) {
    const value = clean(key, params.get(PARAMS[key]));
    if (value !== undefined) (out as Record<string, string>)[key] = value;
  }
  return out;
}

/** The address parameters for the filters; other parameters of `base` are kept. */
export function filtersToParams(filters: FirmListFilters, base?: URLSearchParams): URLSearchParams {
  const out = new URLSearchParams(base);
  for (const key of Object.keys(PARAMS) as (keyof FirmListFilters)[]) {
    const value = clean(key, filters[key] ?? null);
    if (value === undefined) out.delete(PARAMS[key]);
    else out.set(PARAMS[key], value);
  }
  return out;
}

/** The API's FirmFilter for the list filters (null when none is set). */
export function toFirmFilter(filters: FirmListFilters): FirmFilter | null {
  const f: FirmFilter = {};
  if (filters.search) f.search = filters.search;
  if (filters.grade) f.grade = filters.grade;
  if (filters.industry) f.industryCode = filters.industry;
  if (filters.region) f.regionCode = filters.region;
  if (filters.branch) f.branchCode = filters.branch;
  if (filters.warning) f.warningLevel = filters.warning;
  return Object.keys(f).length ? f : null;
}
