import { useMemo } from "react";
import { useQuery } from "urql";
import { MyPermissionsDocument } from "../gql/graphql";
import type { MyPermissionsQuery } from "../gql/graphql";

export type FieldAccessKind = "VISIBLE" | "MASKED" | "DENIED";

/** What the signed-in user may read and do, from `myPermissions` (cached by urql: the
 * shell asked for it already). Screens ask this, never a role name. */
export interface Permissions {
  loaded: boolean;
  /** How the user sees `Type.field`: a field the policy does not list is visible. */
  access(typeName: string, field: string): FieldAccessKind;
  /** Some field of the type is visible or masked to the user. */
  reads(typeName: string): boolean;
  /** The user may call the mutation. */
  may(mutation: string): boolean;
}

export function permissionsOf(data: MyPermissionsQuery["myPermissions"] | null | undefined): Permissions {
  const fields = new Map<string, FieldAccessKind>();
  const readable = new Set<string>();
  for (const type of data?.types ?? []) {
    for (const f of type.fields) {
      fields.set(`${type.typeName}.${f.field}`, f.access as FieldAccessKind);
      if (f.access !== "DENIED") readable.add(type.typeName);
    }
  }
  const allowed = new Set((data?.operations ?? []).filter((o) => o.allowed).map((o) => o.mutation));
  return {
    loaded: !!data,
    access: (t, f) => fields.get(`${t}.${f}`) ?? "VISIBLE",
    reads: (t) => readable.has(t),
    may: (m) => allowed.has(m),
  };
}

export function usePermissions(): Permissions {
  const [{ data }] = useQuery({ query: MyPermissionsDocument });
  return useMemo(() => permissionsOf(data?.myPermissions), [data]);
}
