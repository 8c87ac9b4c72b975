import { act, cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { MemoryRouter } from "react-router";
import type { Client } from "urql";
import { Provider } from "urql";
import { afterEach, describe, expect, it } from "vitest";
import { fromValue, makeSubject } from "wonka";
import i18n from "../i18n";
import type { WarningRow } from "../pages/warnings/live";
import { WarningBell } from "./WarningBell";

afterEach(cleanup);

function permissions(readsWarnings: boolean) {
  return {
    data: {
      myPermissions: {
        roles: ["risk_analyst"],
        branchCode: "HQ",
        types: [{ typeName: "Warning", fields: [{ field: "id", access: readsWarnings ? "VISIBLE" : "DENIED" }] }],
        operations: [],
      },
    },
  };
}

function clientWith(readsWarnings: boolean) {
  const feed = makeSubject<object>();
  let subscribed = 0;
  const client = {
    executeQuery: () => fromValue(permissions(readsWarnings)),
    executeSubscription: () => {
      subscribed += 1;
      return feed.source;
    },
  } as unknown as Client;
  return { client, push: feed.next, subscribed: () => subscribed };
}

function warning(id: string): WarningRow {
  return {
    id,
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
    version: 1,
    firm: { id: "F1", name: `企业${id}`, branchCode: "HZ01" },
  };
}

function renderBell(client: Client) {
  return render(
    <Provider value={client}>
      <MemoryRouter>
        <WarningBell />
      </MemoryRouter>
    </Provider>,
  );
}

describe("the warning bell", () => {
  it("counts new warnings pushed live and lists them, linking to each", async () => {
    await i18n.changeLanguage("zh-CN");
    const { client, push } = clientWith(true);
    renderBell(client);
    await screen.findByTestId("warning-bell");
    expect(screen.queryByTestId("bell-count")).toBeNull();
    act(() => {
      push({ data: { warningChanged: { kind: "OPENED", kindLabel: "新发", warning: warning("W1") } } });
      push({ data: { warningChanged: { kind: "ACKNOWLEDGED", kindLabel: "已确认", warning: warning("W9") } } });
      push({ data: { warningChanged: { kind: "OPENED", kindLabel: "新发", warning: warning("W2") } } });
    });
    await waitFor(() => expect(screen.getByTestId("bell-count").textContent).toBe("2"));
    expect(screen.getByTestId("warning-bell").getAttribute("aria-label")).toBe("新预警：2 条");
    fireEvent.click(screen.getByTestId("warning-bell"));
    const items = await screen.findAllByTestId("bell-item");
    expect(items.map((a) => a.getAttribute("href"))).toEqual(["/warnings/W2", "/warnings/W1"]);
    await waitFor(() => expect(screen.queryByTestId("bell-count")).toBeNull()); // seen
  });

  it("is not there for a user who may not read warnings", async () => {
    const { client, subscribed } = clientWith(false);
    const { container } = renderBell(client);
    await waitFor(() => expect(container.innerHTML).toBe(""));
    expect(subscribed()).toBe(0);
  });
});
