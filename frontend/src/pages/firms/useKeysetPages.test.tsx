import { act, cleanup, fireEvent, render, screen } from "@testing-library/react";
import type { Client } from "urql";
import { Provider } from "urql";
import { afterEach, describe, expect, it } from "vitest";
import { fromValue } from "wonka";
import { FirmListDocument } from "../../gql/graphql";
import type { FirmFilter } from "../../gql/graphql";
import { useKeysetPages } from "./useKeysetPages";

afterEach(cleanup);

const NAMES = ["甲", "乙", "丙", "丁", "戊"];

/** A fake API: five firms, pages after a cursor (the index of the last one given). */
function client(calls: (string | null)[]): Client {
  return {
    executeQuery: (op: { variables: { first: number; after: string | null; filter: FirmFilter | null } }) => {
      const { first, after } = op.variables;
      calls.push(after);
      const start = after === null ? 0 : Number(after) + 1;
      const names = op.variables.filter?.search ? NAMES.filter((n) => n === op.variables.filter?.search) : NAMES;
      const slice = names.slice(start, start + first);
      return fromValue({
        operation: op,
        data: {
          firms: {
            totalCount: names.length,
            edges: slice.map((name, i) => ({ node: { id: `F${start + i}`, name } })),
            pageInfo: { hasNextPage: start + first < names.length, endCursor: String(start + slice.length - 1) },
          },
        },
      });
    },
  } as unknown as Client;
}

function List({ search }: { search?: string }) {
  const list = useKeysetPages(
    FirmListDocument,
    { first: 2, filter: search ? { search } : null },
    (data) => ({
      nodes: data.firms.edges.map((e) => e.node),
      hasNextPage: data.firms.pageInfo.hasNextPage,
      endCursor: data.firms.pageInfo.endCursor ?? null,
      totalCount: data.firms.totalCount,
    }),
  );
  return (
    <>
      <p data-testid="rows">{list.rows.map((r) => r.name).join(",")}</p>
      <p data-testid="total">{list.total}</p>
      {list.hasMore ? <button onClick={list.loadMore}>more</button> : null}
    </>
  );
}

describe("useKeysetPages", () => {
  it("appends each next page after the previous one's end cursor, until there is none", async () => {
    const calls: (string | null)[] = [];
    render(
      <Provider value={client(calls)}>
        <List />
      </Provider>,
    );
    expect(screen.getByTestId("rows").textContent).toBe("甲,乙");
    expect(screen.getByTestId("total").textContent).toBe("5");
    await act(async () => fireEvent.click(screen.getByRole("button", { name: "more" })));
    expect(screen.getByTestId("rows").textContent).toBe("甲,乙,丙,丁");
    await act(async () => fireEvent.click(screen.getByRole("button", { name: "more" })));
    expect(screen.getByTestId("rows").textContent).toBe("甲,乙,丙,丁,戊");
    expect(screen.queryByRole("button")).toBeNull();
    expect(calls).toEqual([null, "1", "3"]);
  });

  it("starts again at the first page when the variables change", async () => {
    const calls: (string | null)[] = [];
    const fake = client(calls);
    const { rerender } = render(
      <Provider value={fake}>
        <List />
      </Provider>,
    );
    await act(async () => fireEvent.click(screen.getByRole("button", { name: "more" })));
    rerender(
      <Provider value={fake}>
        <List search="丙" />
      </Provider>,
    );
    expect(screen.getByTestId("rows").textContent).toBe("丙");
    expect(screen.queryByRole("button")).toBeNull();
  });
});
