import { Route, Routes } from "react-router";
import "./firms.css";
import { FirmListPage } from "./FirmListPage";
import { FirmProfilePage } from "./FirmProfilePage";

/** The firms screens: the list (`/firms`) and a firm's profile (`/firms/:id`). */
export default function FirmsRoutes() {
  return (
    <Routes>
      <Route index element={<FirmListPage />} />
      <Route path=":id" element={<FirmProfilePage />} />
    </Routes>
  );
}
