import { AutoComplete } from "antd";
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { useNavigate } from "react-router";
import { useQuery } from "urql";
import { usePermissions } from "../api/permissions";
import { FirmSearchDocument } from "../gql/graphql";
import "./FirmSearch.css";

/** How long typing must pause before the search asks the API. */
export const SEARCH_DEBOUNCE_MS = 300;
/** The longest text FirmFilter.search takes. */
const MAX_SEARCH = 60;

/** `value` once it has stopped changing for `delay` ms. */
export function useDebounced<T>(value: T, delay: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = window.setTimeout(() => setSettled(value), delay);
    return () => window.clearTimeout(timer);
  }, [value, delay]);
  return settled;
}

/** The global firm search of the header: part of a name or the start of a unified social
 * credit code; choosing a firm opens its profile. */
export function FirmSearch() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const permissions = usePermissions();
  const [text, setText] = useState("");
  const search = useDebounced(text.trim(), SEARCH_DEBOUNCE_MS);
  const [{ data, fetching }] = useQuery({
    query: FirmSearchDocument,
    variables: { search },
    pause: search.length < 2 || !permissions.reads("Firm"),
  });
  // Offered only to a user who can read firms (as the navigation's firms entry).
  if (!permissions.reads("Firm")) return null;
  const firms = search.length >= 2 ? (data?.firms.edges.map((e) => e.node) ?? []) : [];
  const options = firms.map((f) => ({
    value: f.id,
    label: (
      <span className="firm-search-option" data-testid="firm-search-option">
        <span>{f.name}</span>
        <span className="uscc">{f.uscc}</span>
      </span>
    ),
  }));
  return (
    <>
      <label htmlFor="firm-search" className="visually-hidden">
        {t("firms.search.label")}
      </label>
      <AutoComplete
        id="firm-search"
        className="firm-search"
        value={text}
        options={options}
        onChange={(value: string) => {
          // Choosing an option "changes" the text to the firm's id: that is not typing.
          if (!firms.some((f) => f.id === value)) setText((value ?? "").slice(0, MAX_SEARCH));
        }}
        onSelect={(id: string) => {
          setText("");
          navigate(`/firms/${encodeURIComponent(id)}`);
        }}
        placeholder={t("firms.search.placeholder")}
        aria-label={t("firms.search.label")}
        notFoundContent={search.length >= 2 && !fetching ? t("firms.search.none") : null}
        popupMatchSelectWidth={320}
        data-testid="firm-search"
      />
    </>
  );
}
