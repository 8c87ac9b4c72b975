import type { CombinedError } from "@urql/core";
import type { TFunction } from "i18next";

/** A refusal as the user should read it: the API's message (in the caller's language). */
export interface UserError {
  code: string | null;
  message: string;
}

/** Shapes of an API refusal the client understands: a GraphQL error, or a typed error
 * member of a `<Name>Result` union (`... on BusinessError { code message detail }`). */
export interface BusinessErrorLike {
  __typename?: string;
  code: string;
  message: string;
}

export function errorCode(error: CombinedError | undefined | null): string | null {
  const first = error?.graphQLErrors[0];
  const code = first?.extensions?.["code"];
  return typeof code === "string" ? code : null;
}

export function isUnauthenticated(error: CombinedError | undefined | null): boolean {
  return !!error?.graphQLErrors.some((e) => e.extensions?.["code"] === "UNAUTHENTICATED");
}

/** The message to show: the API's own text (it answers in the Accept-Language we sent);
 * the client's text only when nothing came back (network). */
export function userError(error: CombinedError, t: TFunction): UserError {
  const first = error.graphQLErrors[0];
  if (first) {
    return { code: errorCode(error), message: first.message || t("errors.unknown") };
  }
  if (error.networkError) return { code: "NETWORK", message: t("errors.network") };
  return { code: null, message: t("errors.unknown") };
}

/** A union member that is a business error (has `code` and `message`), else null. */
export function businessError(value: unknown): UserError | null {
  if (value && typeof value === "object" && "code" in value && "message" in value) {
    const v = value as BusinessErrorLike;
    if (typeof v.code === "string" && typeof v.message === "string") {
      return { code: v.code, message: v.message };
    }
  }
  return null;
}

/** The code the API gives when an `expectedVersion` is stale: someone else changed it. */
export const STALE_VERSION = "CONFLICT";

/** The errors of a read that the page should show. A `FORBIDDEN` error on a field is the
 * field policy's deny: the field is rendered absent, not as an error (the rest of the
 * answer is data). */
export function pageError(error: CombinedError | undefined | null): CombinedError | null {
  if (!error) return null;
  if (error.networkError) return error;
  const rest = error.graphQLErrors.filter(
    (e) => !(e.extensions?.["code"] === "FORBIDDEN" && (e.path?.length ?? 0) > 1),
  );
  return rest.length ? error : null;
}
