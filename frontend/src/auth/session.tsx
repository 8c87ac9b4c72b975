import { createContext, useCallback, useContext, useEffect, useMemo, useState } from "react";
import type { ReactNode } from "react";
import { useClient } from "urql";
import { MeDocument, SignOutDocument } from "../gql/graphql";
import i18n, { currentLanguage, rememberLanguage } from "../i18n";
import type { SessionUserFragment } from "../gql/graphql";

/** Why the user is on the sign-in page: shown there as a notice. */
export type SignInNotice = "expired" | "signedOut" | null;

export interface Session {
  status: "loading" | "anonymous" | "signedIn";
  user: SessionUserFragment | null;
  notice: SignInNotice;
  /** A sign-in completed (every step done). */
  signedIn(user: SessionUserFragment): void;
  signOut(): Promise<void>;
  /** Ask the API who is signed in (after a step that completes a session). */
  refresh(): Promise<SessionUserFragment | null>;
}

const SessionContext = createContext<Session | null>(null);

/** Fired by the GraphQL client when an operation answers UNAUTHENTICATED. */
export const sessionEvents = new EventTarget();
export function announceSessionEnded(): void {
  sessionEvents.dispatchEvent(new Event("ended"));
}

/** `onChange` is called when the signed-in user changes (sign-in, sign-out, expiry). */
export function SessionProvider({ children, onChange }: { children: ReactNode; onChange?: () => void }) {
  const client = useClient();
  const [status, setStatus] = useState<Session["status"]>("loading");
  const [user, setUser] = useState<SessionUserFragment | null>(null);
  const [notice, setNotice] = useState<SignInNotice>(null);

  const refresh = useCallback(async () => {
    const result = await client.query(MeDocument, {}, { requestPolicy: "network-only" }).toPromise();
    const me = result.data?.me ?? null;
    setUser(me);
    setStatus(me ? "signedIn" : "anonymous");
    if (me) onChange?.();
    return me;
  }, [client, onChange]);

  useEffect(() => {
    void refresh();
    // Only once: later clients (a language switch) share the same cookie session.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  // A user who saved a language reads the UI in it too, on any browser.
  useEffect(() => {
    const saved = user?.language === "EN" ? "en" : user?.language === "ZH_CN" ? "zh-CN" : null;
    if (saved && saved !== currentLanguage()) {
      rememberLanguage(saved);
      void i18n.changeLanguage(saved);
    }
  }, [user?.language]);

  useEffect(() => {
    const ended = () => {
      setUser((current) => {
        if (current) {
          setNotice("expired");
          setStatus("anonymous");
          onChange?.();
        }
        return null;
      });
    };
    sessionEvents.addEventListener("ended", ended);
    return () => sessionEvents.removeEventListener("ended", ended);
  }, [onChange]);

  const value = useMemo<Session>(
    () => ({
      status,
      user,
      notice,
      signedIn(next) {
        setUser(next);
        setNotice(null);
        setStatus("signedIn");
        onChange?.();
      },
      async signOut() {
        await client.mutation(SignOutDocument, {}).toPromise();
        setUser(null);
        setNotice("signedOut");
        setStatus("anonymous");
        onChange?.();
      },
      refresh,
    }),
    [client, notice, onChange, refresh, status, user],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession outside SessionProvider");
  return session;
}
