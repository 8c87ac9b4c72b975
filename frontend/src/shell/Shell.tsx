import { DownOutlined, MenuOutlined, UserOutlined } from "@ant-design/icons";
import { Alert, Breadcrumb, Button, Drawer, Dropdown, Grid, Layout, Menu, Spin } from "antd";
import type { MenuProps } from "antd";
import { useMemo, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, Outlet, useLocation, useNavigate } from "react-router";
import { useQuery } from "urql";
import { userError } from "../api/errors";
import { useSession } from "../auth/session";
import { MyPermissionsDocument } from "../gql/graphql";
import { LanguageSwitch } from "../LanguageSwitch";
import { overlays } from "../ui/overlays";
import { FirmSearch } from "./FirmSearch";
import { WarningBell } from "./WarningBell";
import { navFor, visibleNav } from "./nav";
import type { NavEntry } from "./nav";

function NavMenu({ entries, selected, onNavigate }: { entries: NavEntry[]; selected: string | null; onNavigate?: () => void }) {
  const { t } = useTranslation();
  const items: MenuProps["items"] = entries.map((entry) => ({
    key: entry.key,
    label: (
      <Link to={entry.path} onClick={onNavigate} data-nav={entry.key}>
        {t(entry.labelKey)}
      </Link>
    ),
  }));
  return <Menu mode="inline" items={items} selectedKeys={selected ? [selected] : []} />;
}

function Crumbs({ entries }: { entries: NavEntry[] }) {
  const { t } = useTranslation();
  const { pathname } = useLocation();
  const entry = navFor(pathname, entries);
  const items: { title: React.ReactNode }[] = [{ title: <Link to="/">{t("breadcrumb.home")}</Link> }];
  if (entry && entry.path !== "/") {
    items.push({ title: <Link to={entry.path}>{t(entry.labelKey)}</Link> });
    const rest = pathname.slice(entry.path.length).split("/").filter(Boolean);
    for (const part of rest) items.push({ title: t("section.item", { id: decodeURIComponent(part) }) });
  } else if (pathname === "/account/password") {
    items.push({ title: t("nav.account") }, { title: t("nav.password") });
  }
  return <Breadcrumb items={items} aria-label={t("breadcrumb.label")} style={{ marginBottom: 12 }} />;
}

/** The signed-in frame: navigation from `myPermissions`, breadcrumbs, the user menu. */
export function Shell() {
  const { t } = useTranslation();
  const session = useSession();
  const navigate = useNavigate();
  const { pathname } = useLocation();
  const screens = Grid.useBreakpoint();
  const wide = screens.lg ?? true;
  const [drawer, setDrawer] = useState(false);
  const [{ data, error, fetching }] = useQuery({ query: MyPermissionsDocument });
  const entries = useMemo(() => visibleNav(data?.myPermissions), [data]);
  const selected = navFor(pathname, entries)?.key ?? null;

  const userItems: MenuProps["items"] = [
    { key: "password", label: t("shell.changePassword") },
    { type: "divider" },
    { key: "signout", label: t("shell.signOut"), danger: true },
  ];
  const onUserMenu: MenuProps["onClick"] = async ({ key }) => {
    if (key === "password") navigate("/account/password");
    if (key === "signout") {
      await session.signOut();
      navigate("/signin", { replace: true });
    }
  };
  const user = session.user;
  const menu = fetching && !data ? <Spin style={{ margin: 24 }} /> : <NavMenu entries={entries} selected={selected} onNavigate={() => setDrawer(false)} />;

  return (
    <Layout className="shell">
      <div id="overlays" />
      <a className="skip-link" href="#main">
        {t("app.skipToContent")}
      </a>
      <Layout.Header className="shell-header">
        {!wide ? (
          <Button
            type="text"
            aria-label={t("shell.menu")}
            icon={<MenuOutlined style={{ color: "#fff" }} />}
            onClick={() => setDrawer(true)}
          />
        ) : null}
        <p className="shell-brand">{wide ? t("app.name") : t("app.shortName")}</p>
        <FirmSearch />
        <WarningBell />
        <LanguageSwitch />
        <Dropdown menu={{ items: userItems, onClick: onUserMenu }} trigger={["click"]}>
          <Button aria-label={t("shell.userMenu")} data-testid="user-menu" icon={<UserOutlined />}>
            {wide ? user?.displayName : null} <DownOutlined />
          </Button>
        </Dropdown>
      </Layout.Header>
      <Layout>
        {wide ? (
          <Layout.Sider width={220} theme="light" aria-label={t("shell.menu")}>
            <nav aria-label={t("shell.menu")} data-testid="nav">
              {menu}
            </nav>
          </Layout.Sider>
        ) : (
          <Drawer
            open={drawer}
            onClose={() => setDrawer(false)}
            placement="left"
            size={260}
            getContainer={overlays}
            title={t("shell.menu")}
          >
            <nav aria-label={t("shell.menu")} data-testid="nav">
              {menu}
            </nav>
          </Drawer>
        )}
        <Layout.Content className="shell-content">
          <Crumbs entries={entries} />
          {error ? <Alert type="error" showIcon role="alert" title={userError(error, t).message} /> : null}
          <main className="shell-main" id="main" tabIndex={-1}>
            <Outlet context={{ entries, permissionsLoaded: !!data }} />
          </main>
        </Layout.Content>
      </Layout>
    </Layout>
  );
}
