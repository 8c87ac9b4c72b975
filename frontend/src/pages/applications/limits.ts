/** Client-side checks of an application's terms against its product (the server checks
 * again). Money and rates stay decimal strings: compared digit by digit, never as floats. */

const DECIMAL = /^\d+(?:\.\d+)?$/;

/** The product terms the checks need (as the API's `Product` gives them). */
export interface ProductTerms {
  amountMin: string;
  amountMax: string;
  termMonthsMin: number;
  termMonthsMax: number;
  rateMin: string;
  rateMax: string;
  methods: readonly string[];
}

/** What the user typed: amount in yuan, term in months, rate in percent (`"7.8"`). */
export interface TermsInput {
  amount: string;
  termMonths: string;
  ratePercent: string;
  method: string;
}

export type TermsField = "amount" | "termMonths" | "annualRate" | "repaymentMethod";
export type ProblemCode = "required" | "invalid" | "belowMin" | "aboveMax" | "notOffered";

/** One problem with one field; `min`/`max` are the product's bounds as the API gave them. */
export interface TermsProblem {
  field: TermsField;
  code: ProblemCode;
  min?: string;
  max?: string;
}

/** True for a plain non-negative decimal (`"120000"`, `"120000.50"`). */
export function isDecimal(value: string): boolean {
  return DECIMAL.test(value.trim());
}

/** Compare two plain non-negative decimals exactly: -1, 0 or 1. */
export function compareDecimal(a: string, b: string): -1 | 0 | 1 {
  const [aw = "0", af = ""] = a.trim().split(".");
  const [bw = "0", bf = ""] = b.trim().split(".");
  const wa = aw.replace(/^0+(?=\d)/, "");
  const wb = bw.replace(/^0+(?=\d)/, "");
  if (wa.length !== wb.length) return wa.length < wb.length ? -1 : 1;
  if (wa !== wb) return wa < wb ? -1 : 1;
  const width = Math.max(af.length, bf.length);
  const fa = af.padEnd(width, "0");
  const fb = bf.padEnd(width, "0");
  if (fa === fb) return 0;
  return fa < fb ? -1 : 1;
}

/** A percentage as typed (`"7.8"`) as the API's fraction (`"0.078"`), digit-exact; null
 * when it is not a plain decimal. */
export function percentToFraction(percent: string): string | null {
  const value = percent.trim();
  if (!isDecimal(value)) return null;
  const [whole = "0", fraction = ""] = value.split(".");
  const digits = whole.padStart(3, "0") + fraction;
  const point = digits.length - fraction.length - 2;
  const intPart = digits.slice(0, point).replace(/^0+(?=\d)/, "");
  const rest = digits.slice(point).replace(/0+$/, "");
  return rest ? `${intPart}.${rest}` : intPart;
}

/** A rate fraction (`"0.0385"`) as the percentage a person types (`"3.85"`). */
export function fractionToPercent(fraction: string): string {
  const value = fraction.trim();
  if (!isDecimal(value)) return value;
  const [whole = "0", part = ""] = value.split(".");
  const digits = whole + part.padEnd(2, "0");
  const point = whole.length + 2;
  const intPart = digits.slice(0, point).replace(/^0+(?=\d)/, "");
  const rest = digits.slice(point).replace(/0+$/, "");
  return rest ? `${intPart}.${rest}` : intPart;
}

function bounded(field: TermsField, value: string, min: string, max: string): TermsProblem[] {
  if (compareDecimal(value, min) < 0) return [{ field, code: "belowMin", min, max }];
  if (compareDecimal(value, max) > 0) return [{ field, code: "aboveMax", min, max }];
  return [];
}

/** Every problem of the typed terms against the product (empty: the terms fit). */
export function checkTerms(product: ProductTerms, input: TermsInput): TermsProblem[] {
  const problems: TermsProblem[] = [];
  const amount = input.amount.trim().replace(/,/g, "");
  if (!amount) problems.push({ field: "amount", code: "required" });
  else if (!/^\d+(?:\.\d{1,2})?$/.test(amount)) problems.push({ field: "amount", code: "invalid" });
  else problems.push(...bounded("amount", amount, product.amountMin, product.amountMax));

  const term = input.termMonths.trim();
  if (!term) problems.push({ field: "termMonths", code: "required" });
  else if (!/^\d+$/.test(term)) problems.push({ field: "termMonths", code: "invalid" });
  else
    problems.push(
      ...bounded("termMonths", term, String(product.termMonthsMin), String(product.termMonthsMax)),
    );

  const rate = input.ratePercent.trim();
  const fraction = rate ? percentToFraction(rate) : null;
  if (!rate) problems.push({ field: "annualRate", code: "required" });
  else if (fraction === null) problems.push({ field: "annualRate", code: "invalid" });
  else {
    const found = bounded("annualRate", fraction, product.rateMin, product.rateMax);
    problems.push(
      ...found.map((p) => ({
        ...p,
        min: fractionToPercent(product.rateMin),
        max: fractionToPercent(product.rateMax),
      })),
    );
  }

  if (!input.method) problems.push({ field: "repaymentMethod", code: "required" });
  else if (!product.methods.includes(input.method))
    problems.push({ field: "repaymentMethod", code: "notOffered" });
  return problems;
}

/** The amount as the API takes it (a decimal string, separators removed). */
export function amountForApi(amount: string): string {
  return amount.trim().replace(/,/g, "");
}
