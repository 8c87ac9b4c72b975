import { BellOutlined } from "@ant-design/icons";
import { Button, Popover } from "antd";
import { useReducer } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { useSubscription } from "urql";
import { usePermissions } from "../api/permissions";
import { WarningChangedDocument } from "../gql/graphql";
import { badgeReducer, emptyBadge } from "../pages/warnings/live";
import "./WarningBell.css";

/** The path of one warning's screen. */
export function warningPath(id: string): string {
  return `/warnings/${encodeURIComponent(id)}`;
}

/** Live notifications of new warnings (the `warningChanged` subscription) with a badge:
 * how many were raised since the page was opened and not yet looked at; the popover lists
 * them, each linking to its warning. Shown only to users who may read warnings. */
export function WarningBell() {
  const { t } = useTranslation();
  const permissions = usePermissions();
  const readable = permissions.loaded && permissions.reads("Warning");
  const [badge, dispatch] = useReducer(badgeReducer, emptyBadge);
  useSubscription({ query: WarningChangedDocument, pause: !readable }, (_previous, data) => {
    dispatch({ type: "change", change: data.warningChanged });
    return data;
  });
  if (!readable) return null;
  const label = badge.unseen ? t("warnings.bell.labelCount", { count: badge.unseen }) : t("warnings.bell.label");
  const content = (
    <div className="bell-panel" data-testid="bell-panel">
      {badge.items.length ? (
        <ul className="bell-list">
          {badge.items.map((w) => (
            <li key={w.id}>
              <Link to={warningPath(w.id)} data-testid="bell-item">
                <span className={`severity severity-${w.severity.toLowerCase()}`}>{w.severityLabel}</span>{" "}
                {w.firm.name} · {w.ruleName}
              </Link>
            </li>
          ))}
        </ul>
      ) : (
        <p className="bell-empty">{t("warnings.bell.empty")}</p>
      )}
      <Link to="/warnings">{t("warnings.bell.all")}</Link>
    </div>
  );
  return (
    <Popover
      content={content}
      title={t("warnings.bell.title")}
      trigger="click"
      placement="bottomRight"
      onOpenChange={(open) => {
        if (open) dispatch({ type: "seen" });
      }}
    >
      <Button
        type="text"
        className="bell-button"
        aria-label={label}
        data-testid="warning-bell"
        icon={<BellOutlined />}
      >
        {badge.unseen ? (
          <span className="bell-count" data-testid="bell-count" aria-hidden="true">
            {badge.unseen > 99 ? "99+" : badge.unseen}
          </span>
        ) : null}
      </Button>
    </Popover>
  );
}
