import { App, Typography } from "antd";
import { useTranslation } from "react-i18next";
import { PasswordChangeForm } from "./PasswordChangeForm";

export function ChangePasswordPage() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  return (
    <div style={{ maxWidth: 420 }}>
      <Typography.Title level={1} style={{ fontSize: 24 }} data-testid="page-title">
        {t("password.title")}
      </Typography.Title>
      <PasswordChangeForm onChanged={() => void message.success(t("password.done"))} />
    </div>
  );
}
