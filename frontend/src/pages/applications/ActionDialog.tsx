import { Input } from "antd";
import { Dialog } from "../../ui/Dialog";
import type { ButtonProps } from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import type { UserError } from "../../api/errors";
import { Refusal } from "../../ui/Refusal";
import type { ActionSpec } from "./actions";

export interface ActionInput {
  reason: string;
  overrideReason: string;
}

/** The dialog of one lifecycle action: a title, what it does, a labelled reason (when the
 * mutation takes one), an override reason when approving goes against the
 * recommendation, and the server's refusal (what the user typed stays). */
export function ActionDialog({
  spec,
  findings,
  busy,
  refusal,
  onConfirm,
  onCancel,
  onReload,
}: {
  spec: ActionSpec;
  /** How approving departs from the recommendation, in words (empty: it does not). */
  findings: string[];
  busy: boolean;
  refusal: UserError | null;
  onConfirm(input: ActionInput): void;
  onCancel(): void;
  onReload(): void;
}) {
  const { t } = useTranslation();
  const [reason, setReason] = useState("");
  const [overrideReason, setOverrideReason] = useState("");
  const [tried, setTried] = useState(false);
  const needsOverride = spec.action === "APPROVE_APPLICATION" && findings.length > 0;
  const reasonMissing = spec.reason === "required" && !reason.trim();
  const overrideMissing = needsOverride && !overrideReason.trim();
  const title = t(`applications.action.${spec.mutation}`);
  const hint =
    spec.action === "SUBMIT_APPLICATION"
      ? t("applications.dialog.submitHint")
      : spec.action === "START_REVIEW"
        ? t("applications.dialog.startReviewHint")
        : null;
  return (
    <Dialog
      open
      title={title}
      okText={t("applications.dialog.confirm")}
      cancelText={t("applications.dialog.cancel")}
      okButtonProps={
        { danger: spec.danger, className: spec.danger ? "apps-danger-ok" : undefined, loading: busy, "data-testid": "dialog-confirm" } as ButtonProps
      }
      onCancel={onCancel}
      onOk={() => {
        setTried(true);
        if (reasonMissing || overrideMissing) return;
        onConfirm({ reason: reason.trim(), overrideReason: overrideReason.trim() });
      }}
      destroyOnHidden
    >
      {hint && <p>{hint}</p>}
      {spec.reason !== "none" && (
        <div style={{ marginBottom: 12 }}>
          <label htmlFor="action-reason" style={{ display: "block", marginBottom: 4 }}>
            {spec.reason === "required" ? t("applications.dialog.reason") : t("applications.dialog.reasonOptional")}
          </label>
          <Input.TextArea
            id="action-reason"
            rows={3}
            maxLength={1000}
            value={reason}
            status={tried && reasonMissing ? "error" : undefined}
            aria-invalid={tried && reasonMissing}
            aria-describedby={tried && reasonMissing ? "action-reason-error" : undefined}
            onChange={(e) => setReason(e.target.value)}
          />
          {tried && reasonMissing && (
            <div id="action-reason-error" className="apps-fail" role="alert">
              {t("applications.dialog.reasonRequired")}
            </div>
          )}
        </div>
      )}
      {needsOverride && (
        <div style={{ marginBottom: 12 }} data-testid="override">
          <p style={{ marginBottom: 4 }}>{t("applications.dialog.overrideHint")}</p>
          <ul>
            {findings.map((f) => (
              <li key={f}>{f}</li>
            ))}
          </ul>
          <label htmlFor="action-override" style={{ display: "block", marginBottom: 4 }}>
            {t("applications.dialog.overrideReason")}
          </label>
          <Input.TextArea
            id="action-override"
            rows={3}
            maxLength={1000}
            value={overrideReason}
            status={tried && overrideMissing ? "error" : undefined}
            aria-invalid={tried && overrideMissing}
            onChange={(e) => setOverrideReason(e.target.value)}
          />
          {tried && overrideMissing && (
            <div className="apps-fail" role="alert">
              {t("applications.dialog.overrideRequired")}
            </div>
          )}
        </div>
      )}
      <Refusal error={refusal} onReload={onReload} />
    </Dialog>
  );
}
