import { createClient as createWsClient } from "graphql-ws";
import type { Client as WsClient } from "graphql-ws";
import { Client, cacheExchange, fetchExchange, mapExchange, subscriptionExchange } from "urql";
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
 *
 * Subscriptions (`warningChanged`, ...) go over one websocket to the same `/graphql`
 * (graphql-transport-ws, the `graphql-ws` client): the browser sends the session cookie
 * with the upgrade, the platform ends the socket's operations when the session ends. The
 * socket opens with the first subscription and closes a little after the last one ends.
 */
export function makeClient(language: Language, onUnauthenticated: () => void): Client {
  let ws: WsClient | null = null;
  const socket = (): WsClient => {
    ws ??= createWsClient({ url: websocketUrl(), lazy: true, lazyCloseTimeout: 3000, retryAttempts: 5 });
    return ws;
  };
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
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query || "" };
          return {
            subscribe(sink) {
              const unsubscribe = socket().subscribe(input, sink);
              return { unsubscribe };
            },
          };
        },
      }),
    ],
  });
}

/** `ws(s)://<this host>/graphql`: the page's own origin, so the session cookie goes along. */
export function websocketUrl(location: Pick<Location, "protocol" | "host"> = window.location): string {
  return `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}/graphql`;
}
