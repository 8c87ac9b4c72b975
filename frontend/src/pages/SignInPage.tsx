import { Alert, Button, Card, Form, Input, Space, Typography } from "antd";
import { QRCodeSVG } from "qrcode.react";
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { Navigate, useLocation, useNavigate } from "react-router";
import { useMutation } from "urql";
import type { CombinedError } from "urql";
import { businessError, userError } from "../api/errors";
import type { UserError } from "../api/errors";
import { useSession } from "../auth/session";
import {
  ConfirmTotpDocument,
  EnrollTotpDocument,
  SignInDocument,
  UseRecoveryCodeDocument,
  VerifyTotpDocument,
} from "../gql/graphql";
import type { SessionUserFragment } from "../gql/graphql";
import { LanguageSwitch } from "../LanguageSwitch";
import { PasswordChangeForm } from "./PasswordChangeForm";

type Step =
  | { kind: "password" }
  | { kind: "totp"; passwordChange: boolean }
  | { kind: "recovery"; passwordChange: boolean }
  | { kind: "enrol"; passwordChange: boolean }
  | { kind: "codes"; codes: string[]; passwordChange: boolean }
  | { kind: "passwordChange" };

/** A refusal: a GraphQL error (network, not signed in) or the typed error a mutation's
 * result union answered; both carry the API's message in the chosen language. */
function ErrorAlert({
  error,
  refusal = null,
}: {
  error: CombinedError | undefined;
  refusal?: UserError | null;
}) {
  const { t } = useTranslation();
  const shown = error ? userError(error, t) : refusal;
  if (!shown) return null;
  return (
    <Alert
      type="error"
      showIcon
      role="alert"
      data-testid="form-error"
      title={shown.message}
      style={{ marginBottom: 16 }}
    />
  );
}

function PasswordStep({ onDone }: { onDone: (next: Step | SessionUserFragment) => void }) {
  const { t } = useTranslation();
  const [{ fetching, error }, signIn] = useMutation(SignInDocument);
  const [refusal, setRefusal] = useState<UserError | null>(null);
  const submit = async (values: { username: string; password: string }) => {
    const result = await signIn(values);
    const outcome = result.data?.signIn;
    if (!outcome) return;
    if (outcome.__typename !== "SignInPayload") {
      setRefusal(businessError(outcome));
      return;
    }
    setRefusal(null);
    if (outcome.user) onDone(outcome.user);
    else if (outcome.mfaRequired) onDone({ kind: "totp", passwordChange: outcome.passwordChangeRequired });
    else if (outcome.mfaEnrollmentRequired) onDone({ kind: "enrol", passwordChange: outcome.passwordChangeRequired });
    else if (outcome.passwordChangeRequired) onDone({ kind: "passwordChange" });
  };
  return (
    <>
      <Typography.Title level={1}>{t("signIn.title")}</Typography.Title>
      <Typography.Paragraph type="secondary">{t("signIn.subtitle")}</Typography.Paragraph>
      <ErrorAlert error={error} refusal={refusal} />
      <Form layout="vertical" onFinish={submit} requiredMark={false} name="signin">
        <Form.Item
          label={t("signIn.username")}
          name="username"
          rules={[{ required: true, message: t("signIn.required") }]}
        >
          <Input autoComplete="username" autoFocus />
        </Form.Item>
        <Form.Item
          label={t("signIn.password")}
          name="password"
          rules={[{ required: true, message: t("signIn.required") }]}
        >
          <Input.Password autoComplete="current-password" />
        </Form.Item>
        <Button type="primary" htmlType="submit" block loading={fetching}>
          {t("signIn.submit")}
        </Button>
      </Form>
    </>
  );
}

function SecondFactorStep({
  recovery,
  onSwitch,
  onVerified,
}: {
  recovery: boolean;
  onSwitch: () => void;
  onVerified: (user: SessionUserFragment) => void;
}) {
  const { t } = useTranslation();
  const [totp, verifyTotp] = useMutation(VerifyTotpDocument);
  const [rec, useRecovery] = useMutation(UseRecoveryCodeDocument);
  const [refusal, setRefusal] = useState<UserError | null>(null);
  const submit = async ({ code }: { code: string }) => {
    if (recovery) {
      const answer = (await useRecovery({ code: code.trim() })).data?.useRecoveryCode;
      if (answer?.__typename === "RecoveryCodePayload") onVerified(answer.user);
      else setRefusal(businessError(answer));
    } else {
      const answer = (await verifyTotp({ code: code.replace(/\s+/g, "") })).data?.verifyTotp;
      if (answer?.__typename === "User") onVerified(answer);
      else setRefusal(businessError(answer));
    }
  };
  const state = recovery ? rec : totp;
  return (
    <>
      <Typography.Title level={1}>{t("mfa.title")}</Typography.Title>
      <Typography.Paragraph type="secondary">
        {recovery ? t("mfa.recoveryHint") : t("mfa.hint")}
      </Typography.Paragraph>
      <ErrorAlert error={state.error} refusal={refusal} />
      <Form layout="vertical" onFinish={submit} requiredMark={false} key={recovery ? "r" : "t"} name="mfa">
        <Form.Item
          label={recovery ? t("mfa.recoveryCode") : t("mfa.code")}
          name="code"
          rules={[{ required: true, message: t("signIn.required") }]}
        >
          <Input
            autoComplete="one-time-code"
            inputMode={recovery ? "text" : "numeric"}
            autoFocus
          />
        </Form.Item>
        <Space direction="vertical" style={{ width: "100%" }}>
          <Button type="primary" htmlType="submit" block loading={state.fetching}>
            {t("mfa.verify")}
          </Button>
          <Button type="link" block onClick={onSwitch}>
            {recovery ? t("mfa.useTotp") : t("mfa.useRecovery")}
          </Button>
        </Space>
      </Form>
    </>
  );
}

function EnrolStep({ onConfirmed }: { onConfirmed: (codes: string[]) => void }) {
  const { t } = useTranslation();
  const [enrolment, enrol] = useMutation(EnrollTotpDocument);
  const [confirm, confirmTotp] = useMutation(ConfirmTotpDocument);
  useEffect(() => {
    void enrol({});
  }, [enrol]);
  const [refusal, setRefusal] = useState<UserError | null>(null);
  const enrolled = enrolment.data?.enrollTotp;
  const data = enrolled?.__typename === "TotpEnrollment" ? enrolled : null;
  const submit = async ({ code }: { code: string }) => {
    const answer = (await confirmTotp({ code: code.replace(/\s+/g, "") })).data?.confirmTotp;
    if (answer?.__typename === "RecoveryCodes") onConfirmed(answer.codes);
    else setRefusal(businessError(answer));
  };
  return (
    <>
      <Typography.Title level={1}>{t("enrol.title")}</Typography.Title>
      <Typography.Paragraph type="secondary">{t("enrol.hint")}</Typography.Paragraph>
      <ErrorAlert
        error={enrolment.error ?? confirm.error}
        refusal={refusal ?? (data ? null : businessError(enrolled))}
      />
      {data ? (
        <>
          <div className="qr-box" data-testid="totp-qr">
            <QRCodeSVG value={data.otpauthUri} size={192} title={t("enrol.qrLabel")} role="img" />
          </div>
          <Typography.Paragraph>
            {t("enrol.secret")}{" "}
            <Typography.Text code copyable className="secret" data-testid="totp-secret">
              {data.secret}
            </Typography.Text>
          </Typography.Paragraph>
          <Form layout="vertical" onFinish={submit} requiredMark={false} name="enrol">
            <Form.Item
              label={t("mfa.code")}
              name="code"
              rules={[{ required: true, message: t("signIn.required") }]}
            >
              <Input autoComplete="one-time-code" inputMode="numeric" />
            </Form.Item>
            <Button type="primary" htmlType="submit" block loading={confirm.fetching}>
              {t("enrol.confirm")}
            </Button>
          </Form>
        </>
      ) : (
        <Typography.Paragraph role="status">{t("enrol.loading")}</Typography.Paragraph>
      )}
    </>
  );
}

function CodesStep({ codes, onContinue }: { codes: string[]; onContinue: () => void }) {
  const { t } = useTranslation();
  return (
    <>
      <Typography.Title level={1}>{t("recovery.title")}</Typography.Title>
      <Alert type="warning" showIcon title={t("recovery.hint")} style={{ marginBottom: 16 }} />
      <ol className="recovery-codes" data-testid="recovery-codes">
        {codes.map((code) => (
          <li key={code}>{code}</li>
        ))}
      </ol>
      <Button type="primary" block onClick={onContinue}>
        {t("recovery.saved")}
      </Button>
    </>
  );
}

/** Sign-in: password, then whatever the API says is owed (second factor, enrolment,
 * a password change), each as its own step. */
export function SignInPage() {
  const { t } = useTranslation();
  const session = useSession();
  const navigate = useNavigate();
  const location = useLocation();
  const from = (location.state as { from?: string } | null)?.from ?? "/";
  const [step, setStep] = useState<Step>({ kind: "password" });

  if (session.status === "signedIn" && step.kind === "password") {
    return <Navigate to={from} replace />;
  }
  const finish = (user: SessionUserFragment) => {
    session.signedIn(user);
    navigate(from, { replace: true });
  };
  const complete = async (passwordChange: boolean) => {
    if (passwordChange) {
      setStep({ kind: "passwordChange" });
      return;
    }
    const me = await session.refresh();
    if (me) navigate(from, { replace: true });
    else setStep({ kind: "password" });
  };

  let body;
  switch (step.kind) {
    case "password":
      body = (
        <PasswordStep
          onDone={(next) => ("kind" in next ? setStep(next) : finish(next))}
        />
      );
      break;
    case "totp":
    case "recovery":
      body = (
        <SecondFactorStep
          recovery={step.kind === "recovery"}
          onSwitch={() =>
            setStep({ kind: step.kind === "totp" ? "recovery" : "totp", passwordChange: step.passwordChange })
          }
          onVerified={(user) =>
            user.mustChangePassword || step.passwordChange ? setStep({ kind: "passwordChange" }) : finish(user)
          }
        />
      );
      break;
    case "enrol":
      body = (
        <EnrolStep
          onConfirmed={(codes) => setStep({ kind: "codes", codes, passwordChange: step.passwordChange })}
        />
      );
      break;
    case "codes":
      body = <CodesStep codes={step.codes} onContinue={() => void complete(step.passwordChange)} />;
      break;
    case "passwordChange":
      body = (
        <>
          <Typography.Title level={1}>{t("password.title")}</Typography.Title>
          <Alert type="info" showIcon title={t("password.forced")} style={{ marginBottom: 16 }} />
          <PasswordChangeForm onChanged={() => void complete(false)} />
        </>
      );
      break;
  }

  return (
    <div className="signin-page">
      <div className="signin-top">
        <LanguageSwitch />
      </div>
      <main className="signin-card" id="main">
        <Card>
          <Typography.Text type="secondary">{t("app.name")}</Typography.Text>
          {step.kind === "password" && session.notice ? (
            <Alert
              type="info"
              showIcon
              role="status"
              data-testid="signin-notice"
              title={session.notice === "expired" ? t("signIn.expired") : t("signIn.signedOut")}
              style={{ margin: "12px 0" }}
            />
          ) : null}
          {body}
        </Card>
      </main>
    </div>
  );
}
