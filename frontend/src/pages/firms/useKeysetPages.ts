import { useMemo, useState } from "react";
import type { AnyVariables, DocumentInput } from "urql";
import { useQuery } from "urql";
import type { CombinedError } from "@urql/core";

/** A keyset connection as the list needs it. */
export interface PageOf<T> {
  nodes: T[];
  hasNextPage: boolean;
  endCursor: string | null;
  totalCount?: number | null;
}

export interface KeysetPages<T> {
  rows: T[];
  hasMore: boolean;
  total: number | null;
  /** The first page is loading. */
  loading: boolean;
  /** A further page is loading. */
  loadingMore: boolean;
  error: CombinedError | undefined;
  /** The answer came without the connection: the field policy denies it to the user. */
  denied: boolean;
  loadMore: () => void;
}

/** "Load more" over a keyset connection: the pages fetched so far, in order, for one set
 * of variables (a change of variables starts again at the first page). Each page is its own
 * cached query, keyed by the cursor it starts after. */
export function useKeysetPages<Data, Vars extends AnyVariables, T>(
  query: DocumentInput<Data, Vars>,
  variables: Omit<Vars, "after">,
  select: (data: Data) => PageOf<T> | null,
  pause = false,
): KeysetPages<T> {
  const key = JSON.stringify(variables);
  const [state, setState] = useState<{ key: string; cursors: (string | null)[]; pages: Record<string, PageOf<T>> }>({
    key,
    cursors: [null],
    pages: {},
  });
  const current = state.key === key ? state : { key, cursors: [null], pages: {} };
  const after = current.cursors[current.cursors.length - 1] ?? null;
  const [{ data, fetching, error, operation }] = useQuery<Data, Vars>({
    query,
    variables: { ...variables, after } as unknown as Vars,
    pause,
  });
  const answered = operation?.variables as ({ after?: string | null } & Record<string, unknown>) | undefined;
  const sameVariables = !!answered && JSON.stringify({ ...answered, after: undefined }) === JSON.stringify({ ...variables, after: undefined });
  const page = data && sameVariables ? select(data) : null;
  const pageKey = answered?.after ?? "";
  const pages = useMemo(() => {
    if (!page || (answered?.after ?? null) !== after) return current.pages;
    return { ...current.pages, [pageKey]: page };
  }, [page, answered, after, pageKey, current.pages]);
  const rows = current.cursors.flatMap((c) => pages[c ?? ""]?.nodes ?? []);
  const last = pages[after ?? ""];
  const first = pages[""];
  return {
    rows,
    hasMore: !!last?.hasNextPage,
    total: first?.totalCount ?? null,
    loading: fetching && !first,
    loadingMore: fetching && !!first,
    error,
    denied: !!data && sameVariables && !first && page === null,
    loadMore: () => {
      if (!last?.hasNextPage || !last.endCursor) return;
      const cursor = last.endCursor;
      setState({ key, cursors: [...current.cursors, cursor], pages });
    },
  };
}
