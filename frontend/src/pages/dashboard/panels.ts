import type { Permissions } from "../../api/permissions";

/** A role panel of the dashboard. */
export type PanelKey = "pipeline" | "approvals" | "warnings";

/** Which panel a user gets, from what the user may do (never from a role name):
 * - `pipeline`: whoever drafts applications (`createApplication`) sees its own;
 * - `approvals`: whoever approves (`approveApplication`) sees its queue;
 * - `warnings`: whoever runs the warning book (`runWarningScan`) sees the open warnings. */
export const PANEL_RULES: readonly { key: PanelKey; mutation: string; reads: string }[] = [
  { key: "pipeline", mutation: "createApplication", reads: "LoanApplication" },
  { key: "approvals", mutation: "approveApplication", reads: "LoanApplication" },
  { key: "warnings", mutation: "runWarningScan", reads: "Warning" },
];

/** The panels of a user, in dashboard order: each needs its mutation allowed and its
 * type readable. Nothing until the permissions have loaded. */
export function panelsFor(permissions: Pick<Permissions, "loaded" | "may" | "access">): PanelKey[] {
  if (!permissions.loaded) return [];
  return PANEL_RULES.filter(
    (rule) => permissions.may(rule.mutation) && permissions.access(rule.reads, "id") !== "DENIED",
  ).map((rule) => rule.key);
}

/** The book section (KPIs and charts) shows when the user reads the portfolio. */
export function showsBook(permissions: Pick<Permissions, "loaded" | "access">): boolean {
  return permissions.loaded && permissions.access("Portfolio", "balance") !== "DENIED";
}

/** Chart numbers from the server's decimal strings (plotting only: texts keep the string). */
export function plotNumber(value: string): number {
  const n = Number(value);
  return Number.isFinite(n) ? n : 0;
}

/** A ratio fraction (`"0.123456"`) as a percentage number with two places, for a chart axis. */
export function ratioPercent(value: string): number {
  return Math.round(plotNumber(value) * 10000) / 100;
}
