import { Alert, Descriptions, Skeleton, Tabs, Typography } from "antd";
import { useTranslation } from "react-i18next";
import { useParams, useSearchParams } from "react-router";
import { useQuery } from "urql";
import { pageError, userError } from "../../api/errors";
import { FirmProfileDocument } from "../../gql/graphql";
import { currentLanguage } from "../../i18n";
import { FieldValue } from "../../ui/FieldValue";
import { formatDate, formatDateTime, formatYuan } from "../../ui/format";
import { GradeBadge } from "./badges";
import {
  BureauTab,
  FinancialsTab,
  LegalCasesTab,
  LoansTab,
  RegistryTab,
  ScoresTab,
  TaxTab,
  TimelineTab,
  WarningsTab,
} from "./FirmTabs";

export const FIRM_TABS = [
  "financials",
  "tax",
  "legal",
  "registry",
  "bureau",
  "scores",
  "warnings",
  "loans",
  "timeline",
] as const;
type FirmTab = (typeof FIRM_TABS)[number];

/** One firm: its basics, its representative (as the field policy lets the user see them),
 * and its evidence, scores, warnings, loans and history in tabs loaded when opened. */
export function FirmProfilePage() {
  const { t } = useTranslation();
  const language = currentLanguage();
  const { id = "" } = useParams();
  const [params, setParams] = useSearchParams();
  const tab: FirmTab = (FIRM_TABS as readonly string[]).includes(params.get("tab") ?? "")
    ? (params.get("tab") as FirmTab)
    : "financials";
  const [{ data, fetching, error }] = useQuery({ query: FirmProfileDocument, variables: { id } });
  const failure = pageError(error);
  const firm = data?.firm;
  if (fetching && !data) return <Skeleton active />;
  if (!firm) {
    return (
      <>
        <Typography.Title level={1} className="firms-title" data-testid="page-title">
          {t("firms.profile.title")}
        </Typography.Title>
        <Alert
          type="error"
          showIcon
          role="alert"
          title={failure ? userError(failure, t).message : t("firms.profile.notFound")}
        />
      </>
    );
  }
  const rep = firm.representative;
  const panes: Record<FirmTab, React.ReactNode> = {
    financials: <FinancialsTab id={firm.id} />,
    tax: <TaxTab id={firm.id} />,
    legal: <LegalCasesTab id={firm.id} />,
    registry: <RegistryTab id={firm.id} />,
    bureau: <BureauTab id={firm.id} />,
    scores: <ScoresTab id={firm.id} />,
    warnings: <WarningsTab id={firm.id} />,
    loans: <LoansTab id={firm.id} />,
    timeline: <TimelineTab id={firm.id} />,
  };
  return (
    <>
      <Typography.Title level={1} className="firms-title" data-testid="page-title">
        {firm.name}
      </Typography.Title>
      {failure ? <Alert type="error" showIcon role="alert" title={userError(failure, t).message} /> : null}
      <section className="firm-section" aria-labelledby="firm-basics">
        <h2 id="firm-basics">{t("firms.profile.basics")}</h2>
        <Descriptions bordered size="small" column={{ xs: 1, sm: 2, lg: 3 }} data-testid="firm-basics">
          <Descriptions.Item label={t("firms.col.uscc")}>
            <span className="mono" data-testid="firm-uscc">{firm.uscc}</span>
          </Descriptions.Item>
          <Descriptions.Item label={t("firms.col.status")}>{firm.statusLabel}</Descriptions.Item>
          <Descriptions.Item label={t("firms.col.grade")}>
            <GradeBadge grade={firm.latestScore?.grade} />
            {firm.latestScore ? (
              <span className="firm-muted">
                {" "}
                {t("firms.profile.scoredOn", { points: firm.latestScore.points, on: formatDateTime(firm.latestScore.computedAt, language) })}
              </span>
            ) : null}
          </Descriptions.Item>
          <Descriptions.Item label={t("firms.col.industry")}>{firm.industryCode}</Descriptions.Item>
          <Descriptions.Item label={t("firms.col.region")}>{firm.regionCode}</Descriptions.Item>
          <Descriptions.Item label={t("firms.col.branch")}>{firm.branchCode}</Descriptions.Item>
          <Descriptions.Item label={t("firms.profile.established")}>{formatDate(firm.establishedOn, language)}</Descriptions.Item>
          <Descriptions.Item label={t("firms.profile.capital")}>{formatYuan(firm.registeredCapital, language)}</Descriptions.Item>
          <Descriptions.Item label={t("firms.profile.employees")}>{firm.employees ?? "—"}</Descriptions.Item>
          <Descriptions.Item label={t("firms.col.openWarnings")}>{firm.openWarningCount ?? "—"}</Descriptions.Item>
        </Descriptions>
      </section>
      <section className="firm-section" aria-labelledby="firm-rep">
        <h2 id="firm-rep">{t("firms.profile.representative")}</h2>
        {rep ? (
          <Descriptions bordered size="small" column={{ xs: 1, sm: 2, lg: 3 }} data-testid="firm-representative">
            <Descriptions.Item label={t("firms.person.name")}>
              <FieldValue type="Person" field="name" value={rep.name} />
            </Descriptions.Item>
            <Descriptions.Item label={t("firms.person.idNumber")}>
              <FieldValue type="Person" field="idNumber" value={rep.idNumber} />
            </Descriptions.Item>
            <Descriptions.Item label={t("firms.person.phone")}>
              <FieldValue type="Person" field="phone" value={rep.phone} />
            </Descriptions.Item>
          </Descriptions>
        ) : (
          <p className="firm-muted">{t("firms.profile.noRepresentative")}</p>
        )}
      </section>
      <section className="firm-section" aria-label={t("firms.profile.evidence")}>
        <Tabs
          className="firm-tabs"
          activeKey={tab}
          onChange={(key) => {
            const next = new URLSearchParams(params);
            next.set("tab", key);
            setParams(next, { replace: true });
          }}
          items={FIRM_TABS.map((key) => ({
            key,
            label: <span data-testid={`tab-${key}`}>{t(`firms.tab.${key}`)}</span>,
            children: tab === key ? panes[key] : null,
          }))}
          data-testid="firm-tabs"
        />
      </section>
    </>
  );
}
