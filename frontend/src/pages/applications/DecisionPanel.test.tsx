import { cleanup, render, screen, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import i18n from "../../i18n";
import { DecisionPanel, formatPd } from "./DecisionPanel";
import type { ApplicationDetail } from "./DecisionPanel";
import { offeredActions } from "./actions";

afterEach(cleanup);
beforeEach(async () => {
  await i18n.changeLanguage("zh-CN");
});

function application(overrides: Partial<ApplicationDetail> = {}): ApplicationDetail {
  return {
    id: "TG9hbkFwcGxpY2F0aW9uOjE=",
    status: "UNDER_REVIEW",
    statusLabel: "审查中",
    amount: "120000.00",
    termMonths: 12,
    annualRate: "0.078",
    riskGrade: "G",
    submittedAt: "2026-12-04T10:00:00+00:00",
    makerId: "officer.hz",
    version: 4,
    firm: {
      id: "RmlybTox",
      name: "杭州凌云商贸有限公司",
      uscc: "91330100000000000X",
      openWarningCount: 1,
      warnings: {
        edges: [
          {
            node: {
              id: "w1",
              status: "OPEN",
              statusLabel: "待处理",
              severity: "ORANGE",
              severityLabel: "橙色",
              ruleName: "资产负债率",
              message: "资产负债率为0.8219",
              openedAt: "2026-11-01T00:00:00+00:00",
            },
          },
          {
            node: {
              id: "w2",
              status: "RESOLVED",
              statusLabel: "已解决",
              severity: "RED",
              severityLabel: "红色",
              ruleName: "已解决的规则",
              message: "不应显示",
              openedAt: "2026-10-01T00:00:00+00:00",
            },
          },
        ],
      },
    },
    product: { code: "TAX-EASY", name: "税易贷" },
    repaymentMethod: "EQUAL_INSTALMENT",
    repaymentMethodLabel: "等额本息",
    guaranteeTypeLabel: "信用",
    purpose: "",
    collateralDescription: "",
    branchCode: "HZ01",
    systemGrade: "G",
    gradeModel: "catboost v1",
    approvalRound: 1,
    appealsUsed: 0,
    decidedAt: null,
    allowedActions: ["APPROVE_APPLICATION", "REJECT_APPLICATION"],
    loan: null,
    score: {
      requestedAmount: "120000.00",
      suggestedLimit: "1234567.50",
      priceBandLow: "0.130000",
      priceBandHigh: "0.150000",
      riskBasedRate: null,
      scoredAt: "2026-12-04T10:00:00+00:00",
      score: {
        grade: "G",
        points: 526,
        probabilityOfDefault: 0.2082,
        modelName: "catboost",
        modelVersion: "v1",
        reasons: [{ feature: "roa", featureLabel: "总资产收益率", text: "总资产收益率偏低，推高风险", contribution: 0.4 }],
      },
    },
    submissionChecks: [
      { code: "FIRM_IDENTITY", passed: true, label: "企业统一社会信用代码有效", missing: [] },
      { code: "CONSENT", passed: false, label: "企业有效的征信查询授权", missing: ["consent"] },
    ],
    approvalFindings: [
      {
        kind: "ZERO_LIMIT",
        kindLabel: "建议额度为零仍批准",
        description: "",
        systemValue: "0.00",
        decidedValue: "120000.00",
      },
    ],
    requiredApprovals: [{ rule: "committee", ruleLabel: "贷审会审批", count: 2, text: "还需 2 个审批" }],
    approvals: [],
    overrides: [],
    transitions: { edges: [] },
    ...overrides,
  };
}

describe("the decision panel", () => {
  it("shows the score, the recommendation, reasons, checks, findings, warnings and approvals", () => {
    render(<DecisionPanel application={application()} />);
    expect(screen.getByTestId("decision-grade").textContent).toBe("G");
    expect(screen.getByTestId("decision-pd").textContent).toBe("20.82%");
    // money exactly as the server gave it, grouped, in yuan
    expect(screen.getByTestId("suggested-limit").textContent).toBe("1,234,567.50 元");
    expect(screen.getByTestId("price-band").textContent).toBe("13% – 15%");
    expect(screen.getByTestId("reasons").textContent).toContain("总资产收益率偏低，推高风险");
    const checks = screen.getByTestId("policy-checks");
    expect(within(checks).getAllByText(/通过/)).toHaveLength(2); // 通过 and 未通过
    expect(checks.querySelector("[data-check=CONSENT]")?.getAttribute("data-passed")).toBe("false");
    expect(screen.getByTestId("findings").textContent).toContain("建议额度为零仍批准");
    const warnings = screen.getByTestId("open-warnings");
    expect(warnings.textContent).toContain("资产负债率");
    expect(warnings.textContent).not.toContain("不应显示"); // resolved ones are not open
    expect(screen.getByTestId("required-approvals").textContent).toContain("还需 2 个审批");
  });

  it("says when the application is not scored and shows no findings outside review", () => {
    render(<DecisionPanel application={application({ score: null, status: "DRAFT", approvalFindings: [] })} />);
    expect(screen.getByTestId("not-scored")).toBeTruthy();
    expect(screen.queryByTestId("findings")).toBeNull();
  });

  it("formats a probability of default", () => {
    expect(formatPd(0.017)).toBe("1.70%");
    expect(formatPd(null)).toBe("—");
  });
});

describe("offeredActions", () => {
  it("offers only what the application, allowedActions(id) and the permissions all allow", () => {
    const may = (m: string) => m !== "rejectApplication";
    const offered = offeredActions(
      ["APPROVE_APPLICATION", "REJECT_APPLICATION", "RETURN_APPLICATION"],
      ["approveApplication", "rejectApplication"],
      may,
    );
    expect(offered.map((a) => a.mutation)).toEqual(["approveApplication"]);
    expect(offeredActions(["APPROVE_APPLICATION"], null, () => true)).toEqual([]);
  });
});
