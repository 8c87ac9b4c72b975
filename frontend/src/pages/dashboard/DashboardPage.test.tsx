import { cleanup, render, screen, waitFor } from "@testing-library/react";
import type { Client } from "urql";
import { Provider } from "urql";
import { MemoryRouter } from "react-router";
import { afterEach, describe, expect, it, vi } from "vitest";
import { fromValue, never } from "wonka";
import { SessionProvider } from "../../auth/session";
import i18n from "../../i18n";
import DashboardPage from "./DashboardPage";

// The charts are ECharts on a canvas (the browser test checks them): stand-ins here.
vi.mock("./ClassChart", () => ({ default: () => <div data-testid="class-chart" /> }));
vi.mock("./TrendChart", () => ({ default: () => <div data-testid="trend-chart" /> }));

afterEach(cleanup);

// The first render loads antd and the page: slow on a cold start.
const SLOW = 20_000;

const PORTFOLIO = {
  asOf: "2026-11-30",
  live: true,
  balance: "1234567.50",
  count: 3,
  nplBalance: "100000.00",
  nplRatio: "0.081000",
  classes: [
    { classification: "NORMAL", count: 2, balance: "1134567.50" },
    { classification: "SPECIAL_MENTION", count: 0, balance: "0.00" },
    { classification: "SUBSTANDARD", count: 1, balance: "100000.00" },
    { classification: "DOUBTFUL", count: 0, balance: "0.00" },
    { classification: "LOSS", count: 0, balance: "0.00" },
  ],
  dpdBuckets: [
    { bucket: "CURRENT", minDays: 0, maxDays: 0, count: 2, balance: "1134567.50" },
    { bucket: "DAYS_1_30", minDays: 1, maxDays: 30, count: 0, balance: "0.00" },
    { bucket: "DAYS_31_60", minDays: 31, maxDays: 60, count: 1, balance: "100000.00" },
    { bucket: "DAYS_61_90", minDays: 61, maxDays: 90, count: 0, balance: "0.00" },
    { bucket: "OVER_90", minDays: 91, maxDays: null, count: 0, balance: "0.00" },
  ],
  warningsByLevel: [
    { severity: "RED", count: 5 },
    { severity: "ORANGE", count: 0 },
    { severity: "YELLOW", count: 1 },
    { severity: "BLUE", count: 0 },
  ],
  trend: [{ monthEnd: "2026-10-31", balance: "1000000.00", count: 2, nplRatio: "0" }],
};

function client(operations: string[], denied: string[] = []): { client: Client; asked: string[] } {
  const asked: string[] = [];
  const answers: Record<string, object> = {
    Me: { me: null },
    MyPermissions: {
      myPermissions: {
        roles: [],
        branchCode: "HZ01",
        types: denied.map((d) => ({ typeName: d.split(".")[0], fields: [{ field: d.split(".")[1], access: "DENIED" }] })),
        operations: operations.map((mutation) => ({ mutation, allowed: true })),
      },
    },
    DashboardPortfolio: { portfolio: PORTFOLIO },
    DashboardQueue: {
      approvalQueue: {
        totalCount: 7,
        edges: [
          {
            node: {
              id: "TG9hbkFwcGxpY2F0aW9uOjE=",
              status: "SUBMITTED",
              statusLabel: "已提交",
              amount: "50000.00",
              submittedAt: null,
              firm: { id: "RmlybTox", name: "杭州测试有限公司" },
            },
          },
        ],
      },
    },
    DashboardWarnings: { warnings: { totalCount: 0, edges: [] } },
  };
  const name = (op: { query: { definitions: { name?: { value: string } }[] } }) =>
    op.query.definitions.find((d) => d.name)?.name?.value ?? "";
  const c = {
    executeQuery: (op: { query: { definitions: { name?: { value: string } }[] } }) => {
      const n = name(op);
      asked.push(n);
      return fromValue({ operation: op, data: answers[n] ?? null });
    },
    executeMutation: () => never,
    executeSubscription: () => never,
    query: () => ({ toPromise: () => Promise.resolve({ data: { me: null } }) }),
    mutation: () => ({ toPromise: () => Promise.resolve({ data: {} }) }),
  } as unknown as Client;
  return { client: c, asked };
}

function renderDashboard(c: Client) {
  return render(
    <Provider value={c}>
      <MemoryRouter>
        <SessionProvider>
          <DashboardPage />
        </SessionProvider>
      </MemoryRouter>
    </Provider>,
  );
}

describe("the dashboard", () => {
  it("shows the book's figures as the server gave them", async () => {
    await i18n.changeLanguage("zh-CN");
    const { client: c } = client(["approveApplication"]);
    renderDashboard(c);
    await waitFor(() => expect(screen.getByTestId("kpi-balance").textContent).toContain("1,234,567.50 元"));
    expect(screen.getByTestId("kpi-npl").textContent).toContain("8.1%");
    expect(screen.getByTestId("kpi-count").textContent).toContain("3");
    const dpd = screen.getByTestId("dpd-table");
    expect(dpd.querySelectorAll("tbody tr")).toHaveLength(5);
    expect(dpd.textContent).toContain("31–60 天");
    expect(screen.getByTestId("warning-levels").textContent).toContain("红色5");
  }, SLOW);

  it("shows the approver's queue and no other panel", async () => {
    await i18n.changeLanguage("zh-CN");
    const { client: c, asked } = client(["approveApplication"]);
    renderDashboard(c);
    await waitFor(() => expect(screen.getByTestId("panel-approvals").textContent).toContain("7 笔待您审批"));
    expect(screen.getByTestId("panel-approvals").textContent).toContain("杭州测试有限公司");
    expect(screen.queryByTestId("panel-pipeline")).toBeNull();
    expect(screen.queryByTestId("panel-warnings")).toBeNull();
    expect(asked).not.toContain("DashboardWarnings");
  }, SLOW);

  it("shows risk the open warnings, in English too", async () => {
    await i18n.changeLanguage("en");
    const { client: c } = client(["runWarningScan"]);
    renderDashboard(c);
    await waitFor(() => expect(screen.getByTestId("panel-warnings").textContent).toContain("0 open"));
    expect(screen.getByTestId("panel-warnings").textContent).toContain("No open warnings.");
    expect(screen.getByTestId("kpi-balance").textContent).toContain("¥1,234,567.50");
    await i18n.changeLanguage("zh-CN");
  }, SLOW);

  it("leaves the book out for a user who may not read it", async () => {
    await i18n.changeLanguage("zh-CN");
    const { client: c, asked } = client(["createApplication"], ["Portfolio.balance"]);
    renderDashboard(c);
    await waitFor(() => expect(screen.getByTestId("panel-pipeline")).toBeTruthy());
    expect(screen.queryByTestId("dashboard-kpis")).toBeNull();
    expect(asked).not.toContain("DashboardPortfolio");
  }, SLOW);
});
