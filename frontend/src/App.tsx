import { App as AntdApp, ConfigProvider, Spin } from "antd";
import enUS from "antd/locale/en_US";
import zhCN from "antd/locale/zh_CN";
import { Suspense, lazy, useCallback, useMemo, useState } from "react";
import type { ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { BrowserRouter, Navigate, Route, Routes, useLocation } from "react-router";
import { Provider } from "urql";
import { makeClient } from "./api/client";
import { SessionProvider, announceSessionEnded, useSession } from "./auth/session";
import { currentLanguage } from "./i18n";
// Route-level code splitting: the sign-in steps, the shell and each page are chunks of their
// own; the dashboard's chart (ECharts) loads only when it is shown.
const SignInPage = lazy(() => import("./pages/SignInPage").then((m) => ({ default: m.SignInPage })));
const Shell = lazy(() => import("./shell/Shell").then((m) => ({ default: m.Shell })));
const DashboardPage = lazy(() => import("./pages/DashboardPage"));
const SectionPage = lazy(() => import("./pages/SectionPage").then((m) => ({ default: m.SectionPage })));
// One chunk per screen area; each area owns its routes below its path.
const FirmsRoutes = lazy(() => import("./pages/firms/FirmsRoutes"));
const ApplicationsRoutes = lazy(() => import("./pages/applications/ApplicationsRoutes"));
const LoansRoutes = lazy(() => import("./pages/loans/LoansRoutes"));
const WarningsRoutes = lazy(() => import("./pages/warnings/WarningsRoutes"));
const AREAS = [
  { path: "firms/*", Area: FirmsRoutes },
  // The approval queue is an applications screen under a path of its own.
  { path: "applications/*", Area: ApplicationsRoutes },
  { path: "approvals/*", Area: ApplicationsRoutes },
  { path: "loans/*", Area: LoansRoutes },
  { path: "warnings/*", Area: WarningsRoutes },
] as const;
const ChangePasswordPage = lazy(() =>
  import("./pages/ChangePasswordPage").then((m) => ({ default: m.ChangePasswordPage })),
);

function Loading() {
  const { t } = useTranslation();
  return (
    <div className="page-loading" role="status" aria-live="polite">
      <Spin />
      <span className="visually-hidden">{t("shell.loading")}</span>
    </div>
  );
}

/** Signed-in routes: anyone else goes to the sign-in page (and comes back after). */
function RequireSession({ children }: { children: ReactNode }) {
  const session = useSession();
  const location = useLocation();
  if (session.status === "loading") return <Loading />;
  if (session.status !== "signedIn") {
    return <Navigate to="/signin" replace state={{ from: location.pathname + location.search }} />;
  }
  return children;
}

export function AppRoutes() {
  return (
    <Suspense fallback={<Loading />}>
    <Routes>
      <Route path="/signin" element={<SignInPage />} />
      <Route
        element={
          <RequireSession>
            <Shell />
          </RequireSession>
        }
      >
        <Route
          index
          element={
            <Suspense fallback={<Loading />}>
              <DashboardPage />
            </Suspense>
          }
        />
        <Route
          path="account/password"
          element={
            <Suspense fallback={<Loading />}>
              <ChangePasswordPage />
            </Suspense>
          }
        />
        {AREAS.map(({ path, Area }) => (
          <Route
            key={path}
            path={path}
            element={
              <Suspense fallback={<Loading />}>
                <Area />
              </Suspense>
            }
          />
        ))}
        <Route
          path=":section/*"
          element={
            <Suspense fallback={<Loading />}>
              <SectionPage />
            </Suspense>
          }
        />
      </Route>
    </Routes>
    </Suspense>
  );
}

/** Ant Design's static stylesheet (zero runtime) with colours that meet WCAG AA contrast
 * (the default blue and secondary grey fall just short of 4.5:1 on white). */
const THEME = {
  zeroRuntime: true,
  token: {
    colorPrimary: "#0958d9",
    colorLink: "#0958d9",
    colorTextSecondary: "rgba(0, 0, 0, 0.65)",
    colorTextDescription: "rgba(0, 0, 0, 0.65)",
    colorTextPlaceholder: "rgba(0, 0, 0, 0.55)",
  },
} as const;

/** The style nonce the platform put in the page (its CSP allows only those <style>s). */
export function styleNonce(): string | undefined {
  const value = document.querySelector('meta[name="csp-nonce"]')?.getAttribute("content");
  return value && value !== "__CSP_NONCE__" ? value : undefined;
}

const nonce = typeof document === "undefined" ? undefined : styleNonce();

export function App() {
  const { i18n } = useTranslation();
  const language = currentLanguage();
  // A new client (an empty cache) per language, whose cached answers hold the API's texts
  // in the old one, and per session: nothing one user read is shown to the next.
  const [generation, setGeneration] = useState(0);
  const client = useMemo(
    () => makeClient(language, announceSessionEnded),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [language, generation],
  );
  const sessionChanged = useCallback(() => setGeneration((g) => g + 1), []);
  return (
    <ConfigProvider
      locale={i18n.language === "en" ? enUS : zhCN}
      theme={THEME}
      csp={nonce ? { nonce } : undefined}
    >
      <AntdApp>
        <Provider value={client}>
          <BrowserRouter>
            <SessionProvider onChange={sessionChanged}>
              <AppRoutes />
            </SessionProvider>
          </BrowserRouter>
        </Provider>
      </AntdApp>
    </ConfigProvider>
  );
}
