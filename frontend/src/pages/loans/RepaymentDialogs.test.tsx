import { act, cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { App } from "antd";
import type { Client } from "urql";
import { Provider } from "urql";
import { afterEach, describe, expect, it } from "vitest";
import { fromValue } from "wonka";
import "../../i18n";
import { PostRepaymentDialog } from "./RepaymentDialogs";

afterEach(cleanup);

const POSTED = {
  data: {
    postRepayment: {
      __typename: "Repayment",
      id: "UmVwYXltZW50OjE=",
      idempotencyKey: "k",
      amount: "1500.00",
      receivedOn: "2026-12-04",
      creditAdded: "0.00",
      reversedAt: null,
      reversalOf: null,
      allocation: [],
    },
  },
};

/** A client whose n-th mutation answers `answer(n)`. */
function clientWith(answer: (n: number) => Promise<unknown>) {
  const keys: string[] = [];
  const client = {
    executeQuery: () => fromValue({ data: { myPermissions: null } }),
    mutation: (_doc: unknown, variables: { idempotencyKey: string }) => {
      keys.push(variables.idempotencyKey);
      const answered = answer(keys.length);
      return { toPromise: () => answered };
    },
  } as unknown as Client;
  return { client, keys };
}

function renderDialog(client: Client, onPosted: () => void) {
  return render(
    <Provider value={client}>
      <App>
        <PostRepaymentDialog loanId="TG9hbjox" onClose={() => undefined} onPosted={onPosted} />
      </App>
    </Provider>,
  );
}

async function fillAmount(value: string) {
  const input = await screen.findByLabelText(/还款金额/);
  fireEvent.change(input, { target: { value } });
}

function submitButton(): HTMLElement {
  return document.querySelector("[data-testid=repay-submit]")!;
}

// Ant Design renders slowly in jsdom: a generous timeout per test.
describe("PostRepaymentDialog", { timeout: 30_000 }, () => {
  it("posts once on a double click, with one key", async () => {
    let answer: (value: unknown) => void = () => undefined;
    const pending = new Promise<unknown>((resolve) => {
      answer = resolve;
    });
    const { client, keys } = clientWith(() => pending);
    let posted = 0;
    renderDialog(client, () => (posted += 1));
    await fillAmount("1500.00");
    await act(async () => {
      fireEvent.click(submitButton());
      fireEvent.click(submitButton());
    });
    await waitFor(() => expect(keys).toHaveLength(1));
    await act(async () => {
      answer(POSTED);
    });
    await waitFor(() => expect(posted).toBeGreaterThan(0));
    expect(keys).toHaveLength(1);
  });

  it("sends the same key again when retried after a network error", async () => {
    const { client, keys } = clientWith((n) =>
      Promise.resolve(n === 1 ? { error: { graphQLErrors: [], networkError: new Error("offline") } } : POSTED),
    );
    let posted = 0;
    renderDialog(client, () => (posted += 1));
    await fillAmount("1500.00");
    await act(async () => {
      fireEvent.click(submitButton());
    });
    await screen.findByTestId("refusal");
    await act(async () => {
      fireEvent.click(submitButton());
    });
    await waitFor(() => expect(posted).toBe(1));
    expect(keys).toHaveLength(2);
    expect(keys[0]).toBe(keys[1]);
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("refuses an amount that is not a decimal with two places", async () => {
    const { client, keys } = clientWith(() => Promise.resolve(POSTED));
    renderDialog(client, () => undefined);
    await fillAmount("12.345");
    await act(async () => {
      fireEvent.click(submitButton());
    });
    await screen.findByText("请输入金额，最多两位小数");
    expect(keys).toHaveLength(0);
  });
});
