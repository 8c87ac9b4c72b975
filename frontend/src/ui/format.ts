/** How the client shows money and dates. Money stays a string from the server to the
 * screen: the API's Decimal is never parsed into a float, only its digits grouped. */
import type { Language } from "../i18n";

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;

/** `"1234567.5"` → `"1,234,567.5"`: thousands separators on the server's own digits.
 * Anything that is not a plain decimal is returned unchanged (a masked value, say). */
export function groupDigits(value: string): string {
  const m = DECIMAL.exec(value.trim());
  if (!m) return value;
  const [, sign, whole, fraction] = m;
  const grouped = (whole ?? "").replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${sign}${grouped}${fraction !== undefined ? `.${fraction}` : ""}`;
}

/** An amount in yuan, as the server gave it: `1,234,567.50 元` (zh-CN), `¥1,234,567.50` (en). */
export function formatYuan(value: string | null | undefined, language: Language): string {
  if (value === null || value === undefined || value === "") return "—";
  if (!DECIMAL.test(value.trim())) return value;
  const grouped = groupDigits(value);
  if (language === "en") return grouped.startsWith("-") ? `-¥${grouped.slice(1)}` : `¥${grouped}`;
  return `${grouped} 元`;
}

/** A rate the server gives as a fraction (`"0.0435"`) shown as a percentage, digit-exact:
 * the decimal point moves two places, no float arithmetic. */
export function formatRate(value: string | null | undefined): string {
  if (value === null || value === undefined || value === "") return "—";
  const m = DECIMAL.exec(value.trim());
  if (!m) return value;
  const [, sign, whole, fraction = ""] = m;
  const digits = (whole ?? "") + fraction.padEnd(2, "0");
  const point = (whole ?? "").length + 2;
  const intPart = digits.slice(0, point).replace(/^0+(?=\d)/, "");
  const rest = digits.slice(point).replace(/0+$/, "");
  return `${sign}${intPart}${rest ? `.${rest}` : ""}%`;
}

function locale(language: Language): string {
  return language === "en" ? "en-GB" : "zh-CN";
}

/** A calendar date (`"2026-11-30"`) in the user's locale; the day never shifts with the
 * time zone (it is formatted as the UTC day it names). */
export function formatDate(value: string | null | undefined, language: Language): string {
  if (!value) return "—";
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(value);
  if (!m) return value;
  const day = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return new Intl.DateTimeFormat(locale(language), { year: "numeric", month: "2-digit", day: "2-digit", timeZone: "UTC" }).format(day);
}

/** A moment (`DateTime`) in the user's locale and time zone. */
export function formatDateTime(value: string | null | undefined, language: Language): string {
  if (!value) return "—";
  const moment = new Date(value);
  if (Number.isNaN(moment.getTime())) return value;
  return new Intl.DateTimeFormat(locale(language), {
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
  }).format(moment);
}
