// The dashboard lives in ./dashboard/ (App.tsx imports this path).
export { default } from "./dashboard/DashboardPage";
