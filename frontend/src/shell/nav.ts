import type { MyPermissionsQuery } from "../gql/graphql";

export type Permissions = MyPermissionsQuery["myPermissions"];

/** One entry of the navigation. Whether it shows is asked of the permissions the API
 * reports (`myPermissions`): a type the user can read, a mutation the user may call.
 * No entry names a role. */
export interface NavEntry {
  key: string;
  path: string;
  labelKey: string;
  visible(p: PermissionView): boolean;
}

export interface PermissionView {
  /** Some field of the type is visible or masked to the user. */
  reads(typeName: string): boolean;
  /** The user may call the mutation. */
  may(mutation: string): boolean;
}

export function permissionView(p: Permissions | null | undefined): PermissionView {
  const readable = new Set(
    (p?.types ?? [])
      .filter((t) => t.fields.some((f) => f.access !== "DENIED"))
      .map((t) => t.typeName),
  );
  const allowed = new Set((p?.operations ?? []).filter((o) => o.allowed).map((o) => o.mutation));
  return { reads: (t) => readable.has(t), may: (m) => allowed.has(m) };
}

export const NAV: readonly NavEntry[] = [
  { key: "dashboard", path: "/", labelKey: "nav.dashboard", visible: () => true },
  { key: "firms", path: "/firms", labelKey: "nav.firms", visible: (p) => p.reads("Firm") },
  {
    key: "applications",
    path: "/applications",
    labelKey: "nav.applications",
    visible: (p) => p.reads("LoanApplication"),
  },
  {
    key: "new-application",
    path: "/applications/new",
    labelKey: "nav.newApplication",
    visible: (p) => p.may("createApplication"),
  },
  {
    key: "approvals",
    path: "/approvals",
    labelKey: "nav.approvals",
    visible: (p) => p.may("approveApplication"),
  },
  { key: "loans", path: "/loans", labelKey: "nav.loans", visible: (p) => p.reads("Loan") },
  {
    key: "warnings",
    path: "/warnings",
    labelKey: "nav.warnings",
    visible: (p) => p.reads("Warning"),
  },
  {
    key: "models",
    path: "/models",
    labelKey: "nav.models",
    visible: (p) => p.may("promoteModel") || p.may("trainModel"),
  },
  {
    key: "sources",
    path: "/sources",
    labelKey: "nav.sources",
    visible: (p) => p.may("startSync"),
  },
  { key: "users", path: "/users", labelKey: "nav.users", visible: (p) => p.may("createUser") },
  { key: "audit", path: "/audit", labelKey: "nav.audit", visible: (p) => p.reads("AuditEntry") },
  {
    key: "policies",
    path: "/policies",
    labelKey: "nav.policies",
    visible: (p) => p.reads("PolicyRule"),
  },
  { key: "plugins", path: "/plugins", labelKey: "nav.plugins", visible: (p) => p.reads("Plugin") },
];

export function visibleNav(p: Permissions | null | undefined): NavEntry[] {
  const view = permissionView(p);
  return NAV.filter((entry) => entry.visible(view));
}

/** The entry a path belongs to (the longest matching path), or null. */
export function navFor(pathname: string, entries: readonly NavEntry[]): NavEntry | null {
  let best: NavEntry | null = null;
  for (const entry of entries) {
    const match =
      entry.path === "/" ? pathname === "/" : pathname === entry.path || pathname.startsWith(`${entry.path}/`);
    if (match && (!best || entry.path.length > best.path.length)) best = entry;
  }
  return best;
}
