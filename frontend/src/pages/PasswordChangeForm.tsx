import { Alert, Button, Form, Input } from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { useMutation } from "urql";
import { businessError, userError } from "../api/errors";
import type { UserError } from "../api/errors";
import { ChangePasswordDocument } from "../gql/graphql";

interface Values {
  currentPassword: string;
  newPassword: string;
  confirm: string;
}

/** Current password (or the temporary one after a reset), the new one twice. */
export function PasswordChangeForm({ onChanged }: { onChanged: () => void }) {
  const { t } = useTranslation();
  const [{ fetching, error }, change] = useMutation(ChangePasswordDocument);
  const [refusal, setRefusal] = useState<UserError | null>(null);
  const shown = error ? userError(error, t) : refusal;
  const [form] = Form.useForm<Values>();
  const submit = async ({ currentPassword, newPassword }: Values) => {
    const answer = (await change({ currentPassword, newPassword })).data?.changePassword;
    if (answer?.__typename === "User") {
      setRefusal(null);
      form.resetFields();
      onChanged();
    } else {
      setRefusal(businessError(answer));
    }
  };
  return (
    <>
      {shown ? (
        <Alert
          type="error"
          showIcon
          role="alert"
          data-testid="form-error"
          title={shown.message}
          style={{ marginBottom: 16 }}
        />
      ) : null}
      <Form form={form} layout="vertical" onFinish={submit} requiredMark={false} name="password">
        <Form.Item
          label={t("password.current")}
          name="currentPassword"
          rules={[{ required: true, message: t("signIn.required") }]}
        >
          <Input.Password autoComplete="current-password" />
        </Form.Item>
        <Form.Item
          label={t("password.new")}
          name="newPassword"
          rules={[{ required: true, message: t("signIn.required") }]}
        >
          <Input.Password autoComplete="new-password" />
        </Form.Item>
        <Form.Item
          label={t("password.confirm")}
          name="confirm"
          dependencies={["newPassword"]}
          rules={[
            { required: true, message: t("signIn.required") },
            ({ getFieldValue }) => ({
              validator: (_, value) =>
                !value || getFieldValue("newPassword") === value
                  ? Promise.resolve()
                  : Promise.reject(new Error(t("password.mismatch"))),
            }),
          ]}
        >
          <Input.Password autoComplete="new-password" />
        </Form.Item>
        <Button type="primary" htmlType="submit" block loading={fetching}>
          {t("password.submit")}
        </Button>
      </Form>
    </>
  );
}
