/** The lifecycle actions the application page offers, and how each is asked. */
import type { ApplicationAction } from "../../gql/graphql";

/** How an action's dialog asks for a reason: not at all (the mutation takes none),
 * optionally, or as a must (the server refuses an empty one: REASON_REQUIRED). */
export type ReasonNeed = "none" | "optional" | "required";

export interface ActionSpec {
  action: ApplicationAction;
  /** The mutation, as `allowedActions(id)` and `myPermissions` name it. */
  mutation: string;
  reason: ReasonNeed;
  danger?: boolean;
}

/** The application page's actions, in the order their buttons show. */
export const ACTIONS: readonly ActionSpec[] = [
  { action: "SUBMIT_APPLICATION", mutation: "submitApplication", reason: "none" },
  { action: "START_REVIEW", mutation: "startReview", reason: "none" },
  { action: "APPROVE_APPLICATION", mutation: "approveApplication", reason: "optional" },
  { action: "REJECT_APPLICATION", mutation: "rejectApplication", reason: "required", danger: true },
  { action: "RETURN_APPLICATION", mutation: "returnApplication", reason: "required" },
  { action: "APPEAL_APPLICATION", mutation: "appealApplication", reason: "required" },
  { action: "WITHDRAW_APPLICATION", mutation: "withdrawApplication", reason: "optional", danger: true },
  { action: "UNDO_APPROVAL", mutation: "undoApproval", reason: "required", danger: true },
  { action: "CANCEL_APPLICATION", mutation: "cancelApplication", reason: "required", danger: true },
  // the maker-checker path on: the payment order, then the funds' arrival (the loan page
  // takes it from there)
  { action: "DISBURSE_LOAN", mutation: "disburseLoan", reason: "none" },
  { action: "CONFIRM_DISBURSEMENT", mutation: "confirmDisbursement", reason: "none" },
];

/** The actions to offer: those the application allows the caller now
 * (`LoanApplication.allowedActions`), that `allowedActions(id)` names, and whose mutation
 * the caller's permissions allow. Never a role name. */
export function offeredActions(
  applicationAllows: readonly ApplicationAction[],
  serverAllows: readonly string[] | null | undefined,
  may: (mutation: string) => boolean,
): ActionSpec[] {
  const named = new Set(serverAllows ?? []);
  return ACTIONS.filter(
    (spec) => applicationAllows.includes(spec.action) && named.has(spec.mutation) && may(spec.mutation),
  );
}
