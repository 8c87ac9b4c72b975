import { Select } from "antd";
import { useTranslation } from "react-i18next";
import { useMutation } from "urql";
import { useSession } from "./auth/session";
import { SetMyLanguageDocument } from "./gql/graphql";
import type { Language as ApiLanguage } from "./gql/graphql";
import { LANGUAGES, currentLanguage, isLanguage, rememberLanguage } from "./i18n";
import type { Language } from "./i18n";

/** The API's name of a UI language (`setMyLanguage` takes the enum). */
export function apiLanguage(language: Language): ApiLanguage {
  return language === "en" ? "EN" : "ZH_CN";
}

/** zh-CN / en, remembered in this browser and, once signed in, saved for the user (the API
 * answers in the saved language whatever the browser asks, so both must move together). */
export function LanguageSwitch() {
  const { t, i18n } = useTranslation();
  const session = useSession();
  const [, save] = useMutation(SetMyLanguageDocument);
  const change = async (value: string) => {
    if (!isLanguage(value)) return;
    if (session.user) await save({ language: apiLanguage(value) });
    rememberLanguage(value);
    void i18n.changeLanguage(value);
  };
  return (
    <Select<Language>
      aria-label={t("language.label")}
      data-testid="language-switch"
      value={currentLanguage()}
      onChange={(value) => void change(value)}
      style={{ minWidth: 112 }}
      options={LANGUAGES.map((lng) => ({ value: lng, label: t(`language.${lng}`) }))}
    />
  );
}
