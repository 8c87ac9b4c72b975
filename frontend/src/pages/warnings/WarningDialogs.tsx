import { AutoComplete, Button, Form, Input } from "antd";
import { Dialog } from "../../ui/Dialog";
import type { ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { useQuery } from "urql";
import { AssigneeOptionsDocument } from "../../gql/graphql";

/** The text steps: assign (an assignee), comment, resolve (a note), dismiss (a reason). */
export type TextStep = "assign" | "comment" | "resolve" | "dismiss";

const DIALOG: Record<TextStep, { title: string; field: string; required: string; max: number }> = {
  assign: { title: "warnings.dialog.assignTitle", field: "warnings.dialog.assignee", required: "warnings.dialog.assigneeRequired", max: 64 },
  comment: { title: "warnings.dialog.commentTitle", field: "warnings.dialog.comment", required: "warnings.dialog.commentRequired", max: 2000 },
  resolve: { title: "warnings.dialog.resolveTitle", field: "warnings.dialog.resolveNote", required: "warnings.dialog.resolveRequired", max: 2000 },
  dismiss: { title: "warnings.dialog.dismissTitle", field: "warnings.dialog.dismissReason", required: "warnings.dialog.dismissRequired", max: 2000 },
};

/** The assignee: picked from the users when the user may list them, else typed by name. */
function AssigneeField({ value, onChange }: { value?: string; onChange?: (v: string) => void }) {
  const { t } = useTranslation();
  const [{ data, error }] = useQuery({ query: AssigneeOptionsDocument });
  const options = error
    ? []
    : (data?.users.edges ?? []).map(({ node }) => ({ value: node.username, label: `${node.displayName} (${node.username})` }));
  return (
    <AutoComplete
      aria-label={t("warnings.dialog.assigneeName")}
      value={value}
      onChange={onChange}
      options={options}
      filterOption={(input, option) => String(option?.label ?? "").toLowerCase().includes(input.toLowerCase())}
      placeholder={t("warnings.dialog.assigneeName")}
    />
  );
}

function StepForm({ step, busy, onSubmit, onCancel }: { step: TextStep; busy: boolean; onSubmit: (text: string) => void; onCancel: () => void }) {
  const { t } = useTranslation();
  const spec = DIALOG[step];
  return (
    <Form layout="vertical" name="step" onFinish={({ text }: { text: string }) => onSubmit(text.trim())}>
      <Form.Item
        name="text"
        label={t(spec.field)}
        rules={[{ required: true, whitespace: true, message: t(spec.required) }, { max: spec.max }]}
      >
        {step === "assign" ? <AssigneeField /> : <Input.TextArea rows={4} maxLength={spec.max} data-testid="dialog-text" />}
      </Form.Item>
      <div className="dialog-buttons">
        <Button onClick={onCancel}>{t("warnings.action.cancel")}</Button>
        <Button type="primary" htmlType="submit" loading={busy} data-testid="dialog-submit">
          {t("warnings.dialog.submit")}
        </Button>
      </div>
    </Form>
  );
}

/** One text step's dialog: a titled form, the text required and trimmed. Whatever was
 * typed stays when the server refuses (the refusal shows above the form). */
export function StepDialog({
  step,
  busy,
  refusal,
  onSubmit,
  onCancel,
}: {
  step: TextStep | null;
  busy: boolean;
  refusal: ReactNode;
  onSubmit: (text: string) => void;
  onCancel: () => void;
}) {
  const { t } = useTranslation();
  return (
    <Dialog
      open={!!step}
      title={step ? t(DIALOG[step].title) : t("warnings.detail.actions")}
      footer={null}
      onCancel={onCancel}
      destroyOnHidden
    >
      {refusal}
      {step ? <StepForm key={step} step={step} busy={busy} onSubmit={onSubmit} onCancel={onCancel} /> : null}
    </Dialog>
  );
}
