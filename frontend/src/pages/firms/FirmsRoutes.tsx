import { Route, Routes } from "react-router";
import { SectionPage } from "../SectionPage";

/** The firms screens (routes under /firms). */
export default function FirmsRoutes() {
  return (
    <Routes>
      <Route path="*" element={<SectionPage />} />
    </Routes>
  );
}
