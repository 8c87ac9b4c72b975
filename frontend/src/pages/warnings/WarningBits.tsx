import { useTranslation } from "react-i18next";
import type { Severity } from "../../gql/graphql";

/** A warning's level as a mark with its own dark-enough colour (not antd's presets). */
export function SeverityMark({ severity, label }: { severity: Severity; label: string }) {
  return (
    <span className={`severity severity-${severity.toLowerCase()}`} data-severity={severity}>
      {label}
    </span>
  );
}

/** A warning's status as a neutral outlined mark. */
export function StatusMark({ label, status }: { label: string; status: string }) {
  return (
    <span className="status-mark" data-status={status} data-testid="warning-status">
      {label}
    </span>
  );
}

/** "New" on a row that arrived live. */
export function NewMark() {
  const { t } = useTranslation();
  return <span className="new-mark">{t("warnings.list.new")}</span>;
}
