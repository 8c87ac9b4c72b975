import { Client, cacheExchange, fetchExchange, mapExchange } from "urql";
import type { Language } from "../i18n";
import { isUnauthenticated } from "./errors";

/**
 * The GraphQL client. The session is the platform's HttpOnly cookie (set by `signIn`,
 * cleared by `signOut`): requests go to the same origin with credentials, so no token is
 * ever held by scripts. The platform refuses cross-origin POSTs and non-JSON bodies
 * (its CSRF defence); urql posts `application/json` from this origin.
 *
 * `language` is sent as `Accept-Language`: API messages come back in the UI language.
 * A new client is made when the language changes (cached results hold the old texts).
 */
export function makeClient(language: Language, onUnauthenticated: () => void): Client {
  return new Client({
    url: "/graphql",
    preferGetMethod: false,
    requestPolicy: "cache-and-network",
    fetchOptions: () => ({
      credentials: "same-origin",
      headers: { "Accept-Language": language },
    }),
    exchanges: [
      mapExchange({
        onResult(result) {
          // `me` answers null rather than failing; any other UNAUTHENTICATED means the
          // session ended (idle or absolute expiry, signed out elsewhere, revoked).
          if (isUnauthenticated(result.error)) onUnauthenticated();
          return result;
        },
      }),
      cacheExchange,
      fetchExchange,
    ],
  });
}
