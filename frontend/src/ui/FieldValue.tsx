import { Tag, Tooltip } from "antd";
import type { ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { usePermissions } from "../api/permissions";

/** One field of an object as the field policy lets this user see it: visible as is,
 * masked with a marker (the server masked it; the client shows it as it came), denied as
 * an explicit "not available" — never an error. */
export function FieldValue({
  type,
  field,
  value,
  render,
}: {
  type: string;
  field: string;
  value: string | number | null | undefined;
  render?: (value: string | number) => ReactNode;
}) {
  const { t } = useTranslation();
  const access = usePermissions().access(type, field);
  if (access === "DENIED" || value === null || value === undefined) {
    return (
      <span className="field-absent" data-access={access === "DENIED" ? "denied" : "empty"}>
        {access === "DENIED" ? t("field.denied") : "—"}
      </span>
    );
  }
  const shown = render ? render(value) : value;
  if (access === "MASKED") {
    return (
      <span data-access="masked">
        {shown}{" "}
        <Tooltip title={t("field.maskedHint")}>
          <Tag className="masked-tag">{t("field.masked")}</Tag>
        </Tooltip>
      </span>
    );
  }
  return <span data-access="visible">{shown}</span>;
}
