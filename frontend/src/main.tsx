import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import "antd/dist/antd.css";
import "./i18n";
import "./styles.css";
import { App } from "./App";

const root = document.getElementById("root");
if (root) {
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
}
