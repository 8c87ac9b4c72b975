/** The live side of the warnings screens, pure so it is tested without a socket: filters
 * as they stand in the URL, whether a pushed change belongs to the list shown, merging it
 * into the list, and the bell's badge. */
import type { Severity, WarningEventKind, WarningFilter, WarningRowFragment, WarningStatus } from "../../gql/graphql";

export type WarningRow = WarningRowFragment;

/** A pushed change (`warningChanged`). */
export interface LiveChange {
  kind: WarningEventKind;
  warning: WarningRow;
}

/** The list's filters, as the URL holds them (`?severity=RED&status=OPEN&rule=...&branch=...`). */
export interface ListFilters {
  severity: Severity | null;
  status: WarningStatus | null;
  ruleCode: string | null;
  branchCode: string | null;
}

const SEVERITIES: readonly Severity[] = ["RED", "ORANGE", "YELLOW", "BLUE"];
const STATUSES: readonly WarningStatus[] = ["OPEN", "ACKNOWLEDGED", "IN_PROGRESS", "RESOLVED", "DISMISSED"];
/** URL parameter of each filter. */
export const FILTER_PARAMS = { severity: "severity", status: "status", ruleCode: "rule", branchCode: "branch" } as const;

function pick<T extends string>(value: string | null, allowed: readonly T[]): T | null {
  return value !== null && (allowed as readonly string[]).includes(value) ? (value as T) : null;
}

function text(value: string | null): string | null {
  const v = value?.trim();
  return v ? v.slice(0, 64) : null;
}

/** The filters a URL names; unknown values are ignored (an old bookmark still opens). */
export function filtersFromParams(params: URLSearchParams): ListFilters {
  return {
    severity: pick(params.get(FILTER_PARAMS.severity), SEVERITIES),
    status: pick(params.get(FILTER_PARAMS.status), STATUSES),
    ruleCode: text(params.get(FILTER_PARAMS.ruleCode)),
    branchCode: text(params.get(FILTER_PARAMS.branchCode)),
  };
}

/** The URL parameters of the filters (empty ones left out), other parameters kept. */
export function paramsWithFilters(base: URLSearchParams, filters: ListFilters): URLSearchParams {
  const next = new URLSearchParams(base);
  for (const [key, param] of Object.entries(FILTER_PARAMS) as [keyof ListFilters, string][]) {
    const value = filters[key];
    if (value) next.set(param, value);
    else next.delete(param);
  }
  return next;
}

/** The API's `WarningFilter` of the filters (null when none is set). */
export function apiFilter(filters: ListFilters): WarningFilter | null {
  const f: WarningFilter = {};
  if (filters.severity) f.severity = filters.severity;
  if (filters.status) f.status = filters.status;
  if (filters.ruleCode) f.ruleCode = filters.ruleCode;
  if (filters.branchCode) f.branchCode = filters.branchCode;
  return Object.keys(f).length ? f : null;
}

/** Does the warning, as it is now, belong to the list these filters show? */
export function matchesFilters(warning: WarningRow, filters: ListFilters): boolean {
  if (filters.severity && warning.severity !== filters.severity) return false;
  if (filters.status && warning.status !== filters.status) return false;
  if (filters.ruleCode && warning.ruleCode !== filters.ruleCode) return false;
  if (filters.branchCode && warning.firm.branchCode !== filters.branchCode) return false;
  return true;
}

/** The list shown (newest first) after a pushed change: a warning already listed is
 * replaced where it stands (or leaves the list when it no longer matches); a new one that
 * matches goes on top. A change older than the row shown (by version) is ignored. */
export function mergeChange(rows: readonly WarningRow[], change: LiveChange, filters: ListFilters): WarningRow[] {
  const incoming = change.warning;
  const at = rows.findIndex((r) => r.id === incoming.id);
  const matches = matchesFilters(incoming, filters);
  if (at >= 0) {
    const current = rows[at] as WarningRow;
    if (incoming.version < current.version) return [...rows];
    if (!matches) return rows.filter((_, i) => i !== at);
    return rows.map((r, i) => (i === at ? incoming : r));
  }
  return matches ? [incoming, ...rows] : [...rows];
}

/** The live rows over the fetched pages: fetched rows with their live state, the live
 * newcomers on top. `live` holds every change pushed since the list was loaded. */
export function withLive(fetched: readonly WarningRow[], live: readonly LiveChange[], filters: ListFilters): WarningRow[] {
  return live.reduce<WarningRow[]>((rows, change) => mergeChange(rows, change, filters), [...fetched]);
}

/** The bell: new warnings pushed since the page was opened, `unseen` of them since the
 * list was last looked at. */
export interface BadgeState {
  items: WarningRow[];
  unseen: number;
}

export type BadgeAction = { type: "change"; change: LiveChange } | { type: "seen" };

/** How many warnings the bell lists at most (the newest). */
export const BADGE_ITEMS = 20;

/** Kinds of change the bell counts: a warning that is new. */
const NEW_KINDS: readonly WarningEventKind[] = ["OPENED"];

export const emptyBadge: BadgeState = { items: [], unseen: 0 };

export function badgeReducer(state: BadgeState, action: BadgeAction): BadgeState {
  if (action.type === "seen") return state.unseen === 0 ? state : { ...state, unseen: 0 };
  const { change } = action;
  const at = state.items.findIndex((w) => w.id === change.warning.id);
  if (at >= 0) {
    // Already counted: keep its place, show it as it is now.
    return { ...state, items: state.items.map((w, i) => (i === at ? change.warning : w)) };
  }
  if (!NEW_KINDS.includes(change.kind)) return state;
  return { items: [change.warning, ...state.items].slice(0, BADGE_ITEMS), unseen: state.unseen + 1 };
}
