import { Card, Col, Row, Skeleton, Statistic, Typography } from "antd";
import { Suspense, lazy } from "react";
import { useTranslation } from "react-i18next";
import { useQuery } from "urql";
import { useSession } from "../auth/session";
import { DashboardClassesDocument } from "../gql/graphql";
import { currentLanguage } from "../i18n";

// ECharts is large: it loads only when the chart is shown.
const ClassChart = lazy(() => import("./ClassChart"));

export const CLASSES = ["normal", "specialMention", "substandard", "doubtful", "loss"] as const;
const CLASS_KEYS = ["NORMAL", "SPECIAL_MENTION", "SUBSTANDARD", "DOUBTFUL", "LOSS"] as const;

export default function DashboardPage() {
  const { t } = useTranslation();
  const session = useSession();
  const [{ data, fetching }] = useQuery({ query: DashboardClassesDocument });
  const counts = CLASSES.map((c) => data?.[c].totalCount ?? 0);
  const labels = CLASS_KEYS.map((k) => t(`class.${k}`));
  return (
    <>
      <Typography.Title level={1} style={{ fontSize: 24 }} data-testid="page-title">
        {t("dashboard.title")}
      </Typography.Title>
      <Typography.Paragraph>{t("dashboard.intro", { name: session.user?.displayName ?? "" })}</Typography.Paragraph>
      <Row gutter={[16, 16]}>
        <Col xs={24} md={8}>
          <Card>
            <Statistic title={t("dashboard.loans")} value={data?.all.totalCount ?? 0} loading={fetching && !data} />
          </Card>
        </Col>
        <Col xs={24} md={16}>
          <Card title={<h2 style={{ fontSize: 16, margin: 0 }}>{t("dashboard.classes")}</h2>}>
            <figure
              className="chart-figure"
              aria-label={`${t("dashboard.classes")}: ${labels.map((l, i) => `${l} ${counts[i]}`).join(", ")}`}
            >
              <Suspense fallback={<Skeleton active />}>
                {data ? (
                  // Re-created on a language switch: the ECharts locale is fixed at creation.
                  <ClassChart key={currentLanguage()} labels={labels} counts={counts} language={currentLanguage()} />
                ) : (
                  <Skeleton active />
                )}
              </Suspense>
            </figure>
          </Card>
        </Col>
      </Row>
    </>
  );
}
