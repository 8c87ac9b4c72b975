import { Form, Input, Select } from "antd";
import { Dialog } from "../../ui/Dialog";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { useClient } from "urql";
import { businessError, userError } from "../../api/errors";
import type { UserError } from "../../api/errors";
import {
  PostRepaymentDocument,
  RequestClassificationOverrideDocument,
  ReverseRepaymentDocument,
} from "../../gql/graphql";
import type { LoanClassification, PostRepaymentMutation } from "../../gql/graphql";
import { Refusal } from "../../ui/Refusal";
import { IdempotentSubmission } from "./idempotency";

/** An amount in yuan as the API takes it: a decimal string, at most two decimals. */
export const AMOUNT = /^(?:0|[1-9]\d{0,15})(?:\.\d{1,2})?$/;

/** Today as `YYYY-MM-DD` in the user's time zone (the day a payment is received). */
export function today(): string {
  const now = new Date();
  const month = String(now.getMonth() + 1).padStart(2, "0");
  const day = String(now.getDate()).padStart(2, "0");
  return `${now.getFullYear()}-${month}-${day}`;
}

type PostResult = { data?: PostRepaymentMutation; error?: import("@urql/core").CombinedError };

/** "Post repayment": mounted when it opens, so one idempotency key serves every attempt
 * (retries after a network error, double clicks) and the server posts once. */
export function PostRepaymentDialog({ loanId, onClose, onPosted }: { loanId: string; onClose: () => void; onPosted: () => void }) {
  const { t } = useTranslation();
  const client = useClient();
  const [form] = Form.useForm<{ amount: string; receivedOn: string }>();
  const [submission] = useState(() => new IdempotentSubmission<PostResult>());
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<UserError | null>(null);

  const submit = async () => {
    let values: { amount: string; receivedOn: string };
    try {
      values = await form.validateFields();
    } catch {
      return;
    }
    setSending(true);
    setError(null);
    const result = await submission.submit((key) =>
      client
        .mutation(PostRepaymentDocument, {
          loanId,
          idempotencyKey: key,
          amount: values.amount.trim(),
          receivedOn: values.receivedOn || null,
        })
        .toPromise(),
    );
    setSending(false);
    if (result.error) {
      setError(userError(result.error, t));
      return;
    }
    const answer = result.data?.postRepayment;
    const refused = businessError(answer);
    if (refused) {
      setError(refused);
      return;
    }
    onPosted();
  };

  return (
    <Dialog
      open
      title={t("loans.repay.title")}
      okText={t("loans.repay.submit")}
      cancelText={t("loans.cancel")}
      onOk={() => void submit()}
      onCancel={onClose}
      confirmLoading={sending}
      okButtonProps={{ "data-testid": "repay-submit" }}
      data-testid="repay-dialog"
    >
      <Form form={form} layout="vertical" name="repay" initialValues={{ amount: "", receivedOn: today() }}>
        <Form.Item
          name="amount"
          label={t("loans.repay.amount")}
          extra={t("loans.repay.amountHint")}
          rules={[
            { required: true, message: t("loans.required") },
            { pattern: AMOUNT, message: t("loans.repay.amountInvalid") },
          ]}
        >
          <Input inputMode="decimal" autoComplete="off" />
        </Form.Item>
        <Form.Item name="receivedOn" label={t("loans.repay.receivedOn")} rules={[{ required: true, message: t("loans.required") }]}>
          <Input type="date" />
        </Form.Item>
      </Form>
      <Refusal error={error} />
    </Dialog>
  );
}

/** Reverse a posted repayment, with the reason the audit keeps. */
export function ReverseRepaymentDialog({ repaymentId, onClose, onDone }: { repaymentId: string; onClose: () => void; onDone: () => void }) {
  const { t } = useTranslation();
  const client = useClient();
  const [form] = Form.useForm<{ reason: string }>();
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<UserError | null>(null);
  const submit = async () => {
    let values: { reason: string };
    try {
      values = await form.validateFields();
    } catch {
      return;
    }
    if (sending) return;
    setSending(true);
    setError(null);
    const result = await client.mutation(ReverseRepaymentDocument, { repaymentId, reason: values.reason.trim() }).toPromise();
    setSending(false);
    if (result.error) return setError(userError(result.error, t));
    const refused = businessError(result.data?.reverseRepayment);
    if (refused) return setError(refused);
    onDone();
  };
  return (
    <Dialog
      open
      title={t("loans.reverse.title")}
      okText={t("loans.reverse.submit")}
      cancelText={t("loans.cancel")}
      okButtonProps={{ danger: true, "data-testid": "reverse-submit" }}
      onOk={() => void submit()}
      onCancel={onClose}
      confirmLoading={sending}
    >
      <Form form={form} layout="vertical" name="reverse">
        <Form.Item
          name="reason"
          label={t("loans.reverse.reason")}
          rules={[{ required: true, whitespace: true, message: t("loans.reasonRequired") }]}
        >
          <Input.TextArea rows={3} maxLength={4000} />
        </Form.Item>
      </Form>
      <Refusal error={error} />
    </Dialog>
  );
}

/** Ask for a class by hand (four eyes: another person approves the request). A stale
 * version offers to reload the loan. */
export function OverrideDialog({
  loanId,
  version,
  classes,
  onClose,
  onDone,
  onReload,
}: {
  loanId: string;
  version: number;
  classes: { value: string; text: string }[];
  onClose: () => void;
  onDone: () => void;
  onReload: () => void;
}) {
  const { t } = useTranslation();
  const client = useClient();
  const [form] = Form.useForm<{ loanClass: LoanClassification; reason: string }>();
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<UserError | null>(null);
  const submit = async () => {
    let values: { loanClass: LoanClassification; reason: string };
    try {
      values = await form.validateFields();
    } catch {
      return;
    }
    if (sending) return;
    setSending(true);
    setError(null);
    const result = await client
      .mutation(RequestClassificationOverrideDocument, {
        loanId,
        loanClass: values.loanClass,
        reason: values.reason.trim(),
        expectedVersion: version,
      })
      .toPromise();
    setSending(false);
    if (result.error) return setError(userError(result.error, t));
    const refused = businessError(result.data?.requestClassificationOverride);
    if (refused) return setError(refused);
    onDone();
  };
  return (
    <Dialog
      open
      title={t("loans.override.title")}
      okText={t("loans.override.submit")}
      cancelText={t("loans.cancel")}
      onOk={() => void submit()}
      onCancel={onClose}
      confirmLoading={sending}
      okButtonProps={{ "data-testid": "override-submit" }}
    >
      <p className="loans-muted">{t("loans.override.hint")}</p>
      <Form form={form} layout="vertical" name="override">
        <Form.Item name="loanClass" label={t("loans.override.class")} rules={[{ required: true, message: t("loans.required") }]}>
          <Select options={classes.map((c) => ({ value: c.value, label: c.text }))} />
        </Form.Item>
        <Form.Item
          name="reason"
          label={t("loans.override.reason")}
          rules={[{ required: true, whitespace: true, message: t("loans.reasonRequired") }]}
        >
          <Input.TextArea rows={3} maxLength={4000} />
        </Form.Item>
      </Form>
      <Refusal
        error={error}
        onReload={() => {
          setError(null);
          onReload();
        }}
      />
    </Dialog>
  );
}
