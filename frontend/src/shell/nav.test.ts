import { describe, expect, it } from "vitest";
import type { Permissions } from "./nav";
import { NAV, navFor, visibleNav } from "./nav";

function permissions(types: Record<string, boolean>, allowed: string[]): Permissions {
  return {
    __typename: "MyPermissions",
    roles: ["whatever"],
    branchCode: null,
    types: Object.entries(types).map(([typeName, readable]) => ({
      typeName,
      fields: [{ field: "id", access: readable ? "VISIBLE" : "DENIED" }],
    })),
    operations: ["createApplication", "approveApplication", "createUser"].map((mutation) => ({
      mutation,
      allowed: allowed.includes(mutation),
    })),
  } as Permissions;
}

describe("navigation from permissions", () => {
  it("offers what the permissions allow, nothing else", () => {
    const keys = visibleNav(permissions({ Firm: true, Loan: true, AuditEntry: false }, ["createApplication"])).map((e) => e.key);
    expect(keys).toEqual(["dashboard", "firms", "new-application", "loans"]);
  });

  it("a masked field still makes a type readable; denied everywhere does not", () => {
    const p = permissions({ Firm: true }, []);
    p.types[0]!.fields = [{ field: "name", access: "MASKED" } as never, { field: "x", access: "DENIED" } as never];
    expect(visibleNav(p).map((e) => e.key)).toContain("firms");
    p.types[0]!.fields = [{ field: "x", access: "DENIED" } as never];
    expect(visibleNav(p).map((e) => e.key)).not.toContain("firms");
  });

  it("without permissions only the dashboard shows", () => {
    expect(visibleNav(null).map((e) => e.key)).toEqual(["dashboard"]);
  });

  it("no entry names a role", () => {
    const text = NAV.map((e) => e.visible.toString()).join("\n");
    expect(text).not.toMatch(/admin|loan_officer|approver|viewer|risk_analyst|roles/);
  });

  it("finds the entry of a deep link, longest path first", () => {
    expect(navFor("/firms/123", NAV)?.key).toBe("firms");
    expect(navFor("/applications/new", NAV)?.key).toBe("new-application");
    expect(navFor("/applications/9", NAV)?.key).toBe("applications");
    expect(navFor("/", NAV)?.key).toBe("dashboard");
    expect(navFor("/nowhere", NAV)).toBeNull();
  });
});
