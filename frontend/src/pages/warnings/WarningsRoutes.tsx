import { Route, Routes } from "react-router";
import { SectionPage } from "../SectionPage";
import { WarningDetailPage } from "./WarningDetailPage";
import { WarningsListPage } from "./WarningsListPage";

/** The warnings screens (routes under /warnings): the live list and one warning. */
export default function WarningsRoutes() {
  return (
    <Routes>
      <Route index element={<WarningsListPage />} />
      <Route path=":id" element={<WarningDetailPage />} />
      <Route path="*" element={<SectionPage />} />
    </Routes>
  );
}
