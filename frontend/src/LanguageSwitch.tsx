import { Select } from "antd";
import { useTranslation } from "react-i18next";
import { LANGUAGES, currentLanguage, isLanguage, rememberLanguage } from "./i18n";
import type { Language } from "./i18n";

/** zh-CN / en, remembered in this browser. The API is then asked in that language too. */
export function LanguageSwitch() {
  const { t, i18n } = useTranslation();
  const change = (value: string) => {
    if (!isLanguage(value)) return;
    rememberLanguage(value);
    void i18n.changeLanguage(value);
  };
  return (
    <Select<Language>
      aria-label={t("language.label")}
      data-testid="language-switch"
      value={currentLanguage()}
      onChange={change}
      style={{ minWidth: 112 }}
      options={LANGUAGES.map((lng) => ({ value: lng, label: t(`language.${lng}`) }))}
    />
  );
}
