import { act, cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { App } from "antd";
import { MemoryRouter, Route, Routes } from "react-router";
import type { Client } from "urql";
import { Provider } from "urql";
import { afterEach, describe, expect, it } from "vitest";
import { fromValue, never } from "wonka";
import i18n from "../../i18n";
import { WarningDetailPage, stepsFor } from "./WarningDetailPage";

afterEach(cleanup);

const WARNING = {
  id: "W1",
  ruleCode: "LOAN_DPD",
  ruleName: "本行贷款逾期天数",
  severity: "RED",
  severityLabel: "红色",
  status: "OPEN",
  statusLabel: "待处理",
  message: "逾期 120 天",
  assignee: null,
  openedAt: "2026-12-04T08:00:00Z",
  updatedAt: "2026-12-04T08:00:00Z",
  version: 3,
  firm: { id: "F1", name: "杭州某公司", branchCode: "HZ01" },
  observedValue: 120,
  threshold: 90,
  resolutionNote: null,
  acknowledgedAt: null,
  resolvedAt: null,
  loan: null,
  evidence: [
    {
      __typename: "RepaymentHistory",
      id: "R1",
      loanRef: "L-1",
      dueDate: "2026-08-01",
      paidDate: null,
      amountDue: "12000.00",
      amountPaid: "0.00",
      daysPastDue: 120,
      source: "core",
    },
  ],
  history: { edges: [{ node: { kind: "OPENED", kindLabel: "新发", actor: "system", note: null, at: "2026-12-04T08:00:00Z", fromStatus: null, toStatus: "OPEN" } }] },
  comments: { edges: [] },
};

function clientFor(allowed: string[], answer: object) {
  const sent: { name: string; variables: Record<string, unknown> }[] = [];
  const client = {
    executeQuery: (op: { query: { definitions: { name?: { value: string } }[] } }) => {
      const name = op.query.definitions[0]?.name?.value;
      if (name === "MyPermissions") {
        return fromValue({
          data: {
            myPermissions: {
              roles: [],
              branchCode: "HQ",
              types: [],
              operations: allowed.map((mutation) => ({ mutation, allowed: true })),
            },
          },
        });
      }
      if (name === "WarningDetail") return fromValue({ data: { warning: WARNING } });
      return never;
    },
    executeMutation: (op: { query: { definitions: { name?: { value: string } }[] }; variables: Record<string, unknown> }) => {
      sent.push({ name: op.query.definitions[0]?.name?.value ?? "", variables: op.variables });
      return fromValue(answer);
    },
    executeSubscription: () => never,
  } as unknown as Client;
  return { client, sent };
}

function renderPage(client: Client) {
  return render(
    <Provider value={client}>
      <App>
        <MemoryRouter initialEntries={["/warnings/W1"]}>
          <Routes>
            <Route path="/warnings/:id" element={<WarningDetailPage />} />
          </Routes>
        </MemoryRouter>
      </App>
    </Provider>,
  );
}

describe("the warning screen", () => {
  it("offers only the steps the user may take and the status allows", async () => {
    await i18n.changeLanguage("zh-CN");
    const { client } = clientFor(["commentWarning", "resolveWarning"], {});
    renderPage(client);
    await screen.findByTestId("warning-actions");
    expect(screen.queryByTestId("action-acknowledge")).toBeNull();
    expect(screen.getByTestId("action-comment")).toBeTruthy();
    expect(screen.getByTestId("action-resolve")).toBeTruthy();
    expect(screen.getByTestId("evidence-table").textContent).toContain("12,000.00 元");
  });

  it("sends the version shown; a stale one offers to reload", async () => {
    await i18n.changeLanguage("zh-CN");
    const conflict = { data: { acknowledgeWarning: { __typename: "Conflict", code: "CONFLICT", message: "预警已被他人修改" } } };
    const { client, sent } = clientFor(["acknowledgeWarning"], conflict);
    renderPage(client);
    const button = await screen.findByTestId("action-acknowledge");
    await act(async () => {
      fireEvent.click(button);
    });
    await waitFor(() => expect(screen.getByTestId("stale-version").textContent).toContain("预警已被他人修改"));
    expect(sent).toEqual([{ name: "AcknowledgeWarning", variables: { id: "W1", expectedVersion: 3 } }]);
  });

  it("knows which steps each status allows", () => {
    expect(stepsFor("OPEN")).toEqual({ acknowledge: true, start: true, assign: true, comment: true, resolve: true, dismiss: true });
    expect(stepsFor("IN_PROGRESS")).toMatchObject({ acknowledge: false, start: false, resolve: true });
    expect(stepsFor("RESOLVED")).toEqual({ acknowledge: false, start: false, assign: false, comment: true, resolve: false, dismiss: false });
  });
});
