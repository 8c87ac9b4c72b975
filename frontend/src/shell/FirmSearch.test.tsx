import { act, cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import type { Client } from "urql";
import { Provider } from "urql";
import { MemoryRouter, Route, Routes, useParams } from "react-router";
import { afterEach, describe, expect, it } from "vitest";
import { fromValue } from "wonka";
import "../i18n";
import { FirmSearch, SEARCH_DEBOUNCE_MS } from "./FirmSearch";

afterEach(cleanup);

type Op = { variables: { search: string }; query: { definitions: { name?: { value: string } }[] } };

function fakeApi(searches: string[], readsFirms = true): Client {
  return {
    executeQuery: (op: Op) => {
      if (op.query.definitions[0]?.name?.value === "MyPermissions") {
        const types = [{ typeName: "Firm", fields: [{ field: "name", access: readsFirms ? "VISIBLE" : "DENIED" }] }];
        return fromValue({ operation: op, data: { myPermissions: { roles: [], branchCode: "HZ01", types, operations: [] } } });
      }
      searches.push(op.variables.search);
      return fromValue({
        operation: op,
        data: {
          firms: {
            edges: [{ node: { id: "RmlybTox", name: "杭州甲乙服饰有限公司", uscc: "91330106MAW93LYDX1", branchCode: "HZ01" } }],
          },
        },
      });
    },
  } as unknown as Client;
}

function Profile() {
  return <p data-testid="profile">{useParams().id}</p>;
}

function renderSearch(client: Client) {
  return render(
    <Provider value={client}>
      <MemoryRouter initialEntries={["/"]}>
        <FirmSearch />
        <Routes>
          <Route path="/" element={<p>home</p>} />
          <Route path="/firms/:id" element={<Profile />} />
        </Routes>
      </MemoryRouter>
    </Provider>,
  );
}

describe("FirmSearch", () => {
  it("is labelled, waits for typing to pause, and opens the chosen firm", async () => {
    const searches: string[] = [];
    renderSearch(fakeApi(searches));
    const box = screen.getByLabelText("搜索企业（名称或统一社会信用代码）");
    fireEvent.change(box, { target: { value: "甲" } });
    fireEvent.change(box, { target: { value: "甲乙" } });
    expect(searches).toEqual([]); // not on every key
    await act(() => new Promise((r) => setTimeout(r, SEARCH_DEBOUNCE_MS + 50)));
    expect(searches).toEqual(["甲乙"]);
    const option = await screen.findByText("杭州甲乙服饰有限公司");
    fireEvent.click(option);
    await waitFor(() => expect(screen.getByTestId("profile").textContent).toBe("RmlybTox"));
    expect((box as HTMLInputElement).value).toBe("");
  });

  it("is not offered to a user who cannot read firms", () => {
    renderSearch(fakeApi([], false));
    expect(screen.queryByLabelText("搜索企业（名称或统一社会信用代码）")).toBeNull();
  });

  it("asks nothing for a single character", async () => {
    const searches: string[] = [];
    renderSearch(fakeApi(searches));
    fireEvent.change(screen.getByLabelText("搜索企业（名称或统一社会信用代码）"), { target: { value: "9" } });
    await act(() => new Promise((r) => setTimeout(r, SEARCH_DEBOUNCE_MS + 50)));
    expect(searches).toEqual([]);
  });
});
