import { act, cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { App } from "antd";
import type { Client } from "urql";
import { Provider } from "urql";
import { afterEach, describe, expect, it } from "vitest";
import { fromValue } from "wonka";
import "../../i18n";
import { OverrideDialog } from "./RepaymentDialogs";

afterEach(cleanup);

// Ant Design renders slowly in jsdom: a generous timeout per test.
describe("OverrideDialog", { timeout: 30_000 }, () => {
  it("sends the version read and offers to reload when it is stale", async () => {
    const sent: Record<string, unknown>[] = [];
    const client = {
      executeQuery: () => fromValue({ data: { myPermissions: null } }),
      mutation: (_doc: unknown, variables: Record<string, unknown>) => {
        sent.push(variables);
        return {
          toPromise: () =>
            Promise.resolve({
              data: {
                requestClassificationOverride: {
                  __typename: "Conflict",
                  code: "CONFLICT",
                  message: "对象已被他人修改，请刷新后重试。",
                },
              },
            }),
        };
      },
    } as unknown as Client;
    let reloaded = 0;
    render(
      <Provider value={client}>
        <App>
          <OverrideDialog
            loanId="TG9hbjox"
            version={7}
            classes={[{ value: "SUBSTANDARD", text: "次级" }]}
            onClose={() => undefined}
            onDone={() => undefined}
            onReload={() => (reloaded += 1)}
          />
        </App>
      </Provider>,
    );
    // The class: antd's Select opens on mouse down and offers its options.
    const select = document.querySelector(".ant-select")!;
    fireEvent.mouseDown(select.querySelector(".ant-select-selector") ?? select);
    fireEvent.click(await screen.findByTitle("次级"));
    fireEvent.change(screen.getByLabelText("原因"), { target: { value: "担保人代偿" } });
    await act(async () => {
      fireEvent.click(document.querySelector("[data-testid=override-submit]")!);
    });
    const stale = await screen.findByTestId("stale-version");
    expect(sent).toEqual([{ loanId: "TG9hbjox", loanClass: "SUBSTANDARD", reason: "担保人代偿", expectedVersion: 7 }]);
    fireEvent.click(stale.querySelector("button")!);
    await waitFor(() => expect(reloaded).toBe(1));
  });
});
