import { act, cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import type { Client } from "urql";
import { Provider } from "urql";
import { MemoryRouter, Route, Routes } from "react-router";
import { afterEach, describe, expect, it } from "vitest";
import { fromValue, never } from "wonka";
import { SessionProvider } from "../auth/session";
import i18n from "../i18n";
import { SignInPage } from "./SignInPage";

afterEach(cleanup);

function clientAnswering(signIn: object): { client: Client; calls: string[] } {
  const calls: string[] = [];
  const client = {
    executeQuery: () => fromValue({ data: { me: null } }),
    executeMutation: (op: { variables: Record<string, unknown> }) => {
      calls.push(JSON.stringify(op.variables));
      return fromValue(signIn);
    },
    executeSubscription: () => never,
    query: () => ({ toPromise: () => Promise.resolve({ data: { me: null } }) }),
    mutation: () => ({ toPromise: () => Promise.resolve({ data: {} }) }),
  } as unknown as Client;
  return { client, calls };
}

function renderSignIn(client: Client) {
  return render(
    <Provider value={client}>
      <MemoryRouter initialEntries={["/signin"]}>
        <SessionProvider>
          <Routes>
            <Route path="/signin" element={<SignInPage />} />
            <Route path="/" element={<p>home</p>} />
          </Routes>
        </SessionProvider>
      </MemoryRouter>
    </Provider>,
  );
}

async function submit(username: string, password: string) {
  fireEvent.change(document.querySelector("#signin_username")!, { target: { value: username } });
  fireEvent.change(document.querySelector("#signin_password")!, { target: { value: password } });
  await act(async () => {
    fireEvent.submit(document.querySelector("form#signin")!);
  });
}

describe("the sign-in page", () => {
  it("shows the API's refusal as it came (the caller's language)", async () => {
    await i18n.changeLanguage("zh-CN");
    // a refusal is a member of signIn's result union, with its message in the language asked for
    const refusal = { __typename: "Forbidden", code: "INVALID_CREDENTIALS", message: "用户名或密码错误。" };
    const { client, calls } = clientAnswering({ data: { signIn: refusal } });
    renderSignIn(client);
    await submit("officer", "wrong");
    await waitFor(() => expect(screen.getByTestId("form-error").textContent).toContain("用户名或密码错误。"));
    expect(calls).toEqual([JSON.stringify({ username: "officer", password: "wrong" })]);
  });

  it("asks for the second factor when the API says one is owed", async () => {
    await i18n.changeLanguage("en");
    const { client } = clientAnswering({
      data: {
        signIn: {
          __typename: "SignInPayload",
          mfaRequired: true,
          mfaEnrollmentRequired: false,
          passwordChangeRequired: false,
          expiresAt: "2026-01-01T00:00:00Z",
          user: null,
        },
      },
    });
    renderSignIn(client);
    await submit("analyst", "secret");
    await waitFor(() => expect(screen.getByRole("heading", { name: "Two-step verification" })).toBeTruthy());
    expect(document.querySelector("#mfa_code")).not.toBeNull();
  });
});
