import { Button, Empty, Result, Spin, Typography } from "antd";
import { useTranslation } from "react-i18next";
import { Link, useLocation, useOutletContext } from "react-router";
import { navFor } from "../shell/nav";
import type { NavEntry } from "../shell/nav";

/** A section of the navigation whose screens come in part 2; unknown paths are a 404. */
export function SectionPage() {
  const { t } = useTranslation();
  const { pathname } = useLocation();
  const { entries, permissionsLoaded } = useOutletContext<{ entries: NavEntry[]; permissionsLoaded: boolean }>();
  if (!permissionsLoaded) return <Spin />;
  const entry = navFor(pathname, entries);
  if (!entry || entry.path === "/") {
    return (
      <Result
        status="404"
        title={t("notFound.title")}
        extra={
          <Button type="primary">
            <Link to="/">{t("notFound.back")}</Link>
          </Button>
        }
      />
    );
  }
  return (
    <>
      <Typography.Title level={1} style={{ fontSize: 24 }} data-testid="page-title">
        {t(entry.labelKey)}
      </Typography.Title>
      <Empty description={t("section.comingSoon")} />
    </>
  );
}
