import { describe, expect, it } from "vitest";
import { permissionsOf } from "./permissions";

describe("permissionsOf", () => {
  const p = permissionsOf({
    roles: ["viewer"],
    branchCode: "SH01",
    types: [
      { typeName: "Person", fields: [{ field: "name", access: "MASKED" }, { field: "idNumber", access: "DENIED" }] },
      { typeName: "AuditEntry", fields: [{ field: "action", access: "DENIED" }] },
    ],
    operations: [
      { mutation: "approveApplication", allowed: false },
      { mutation: "createApplication", allowed: true },
    ],
  });

  it("answers field access, readable types and allowed mutations", () => {
    expect(p.access("Person", "name")).toBe("MASKED");
    expect(p.access("Person", "idNumber")).toBe("DENIED");
    expect(p.access("Firm", "name")).toBe("VISIBLE");
    expect(p.reads("Person")).toBe(true);
    expect(p.reads("AuditEntry")).toBe(false);
    expect(p.may("createApplication")).toBe(true);
    expect(p.may("approveApplication")).toBe(false);
    expect(p.may("unknownMutation")).toBe(false);
  });

  it("allows nothing before it is loaded", () => {
    const empty = permissionsOf(null);
    expect(empty.loaded).toBe(false);
    expect(empty.may("createApplication")).toBe(false);
  });
});
