import { Route, Routes } from "react-router";
import DisbursementsPage from "./DisbursementsPage";
import LoanDetailPage from "./LoanDetailPage";
import LoansListPage from "./LoansListPage";

/** The loans screens (routes under /loans): the book, one loan, the disbursement queue. */
export default function LoansRoutes() {
  return (
    <Routes>
      <Route index element={<LoansListPage />} />
      <Route path="disbursements" element={<DisbursementsPage />} />
      <Route path=":id" element={<LoanDetailPage />} />
    </Routes>
  );
}
