import type { Severity } from "../../gql/graphql";

/** A score grade in a contrast-safe badge (antd preset colours fail axe). */
export function GradeBadge({ grade }: { grade: string | null | undefined }) {
  if (!grade) return <span className="firm-muted">—</span>;
  return <span className={`firm-badge grade-${grade.toLowerCase()}`}>{grade}</span>;
}

/** A warning level in a contrast-safe badge, with its text. */
export function SeverityBadge({ severity, label }: { severity: Severity; label: string }) {
  return <span className={`firm-badge severity-${severity.toLowerCase()}`}>{label}</span>;
}
