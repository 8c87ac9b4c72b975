import { Route, Routes } from "react-router";
import { SectionPage } from "../SectionPage";

/** The warnings screens (routes under /warnings). */
export default function WarningsRoutes() {
  return (
    <Routes>
      <Route path="*" element={<SectionPage />} />
    </Routes>
  );
}
