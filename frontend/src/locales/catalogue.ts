import en from "./en.json";
import zhCN from "./zh-CN.json";

/** The shell's texts (`en.json`, `zh-CN.json`) and each screen area's own files
 * (`<area>/en.json`, `<area>/zh-CN.json`, keys prefixed with the area): one catalogue per
 * language. Areas keep their texts apart so screens can grow without touching each other. */
const AREAS = import.meta.glob<Record<string, string>>("./*/*.json", { eager: true, import: "default" });

export type CatalogueLanguage = "zh-CN" | "en";

/** Every file of one language, merged; a key defined twice is a mistake the tests catch. */
export function catalogue(language: CatalogueLanguage): Record<string, string> {
  const merged: Record<string, string> = { ...(language === "en" ? en : zhCN) };
  for (const [path, texts] of Object.entries(AREAS)) {
    if (path.endsWith(`/${language}.json`)) Object.assign(merged, texts);
  }
  return merged;
}

/** The files of one language with their keys (for the parity and duplicate tests). */
export function catalogueFiles(language: CatalogueLanguage): Record<string, Record<string, string>> {
  const files: Record<string, Record<string, string>> = { [`./${language}.json`]: language === "en" ? en : zhCN };
  for (const [path, texts] of Object.entries(AREAS)) {
    if (path.endsWith(`/${language}.json`)) files[path] = texts;
  }
  return files;
}
