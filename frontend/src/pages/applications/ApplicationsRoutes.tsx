import { Route, Routes } from "react-router";
import { SectionPage } from "../SectionPage";

/** The applications screens (routes under /applications). */
export default function ApplicationsRoutes() {
  return (
    <Routes>
      <Route path="*" element={<SectionPage />} />
    </Routes>
  );
}
