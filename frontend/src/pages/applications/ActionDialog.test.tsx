import { act, cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import i18n from "../../i18n";
import { ActionDialog } from "./ActionDialog";
import { ACTIONS } from "./actions";
import type { ActionSpec } from "./actions";

afterEach(cleanup);
beforeEach(async () => {
  await i18n.changeLanguage("zh-CN");
});

function spec(mutation: string): ActionSpec {
  const found = ACTIONS.find((a) => a.mutation === mutation);
  if (!found) throw new Error(mutation);
  return found;
}

function confirm() {
  fireEvent.click(screen.getByTestId("dialog-confirm"));
}

describe("the action dialog", () => {
  it("asks for a reason where the action needs one, and sends what was typed", async () => {
    const onConfirm = vi.fn();
    render(
      <ActionDialog spec={spec("rejectApplication")} findings={[]} busy={false} refusal={null}
        onConfirm={onConfirm} onCancel={() => undefined} onReload={() => undefined} />,
    );
    expect(screen.getByRole("dialog")).toBeTruthy();
    expect(screen.getByText("拒绝", { selector: ".ant-modal-title" })).toBeTruthy();
    await act(async () => confirm());
    expect(onConfirm).not.toHaveBeenCalled();
    expect(screen.getByText("请填写理由")).toBeTruthy();
    fireEvent.change(screen.getByLabelText("理由"), { target: { value: " 风险较高 " } });
    await act(async () => confirm());
    expect(onConfirm).toHaveBeenCalledWith({ reason: "风险较高", overrideReason: "" });
  });

  it("asks for an override reason when approving goes against the recommendation", async () => {
    const onConfirm = vi.fn();
    render(
      <ActionDialog spec={spec("approveApplication")} findings={["建议额度为零仍批准"]} busy={false}
        refusal={null} onConfirm={onConfirm} onCancel={() => undefined} onReload={() => undefined} />,
    );
    expect(screen.getByText("建议额度为零仍批准")).toBeTruthy();
    await act(async () => confirm());
    expect(onConfirm).not.toHaveBeenCalled();
    fireEvent.change(screen.getByLabelText("偏离建议的理由"), { target: { value: "订单充足" } });
    await act(async () => confirm());
    expect(onConfirm).toHaveBeenCalledWith({ reason: "", overrideReason: "订单充足" });
  });

  it("offers a reload when the version was stale, keeping what was typed", async () => {
    const onReload = vi.fn();
    const stale = { code: "CONFLICT", message: "该申请已被他人修改" };
    const { rerender } = render(
      <ActionDialog spec={spec("returnApplication")} findings={[]} busy={false} refusal={null}
        onConfirm={() => undefined} onCancel={() => undefined} onReload={onReload} />,
    );
    fireEvent.change(screen.getByLabelText("理由"), { target: { value: "补充报表" } });
    rerender(
      <ActionDialog spec={spec("returnApplication")} findings={[]} busy={false} refusal={stale}
        onConfirm={() => undefined} onCancel={() => undefined} onReload={onReload} />,
    );
    expect(screen.getByTestId("stale-version").textContent).toContain("该申请已被他人修改");
    fireEvent.click(screen.getByRole("button", { name: "重新加载" }));
    expect(onReload).toHaveBeenCalled();
    expect((screen.getByLabelText("理由") as HTMLTextAreaElement).value).toBe("补充报表");
  });
});
