import { beforeEach, describe, expect, it } from "vitest";
import i18n, { DEFAULT_LANGUAGE, currentLanguage, rememberLanguage, storedLanguage } from "./i18n";

describe("the UI language", () => {
  beforeEach(() => window.localStorage.clear());

  it("defaults to zh-CN", () => {
    expect(DEFAULT_LANGUAGE).toBe("zh-CN");
    expect(storedLanguage()).toBe("zh-CN");
  });

  it("is remembered in this browser", () => {
    rememberLanguage("en");
    expect(storedLanguage()).toBe("en");
    window.localStorage.setItem("smecredit.language", "fr");
    expect(storedLanguage()).toBe("zh-CN");
  });

  it("switches texts and the html lang", async () => {
    await i18n.changeLanguage("en");
    expect(i18n.t("signIn.title")).toBe("Sign in");
    expect(document.documentElement.lang).toBe("en");
    expect(currentLanguage()).toBe("en");
    await i18n.changeLanguage("zh-CN");
    expect(i18n.t("signIn.title")).toBe("登录");
  });
});
