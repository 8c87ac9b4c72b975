import { cleanup, fireEvent, render, screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { DataTable, LoadMore } from "./DataTable";
import type { Column } from "./DataTable";

afterEach(cleanup);

interface Row {
  id: string;
  name: string;
  amount: string;
}

const rows: Row[] = [
  { id: "1", name: "甲公司", amount: "1,000.00" },
  { id: "2", name: "乙公司", amount: "25.50" },
];
const columns: Column<Row>[] = [
  { key: "name", title: "名称", render: (r) => <a href={`/firms/${r.id}`}>{r.name}</a> },
  { key: "amount", title: "金额", numeric: true, render: (r) => r.amount },
];

describe("DataTable", () => {
  it("renders a semantic table with a caption, column headers and one row per item", () => {
    render(<DataTable label="企业列表" caption columns={columns} rows={rows} rowKey={(r) => r.id} />);
    const table = screen.getByRole("table");
    expect(within(table).getByText("企业列表").tagName).toBe("CAPTION");
    const headers = within(table).getAllByRole("columnheader").map((h) => h.textContent);
    expect(headers).toEqual(["名称", "金额"]);
    expect(within(table).getAllByRole("row")).toHaveLength(3);
    expect(within(table).getByText("25.50").className).toBe("num");
    // The scroll container is a named region (wide tables scroll inside it).
    expect(screen.getByRole("region", { name: "企业列表" })).toBeTruthy();
  });

  it("has a card per row for phones, headed by the title column", () => {
    const { container } = render(
      <DataTable label="企业列表" columns={columns} rows={rows} rowKey={(r) => r.id} titleColumn="name" />,
    );
    const cards = container.querySelectorAll(".data-table-cards li");
    expect(cards).toHaveLength(2);
    const first = cards[0] as HTMLElement;
    expect(first.querySelector(".data-table-card-title")?.textContent).toBe("甲公司");
    expect(within(first).getByText("金额").tagName).toBe("DT");
    expect(within(first).getByText("1,000.00").tagName).toBe("DD");
    // Without `caption` the label names the table but is not shown.
    expect(container.querySelector("caption")?.className).toBe("visually-hidden");
  });

  it("says so when there is nothing, and shows a skeleton while the first page loads", () => {
    const { rerender, container } = render(
      <DataTable label="x" columns={columns} rows={[]} rowKey={(r) => r.id} empty="暂无记录" />,
    );
    expect(screen.getByRole("status").textContent).toBe("暂无记录");
    expect(screen.queryByRole("table")).toBeNull();
    rerender(<DataTable label="x" columns={columns} rows={[]} rowKey={(r) => r.id} loading />);
    expect(container.querySelector(".ant-skeleton")).toBeTruthy();
  });
});

describe("DataTable options", () => {
  it("puts row attributes on the table row only, and the class on its card too", () => {
    const { container } = render(
      <DataTable
        label="x"
        columns={columns}
        rows={rows}
        rowKey={(r) => r.id}
        rowProps={(r) => ({ "data-id": r.id, className: r.id === "2" ? "live-new" : undefined })}
      />,
    );
    expect(container.querySelectorAll("[data-id]")).toHaveLength(2);
    expect(container.querySelector("tr[data-id='2']")?.className).toBe("live-new");
    expect(container.querySelectorAll(".data-table-card.live-new")).toHaveLength(1);
  });

  it("can keep the table on phones, head rows, keep cells on one line and title cards", () => {
    const headed: Column<Row>[] = [
      { key: "name", title: "名称", rowHeader: true, render: (r) => r.name },
      { key: "amount", title: "金额", numeric: true, nowrap: true, render: (r) => r.amount },
    ];
    const { container, rerender } = render(
      <DataTable label="x" columns={headed} rows={rows} rowKey={(r) => r.id} cards={false} />,
    );
    expect(container.querySelector(".data-table-cards")).toBeNull();
    expect(container.querySelector(".data-table")?.className).toContain("data-table-no-cards");
    expect(screen.getAllByRole("rowheader").map((h) => h.textContent)).toEqual(["甲公司", "乙公司"]);
    expect(screen.getByText("25.50", { selector: "td" }).className).toBe("num nowrap");
    rerender(<DataTable label="x" columns={headed} rows={rows} rowKey={(r) => r.id} cardTitle={(r) => `#${r.id}`} />);
    const card = container.querySelector(".data-table-cards li") as HTMLElement;
    expect(card.querySelector(".data-table-card-title")?.textContent).toBe("#1");
    // With a card title every column is listed in the card.
    expect(within(card).getAllByRole("term").map((d) => d.textContent)).toEqual(["名称", "金额"]);
  });

  it("names the empty text after the table's test id", () => {
    render(<DataTable label="x" columns={columns} rows={[]} rowKey={(r) => r.id} testId="t" empty="无" />);
    expect(screen.getByTestId("t-empty").textContent).toBe("无");
  });
});

describe("LoadMore", () => {
  it("offers the next page while there is one, and tells how many are shown", () => {
    const more = vi.fn();
    const { rerender } = render(
      <LoadMore shown={20} total={45} hasMore onLoadMore={more} label="加载更多" summary={(s, t) => `${s} / ${t}`} />,
    );
    expect(screen.getByText("20 / 45")).toBeTruthy();
    fireEvent.click(screen.getByRole("button", { name: "加载更多" }));
    expect(more).toHaveBeenCalledTimes(1);
    expect(screen.getByRole("button").dataset.testid).toBe("load-more");
    rerender(<LoadMore shown={45} total={45} hasMore onLoadMore={more} label="加载更多" testId="loans-more" />);
    expect(screen.getByRole("button").dataset.testid).toBe("loans-more");
    rerender(<LoadMore shown={45} total={45} hasMore={false} onLoadMore={more} label="加载更多" />);
    expect(screen.queryByRole("button")).toBeNull();
  });
});
