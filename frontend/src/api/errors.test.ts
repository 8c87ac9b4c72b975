import { CombinedError } from "@urql/core";
import { GraphQLError } from "graphql";
import type { TFunction } from "i18next";
import { describe, expect, it } from "vitest";
import { businessError, errorCode, isUnauthenticated, pageError, userError } from "./errors";

const t = ((key: string) => `t:${key}`) as unknown as TFunction;

describe("API errors as the user reads them", () => {
  it("shows the API's message (already in the caller's language) and keeps the code", () => {
    const error = new CombinedError({
      graphQLErrors: [new GraphQLError("用户名或密码错误。", { extensions: { code: "INVALID_CREDENTIALS" } })],
    });
    expect(userError(error, t)).toEqual({ code: "INVALID_CREDENTIALS", message: "用户名或密码错误。" });
    expect(errorCode(error)).toBe("INVALID_CREDENTIALS");
    expect(isUnauthenticated(error)).toBe(false);
  });

  it("says the network failed in the UI language when nothing came back", () => {
    const error = new CombinedError({ networkError: new Error("fetch failed") });
    expect(userError(error, t)).toEqual({ code: "NETWORK", message: "t:errors.network" });
  });

  it("recognises an ended session", () => {
    const error = new CombinedError({
      graphQLErrors: [new GraphQLError("sign in first", { extensions: { code: "UNAUTHENTICATED" } })],
    });
    expect(isUnauthenticated(error)).toBe(true);
  });

  it("reads a typed error member of a result union", () => {
    expect(businessError({ __typename: "Conflict", code: "CONFLICT", message: "已被他人修改", detail: "x" })).toEqual({
      code: "CONFLICT",
      message: "已被他人修改",
    });
    expect(businessError({ __typename: "Loan", id: "1" })).toBeNull();
  });
});

describe("pageError", () => {
  it("drops a denied field's error, keeps the rest", () => {
    const denied = new CombinedError({
      graphQLErrors: [new GraphQLError("no", { path: ["firm", "representative", "idNumber"], extensions: { code: "FORBIDDEN" } })],
    });
    expect(pageError(denied)).toBeNull();
    const rootDenied = new CombinedError({
      graphQLErrors: [new GraphQLError("no", { path: ["auditLog"], extensions: { code: "FORBIDDEN" } })],
    });
    expect(pageError(rootDenied)).toBe(rootDenied);
    expect(pageError(undefined)).toBeNull();
  });
});
