import { Alert, Button } from "antd";
import { useTranslation } from "react-i18next";
import { STALE_VERSION } from "../api/errors";
import type { UserError } from "../api/errors";

/** A server refusal in the user's language (the API's own message). A stale
 * `expectedVersion` says that someone else changed the object and offers to reload;
 * whatever the user typed stays in the form. */
export function Refusal({ error, onReload }: { error: UserError | null; onReload?: () => void }) {
  const { t } = useTranslation();
  if (!error) return null;
  if (error.code === STALE_VERSION) {
    return (
      <Alert
        type="warning"
        showIcon
        role="alert"
        data-testid="stale-version"
        title={t("refusal.staleTitle")}
        description={error.message}
        action={
          onReload ? (
            <Button size="small" onClick={onReload}>
              {t("refusal.reload")}
            </Button>
          ) : undefined
        }
      />
    );
  }
  return <Alert type="error" showIcon role="alert" data-testid="refusal" data-code={error.code ?? ""} title={error.message} />;
}
