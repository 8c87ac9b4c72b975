import "./applications.css";
import { Route, Routes, useLocation } from "react-router";
import { ApplicationPage } from "./ApplicationPage";
import { ApprovalQueuePage, MyApplicationsPage } from "./ApplicationListPage";
import { NewApplicationPage } from "./NewApplicationPage";

/** The applications screens, mounted at /applications/* and at /approvals/* (the queue). */
export default function ApplicationsRoutes() {
  const { pathname } = useLocation();
  if (pathname.startsWith("/approvals")) {
    return (
      <Routes>
        <Route index element={<ApprovalQueuePage />} />
        <Route path=":id" element={<ApplicationPage />} />
      </Routes>
    );
  }
  return (
    <Routes>
      <Route index element={<MyApplicationsPage />} />
      <Route path="new" element={<NewApplicationPage />} />
      <Route path=":id" element={<ApplicationPage />} />
    </Routes>
  );
}
