import { Button, Form, Input, Select, Typography } from "antd";
import { useMemo, useState } from "react";
import { useTranslation } from "react-i18next";
import { useNavigate, useSearchParams } from "react-router";
import { useMutation, useQuery } from "urql";
import { businessError, userError } from "../../api/errors";
import type { UserError } from "../../api/errors";
import {
  ApplicationFirmDocument,
  ApplicationFirmSearchDocument,
  ApplicationProductsDocument,
  CreateApplicationDocument,
} from "../../gql/graphql";
import type { GuaranteeType, RepaymentMethod } from "../../gql/graphql";
import { currentLanguage } from "../../i18n";
import type { Language } from "../../i18n";
import { formatYuan } from "../../ui/format";
import { Refusal } from "../../ui/Refusal";
import { amountForApi, checkTerms, fractionToPercent, percentToFraction } from "./limits";
import type { TermsField, TermsProblem } from "./limits";

const GUARANTEES: GuaranteeType[] = ["CREDIT", "GUARANTEE", "MORTGAGE", "PLEDGE"];

interface FormState {
  firmId: string;
  productCode: string;
  amount: string;
  termMonths: string;
  ratePercent: string;
  method: string;
  guarantee: GuaranteeType;
  purpose: string;
}

/** The text of a terms problem in the user's language. */
export function problemText(
  problem: TermsProblem,
  t: (key: string, options?: Record<string, unknown>) => string,
  language: Language,
): string {
  const shown = (value: string | undefined) =>
    value === undefined
      ? value
      : problem.field === "amount"
        ? formatYuan(value, language)
        : problem.field === "annualRate"
          ? `${value}%`
          : value;
  return t(`applications.problem.${problem.code}`, { min: shown(problem.min), max: shown(problem.max) });
}

/** Draft a credit application: a firm (searched by name, or given as `?firm=<id>`), a
 * product, and terms checked against the product before the server checks them again. */
export function NewApplicationPage() {
  const { t } = useTranslation();
  const language = currentLanguage();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const preset = params.get("firm") ?? "";
  const [form, setForm] = useState<FormState>({
    firmId: preset,
    productCode: "",
    amount: "",
    termMonths: "",
    ratePercent: "",
    method: "",
    guarantee: "CREDIT",
    purpose: "",
  });
  const [search, setSearch] = useState("");
  const [tried, setTried] = useState(false);
  const [refusal, setRefusal] = useState<UserError | null>(null);
  const [{ data: products }] = useQuery({ query: ApplicationProductsDocument });
  const [{ data: found, fetching: searching }] = useQuery({
    query: ApplicationFirmSearchDocument,
    variables: { name: search },
    pause: search.trim().length === 0,
  });
  const [{ data: presetFirm }] = useQuery({
    query: ApplicationFirmDocument,
    variables: { id: preset },
    pause: !preset,
  });
  const [{ fetching: creating }, create] = useMutation(CreateApplicationDocument);

  const product = products?.products.find((p) => p.code === form.productCode);
  const firmOptions = useMemo(() => {
    const options = (found?.firms.edges ?? []).map((e) => ({ value: e.node.id, label: e.node.name }));
    const chosen = presetFirm?.firm;
    if (chosen && !options.some((o) => o.value === chosen.id)) options.unshift({ value: chosen.id, label: chosen.name });
    return options;
  }, [found, presetFirm]);

  const problems = product
    ? checkTerms(product, {
        amount: form.amount,
        termMonths: form.termMonths,
        ratePercent: form.ratePercent,
        method: form.method,
      })
    : [];
  const problemOf = (field: TermsField) => problems.find((p) => p.field === field);
  const shown = (field: TermsField) => {
    const problem = problemOf(field);
    // what is not yet typed is not an error until the user tries to create
    if (!problem || (!tried && problem.code === "required")) return {};
    return { validateStatus: "error" as const, help: problemText(problem, t, language) };
  };
  const set = (patch: Partial<FormState>) => setForm((f) => ({ ...f, ...patch }));

  async function submit() {
    setTried(true);
    setRefusal(null);
    if (!form.firmId || !product || problems.length > 0) return;
    const result = await create({
      input: {
        firmId: form.firmId,
        productCode: product.code,
        amount: amountForApi(form.amount),
        termMonths: Number(form.termMonths),
        annualRate: percentToFraction(form.ratePercent) ?? form.ratePercent,
        repaymentMethod: form.method as RepaymentMethod,
        guaranteeType: form.guarantee,
        purpose: form.purpose,
      },
    });
    if (result.error) {
      setRefusal(userError(result.error, t));
      return;
    }
    const answer = result.data?.createApplication;
    if (answer?.__typename === "LoanApplication") {
      navigate(`/applications/${encodeURIComponent(answer.id)}`);
      return;
    }
    setRefusal(businessError(answer));
  }

  return (
    <>
      <Typography.Title level={1} style={{ fontSize: 24 }} data-testid="page-title">
        {t("applications.newTitle")}
      </Typography.Title>
      <Form
        id="new-application"
        layout="vertical"
        className="apps-form"
        onFinish={() => void submit()}
        requiredMark={false}
      >
        <Form.Item
          label={t("applications.form.firm")}
          htmlFor="app-firm"
          validateStatus={tried && !form.firmId ? "error" : undefined}
          help={tried && !form.firmId ? t("applications.form.firmRequired") : undefined}
        >
          <Select
            id="app-firm"
            showSearch={{ filterOption: false, onSearch: setSearch }}
            value={form.firmId || undefined}
            placeholder={t("applications.form.firmPlaceholder")}
            options={firmOptions}
            loading={searching}
            onChange={(value: string) => set({ firmId: value })}
            notFoundContent={null}
            data-testid="firm-picker"
          />
        </Form.Item>
        <Form.Item
          label={t("applications.form.product")}
          htmlFor="app-product"
          validateStatus={tried && !product ? "error" : undefined}
          help={
            tried && !product
              ? t("applications.form.productRequired")
              : product
                ? t("applications.form.productTerms", {
                    amountMin: formatYuan(product.amountMin, language),
                    amountMax: formatYuan(product.amountMax, language),
                    termMin: product.termMonthsMin,
                    termMax: product.termMonthsMax,
                    rateMin: fractionToPercent(product.rateMin),
                    rateMax: fractionToPercent(product.rateMax),
                  })
                : undefined
          }
        >
          <Select
            id="app-product"
            value={form.productCode || undefined}
            placeholder={t("applications.form.productPlaceholder")}
            options={(products?.products ?? []).map((p) => ({ value: p.code, label: p.name }))}
            onChange={(value: string) =>
              // the product's first repayment method is the usual one
              set({ productCode: value, method: products?.products.find((p) => p.code === value)?.methods[0] ?? "" })
            }
          />
        </Form.Item>
        <Form.Item label={t("applications.form.amount")} htmlFor="app-amount" {...shown("amount")}>
          <Input
            id="app-amount"
            inputMode="decimal"
            value={form.amount}
            onChange={(e) => set({ amount: e.target.value })}
          />
        </Form.Item>
        <Form.Item label={t("applications.form.termMonths")} htmlFor="app-term" {...shown("termMonths")}>
          <Input
            id="app-term"
            inputMode="numeric"
            value={form.termMonths}
            onChange={(e) => set({ termMonths: e.target.value })}
          />
        </Form.Item>
        <Form.Item label={t("applications.form.ratePercent")} htmlFor="app-rate" {...shown("annualRate")}>
          <Input
            id="app-rate"
            inputMode="decimal"
            value={form.ratePercent}
            onChange={(e) => set({ ratePercent: e.target.value })}
          />
        </Form.Item>
        <Form.Item label={t("applications.form.method")} htmlFor="app-method" {...shown("repaymentMethod")}>
          <Select
            id="app-method"
            value={form.method || undefined}
            options={(product?.methods ?? []).map((m, i) => ({ value: m, label: product?.methodLabels[i] ?? m }))}
            onChange={(value: string) => set({ method: value })}
          />
        </Form.Item>
        <Form.Item label={t("applications.form.guarantee")} htmlFor="app-guarantee">
          <Select
            id="app-guarantee"
            value={form.guarantee}
            options={GUARANTEES.map((g) => ({ value: g, label: t(`applications.guarantee.${g}`) }))}
            onChange={(value: GuaranteeType) => set({ guarantee: value })}
          />
        </Form.Item>
        <Form.Item label={t("applications.form.purpose")} htmlFor="app-purpose">
          <Input.TextArea
            id="app-purpose"
            rows={3}
            maxLength={500}
            value={form.purpose}
            onChange={(e) => set({ purpose: e.target.value })}
          />
        </Form.Item>
        <Refusal error={refusal} />
        <Form.Item style={{ marginTop: 16 }}>
          <Button type="primary" htmlType="submit" loading={creating} data-testid="create-application">
            {t("applications.form.create")}
          </Button>
        </Form.Item>
      </Form>
    </>
  );
}
