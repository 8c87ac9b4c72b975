// The development GraphiQL, bundled from local packages (no CDN). It runs on the platform's
// origin and posts with the browser's session cookie: sign in through the web client first.
import { createGraphiQLFetcher } from "@graphiql/toolkit";
import { GraphiQL } from "graphiql";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import "graphiql/style.css";
import "./graphiql.css";

const fetcher = createGraphiQLFetcher({
  url: "/graphql",
  fetch: (input, init) => fetch(input, { ...init, credentials: "same-origin" }),
});

const root = document.getElementById("graphiql");
if (root) {
  createRoot(root).render(
    <StrictMode>
      <GraphiQL fetcher={fetcher} />
    </StrictMode>,
  );
}
