import { Route, Routes } from "react-router";
import { SectionPage } from "../SectionPage";

/** The loans screens (routes under /loans). */
export default function LoansRoutes() {
  return (
    <Routes>
      <Route path="*" element={<SectionPage />} />
    </Routes>
  );
}
