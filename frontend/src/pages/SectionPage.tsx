import { Button, Empty, Result, Spin, Typography } from "antd";
import { useTranslation } from "react-i18next";
import { useLocation, useNavigate, useOutletContext } from "react-router";
import { navFor } from "../shell/nav";
import type { NavEntry } from "../shell/nav";

/** A section of the navigation whose screens come in part 2; unknown paths are a 404. */
export function SectionPage() {
  const { t } = useTranslation();
  const { pathname } = useLocation();
  const navigate = useNavigate();
  const { entries, permissionsLoaded } = useOutletContext<{ entries: NavEntry[]; permissionsLoaded: boolean }>();
  if (!permissionsLoaded) return <Spin />;
  const entry = navFor(pathname, entries);
  if (!entry || entry.path === "/") {
    return (
      <Result
        status="404"
        title={t("notFound.title")}
        extra={
          // A button that navigates (a link inside a button is two nested controls for axe).
          <Button type="primary" onClick={() => navigate("/")}>
            {t("notFound.back")}
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
