import { describe, expect, it } from "vitest";
import { websocketUrl } from "./client";

describe("the subscription socket", () => {
  it("goes to this origin's /graphql, encrypted when the page is", () => {
    expect(websocketUrl({ protocol: "https:", host: "credit.example.cn" })).toBe("wss://credit.example.cn/graphql");
    expect(websocketUrl({ protocol: "http:", host: "127.0.0.1:8000" })).toBe("ws://127.0.0.1:8000/graphql");
  });
});
