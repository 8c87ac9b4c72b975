"""Generate ``docs/error-codes.md`` from the error catalogue (the page cannot drift).

Usage::

    python -m smecredit.i18n.codes_doc                       # print the page
    python -m smecredit.i18n.codes_doc docs/error-codes.md   # write it

Every ``errors.<CODE>`` of the catalogues (``smecredit.i18n``) is one row: the code, the
result-union member a mutation answers it as, what it means, and the message a person
reads in each language. ``tests/i18n/test_codes_doc.py`` fails when the committed page
differs.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from smecredit.i18n import LANGUAGES, catalogue

__all__ = ["MEANINGS", "TOP_LEVEL_ONLY", "main", "render_codes_markdown"]

#: Codes answered only as a top-level error (or an HTTP refusal), never as a member of a
#: mutation's result union: the request did not reach a resolver.
TOP_LEVEL_ONLY: frozenset[str] = frozenset(
    {
        "BAD_USER_INPUT",
        "DOCUMENT_TOO_LARGE",
        "GRAPHQL_VALIDATION_FAILED",
        "INTERNAL_ERROR",
        "METHOD_NOT_ALLOWED",
        "ORIGIN_NOT_ALLOWED",
        "PAYLOAD_TOO_LARGE",
        "UNAUTHENTICATED",
        "UNSUPPORTED_MEDIA_TYPE",
    }
)

#: The English text of a code whose English is the technical text itself.
_TECHNICAL = "{detail}"

#: code -> what it means, for the page (English, for client developers). A code not
#: listed shows its English text; add a line when you add a code whose English is
#: ``"{detail}"``.
MEANINGS: Mapping[str, str] = {
    "ACCOUNT_ERROR": (
        "an account operation was refused (base code; the specific codes below say why)"
    ),
    "ASSIGNEE_REQUIRED": "assigning a warning needs the user name of an officer",
    "BAD_ARTEFACT": "a stored model artefact cannot be read by its model plugin",
    "BAD_CODE": (
        "a code in the data (USCC, ID number, industry, region, enum value) fails its check"
    ),
    "BAD_CURSOR": "a cursor is damaged or belongs to another ordering",
    "BAD_ENCODING": "a file (or one of its lines) is not UTF-8 or GBK",
    "BAD_FORMAT": "a value in the data cannot be parsed (date, amount, phone ...)",
    "BAD_LABEL": "the training target column holds something other than 0/1 (yes/no)",
    "BAD_MAPPING": "the files source's header mapping is malformed",
    "BAD_OPTION": "a training or model option is out of range",
    "BAD_POSITION": "a resume position of the files source is malformed",
    "BAD_REQUEST": "the request cannot be handled (base code of API errors)",
    "BAD_ROW": "a row of a file has the wrong number of cells or broken quoting",
    "BAD_TRAINING_DATA": "a model plugin cannot train on the data it was given",
    "BAD_USER_INPUT": "a variable could not be coerced to its type",
    "COB_RUNNING": "a close-of-business run is already running",
    "CODED_ERROR": "base code of every coded error (never answered on its own)",
    "COMMENT_REQUIRED": "a comment must not be empty",
    "CONFLICT": (
        "the object changed since the version you sent (or the database aborted the "
        "change each time it was tried): reload and retry"
    ),
    "DECRYPTION_FAILED": "stored data could not be decrypted (malformed, unknown key, tampered)",
    "DOCUMENT_TOO_LARGE": (
        "a caller who is not signed in sent a document over 300 tokens or 4,096 characters"
    ),
    "DOMAIN_ERROR": "a rule of the credit domain refused the operation (base code)",
    "DUPLICATE_COLUMN": "a file repeats a column name (a warning of the files source)",
    "DUPLICATE_IDEMPOTENCY_KEY": "the idempotency key was used before for a different request",
    "DUPLICATE_USCC": "a firm with this code already exists",
    "EMPTY_FILE": "the file is empty",
    "EMPTY_TRAINING_DATA": "the training data has no rows",
    "FIELD_TOO_LARGE": "a cell of a file is larger than the reader accepts",
    "FILE_NOT_FOUND": "the file does not exist",
    "FIRM_NOT_FOUND": "no firm with this code in your branches",
    "FORBIDDEN": "your role may not do this, or the field policy denies the field",
    "FOUR_EYES": (
        "the same person would take two steps that need two people (the message names the "
        "rule; see [four-eyes.md](four-eyes.md))"
    ),
    "GRADE_MISSING": (
        "the application has no risk grade, so it cannot be routed for approval (see "
        "[credit-decisions.md](credit-decisions.md))"
    ),
    "GRADE_NOT_COVERED": (
        "the credit policy has no terms for the champion's grade: update the policy"
    ),
    "GRAPHQL_VALIDATION_FAILED": (
        "the query itself is invalid (unknown field, too deep, too many aliases)"
    ),
    "IDEMPOTENCY_KEY_REQUIRED": "a repayment needs a non-blank idempotency key",
    "INCOMPLETE_APPLICATION": (
        "the application lacks evidence, consent or valid terms (`missing` lists them)"
    ),
    "INCONSISTENT_JUDGEMENTS": (
        "AHP pairwise judgements are inconsistent (CR not below the threshold)"
    ),
    "INSECURE_CONFIGURATION": (
        "a configuration that is refused in production (e.g. test password hashing)"
    ),
    "INTERNAL_ERROR": (
        "something unexpected failed: the message says only that; the details go to the "
        "server log, never to the client"
    ),
    "INVALID_ALLOCATION": (
        "a repayment allocation is invalid (base of `INVALID_PAYMENT`, `INVALID_DUES`)"
    ),
    "INVALID_AMOUNT": "an amount must not be negative",
    "INVALID_BACKTEST_INPUT": (
        "a back-test or weight re-estimation cannot use its input (the message says why)"
    ),
    "INVALID_BANDS": "days-past-due bands must start at 0 and never improve as DPD grows",
    "INVALID_BATCH_SIZE": "a sync's batch size must be at least 1",
    "INVALID_BRANCH": "a branch code must be 2-16 upper-case letters or digits",
    "INVALID_CLAIM": "outstanding amounts of a debtor cannot be negative",
    "INVALID_CREDENTIALS": "wrong user name or password (deliberately not saying which)",
    "INVALID_CREDIT_POLICY": (
        "`setCreditPolicy` refused; `extensions.problems` lists every problem (see "
        "[scoring.md](scoring.md))"
    ),
    "INVALID_DPD": "days past due cannot be negative",
    "INVALID_POLICY_RULE": (
        "`setPolicyRule` refused: a parameter the rule does not have the type or range of, "
        "or a kind other than hard / soft (the message names it; see "
        "[credit-decisions.md](credit-decisions.md))"
    ),
    "INVALID_DUES": "the dues of a repayment allocation are inconsistent",
    "INVALID_DUE_DATE": "a rescheduled first due date must be after the day of the change",
    "INVALID_EXPIRY": "a consent must expire after it was granted",
    "INVALID_GRACE": "grace months must be shorter than the term",
    "INVALID_ID": (
        "a global id is malformed, overlong (over 200 characters), has a non-numeric or "
        "out-of-range key, or names a type that is not a node"
    ),
    "INVALID_ID_NUMBER": "the resident ID number fails GB 11643",
    "INVALID_INDUSTRY_CODE": "not a GB/T 4754 division",
    "INVALID_INPUT": (
        "an argument is malformed: `extensions.field` (`InvalidArgument.field`) is its "
        "path (`input.registeredCapital`, `groups[1].ruleWeights[0]`), the message says "
        "what is wrong without repeating the value"
    ),
    "INVALID_MASTER_SCALE": "a master scale's grades repeat or their bounds do not increase",
    "INVALID_METRIC_INPUT": "a model metric cannot be computed from its input",
    "INVALID_MFA_CODE": "a second-factor code is wrong or expired",
    "INVALID_PAIRWISE_MATRIX": "an AHP pairwise matrix is not square, positive and reciprocal",
    "INVALID_PAYMENT": "a payment must be a positive amount in fen",
    "INVALID_PD": "a probability of default must lie between 0 and 1",
    "INVALID_PENALTY_INPUT": "overdue amount and penalty rate cannot be negative",
    "INVALID_PHONE": "a mobile number must be 11 digits starting 13-19",
    "INVALID_PRINCIPAL": "a principal must be a positive amount in fen",
    "INVALID_PRODUCT_TERMS": "a product definition is inconsistent (e.g. minimum above maximum)",
    "INVALID_RANGE": "a date range ends before it starts, or grace days are negative",
    "INVALID_RATE": "an annual rate must be a fraction in [0, 1)",
    "INVALID_REGION_CODE": "not a 6-digit GB/T 2260 code",
    "INVALID_RISK_GRADE": "not one of the risk grades of the authority matrix",
    "INVALID_ROLE": "a user needs at least one role",
    "INVALID_SCHEDULE": (
        "repayment schedule inputs are invalid (base of `INVALID_PRINCIPAL`, `INVALID_RATE` ...)"
    ),
    "INVALID_SCOPE": "a consent scope must be lower-case letters, digits and `_`",
    "INVALID_SCORE": "an indicator value, score or index is not finite or outside [0, 100]",
    "INVALID_SCORE_SCALING": "score scaling parameters (base odds, PDO, base score) are invalid",
    "INVALID_SETTINGS": "a data source's settings break its schema",
    "INVALID_TERM": "a term must be at least one month",
    "INVALID_THRESHOLDS": "a warning rule's thresholds are missing, unordered or not finite",
    "INVALID_TRANSITION": "the object's status does not allow this action",
    "INVALID_USCC": (
        "the unified social credit code fails GB 32100 (length, characters, check character)"
    ),
    "INVALID_USERNAME": "a user name must be 2-64 lower-case letters, digits, `.`, `_` or `-`",
    "INVALID_WEIGHTS": "weights are empty, negative or do not match their rules",
    "KEYRING_INVALID": "the encryption key material is missing or malformed",
    "KEY_MISMATCH": "a configured key differs from the one the data was encrypted with",
    "KEY_MISSING": "the data depends on a key that is not configured",
    "LAST_ADMIN": "the last active administrator cannot be deactivated or lose the role",
    "LEAKAGE_UNACKNOWLEDGED": (
        "a model flagged for possible leakage needs the flags acknowledged before promotion"
    ),
    "LIMIT_EXCEEDED": "the amount exceeds the product maximum or every approval authority",
    "MASKING_KEY_MISSING": "the `hash` masking strategy has no key",
    "MASKING_OPTION_INVALID": "a masking option is unknown or has an invalid value",
    "METHOD_NOT_ALLOWED": "HTTP 405: GraphQL accepts only POST here",
    "MFA_ALREADY_ENROLLED": "an authenticator app is already enrolled",
    "MFA_NOT_ENROLLED": "the account has no authenticator app enrolled",
    "MFA_NOT_STARTED": "confirming an authenticator app needs `enrollTotp` first",
    "MISSING_COLUMNS": "a file lacks required columns",
    "MODEL_NOT_INSTALLED": "the champion's model plugin is not installed",
    "NOT_FOUND": "no such object (or not visible to you)",
    "NO_CHAMPION": "no champion model to score with or roll back",
    "NO_FILE": "the files source needs a path",
    "NO_INDICATOR_DATA": "no indicator with a positive weight has data: no index",
    "NO_INFORMATIVE_INDICATORS": (
        "no indicator raises the default probability in the sample: keep the weights"
    ),
    "NO_KIND": "the files source needs a record kind",
    "NO_PREVIOUS_CHAMPION": "no earlier champion to roll back to",
    "NO_TARGET_COLUMN": "the training CSV has no target column",
    "NO_USABLE_FEATURES": "no feature could be binned or passed the IV cut-off",
    "ORIGIN_NOT_ALLOWED": "HTTP 403: requests from this origin are refused",
    "OUT_OF_RANGE": "a value in the data lies outside what its field allows",
    "POLICY_RULE_NOT_FAILED": (
        "`grantPolicyException` for a policy rule that does not fail for the application"
    ),
    "OVERRIDE_REASON_REQUIRED": (
        "the approval goes against the recommendation (limit, price band, policy check): "
        "give `overrideReason`"
    ),
    "OWN_ACCOUNT": "you cannot reset your own password: use `changePassword`",
    "PAGE_TOO_LARGE": "`first` above the page cap",
    "PASSWORD_REUSED": "the new password must differ from the current one",
    "PAYLOAD_TOO_LARGE": "HTTP 413: a body over 1 MiB, or over 16 KiB without credentials",
    "PLUGIN_CONFLICT": "two plugins register the same name for the same kind of object",
    "PLUGIN_ERROR": "a plugin failed (base code of plugin errors)",
    "POLICY_EXISTS": "the access policy rule already exists",
    "POLICY_INVALID": "an access policy rule is malformed",
    "POLICY_NOT_FOUND": "no such access policy rule",
    "PRECONDITION_FAILED": (
        "a business precondition is not met (balance outstanding, appeal window closed ...)"
    ),
    "REASON_REQUIRED": "the action needs a non-blank reason",
    "RUN_NOT_FOUND": "no such sync or close-of-business run",
    "SCAN_RUNNING": (
        "a portfolio warning scan is already running (one at a time; see "
        "[early-warning.md](early-warning.md))"
    ),
    "SCORING_WORKER_FAILED": "a batch-scoring worker failed; nothing of its chunk was written",
    "SECURITY_ERROR": "a security check refused the operation (base code)",
    "SYNC_RUNNING": "the same sync is still running",
    "TERMS_VIOLATED": (
        "the application's terms break the product's (`extensions.violations` lists the rules)"
    ),
    "TOO_FEW_DEFAULTS": "too few defaults for cross-validation",
    "TOO_MANY_ATTEMPTS": "too many sign-in or second-factor attempts: wait (HTTP `Retry-After`)",
    "UNAUTHENTICATED": (
        "sign in first (or finish the second factor); answered at the top level, also by a mutation"
    ),
    "UNKNOWN_COLUMNS": "a file has columns the mapping does not know (a warning: they are ignored)",
    "UNKNOWN_KIND": "no such record kind",
    "UNKNOWN_MASKING_STRATEGY": "the masking strategy is not installed",
    "UNKNOWN_MODEL": "no installed model family of that name",
    "UNKNOWN_ROLE": "no such role",
    "UNKNOWN_POLICY_RULE": "no policy rule of credit decisions with this code (core or plugin)",
    "UNKNOWN_RULE": "no warning rule with this code",
    "UNKNOWN_SHEET": "the workbook has no such sheet",
    "UNKNOWN_SOURCE": "no installed data source of that name",
    "UNSUPPORTED_FILE": "the file type is not supported by the files source",
    "UNSUPPORTED_MEDIA_TYPE": "HTTP 415: GraphQL requests must be `application/json`",
    "USERNAME_TAKEN": "the user name is taken",
    "USER_ACTIVE": "the user is already active",
    "USER_DISABLED": "the user account is deactivated",
    "USER_NOT_FOUND": "no such user",
    "WEAK_PASSWORD": "the password breaks the policy (`extensions.reasons` lists every rule)",
    "WINDOW_NOT_OBSERVED": "the performance window ends after the book's outcomes are known",
    "WRONG_GROUP": "the warning rule belongs to another group",
    "WRONG_PASSWORD": "the current password is wrong",
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _template(text: str) -> str:
    if text == _TECHNICAL:
        return "*the technical text* (`detail`)"
    return _cell(text).replace("{detail}", "`{detail}`").replace("{field}", "`{field}`")


def render_codes_markdown() -> str:
    """The page: how to read it, then one row per catalogued code, sorted."""
    # Imported here: the catalogue itself must not depend on the GraphQL layer.
    from smecredit.graphql.results import error_type_for

    texts = catalogue()
    zh, en = (texts[lang] for lang in LANGUAGES)
    codes = sorted(key.partition(".")[2] for key in zh if key.startswith("errors."))
    parts = [
        "# Error codes\n\n",
        "Generated from the error catalogue (`platform/smecredit/i18n/catalogues/*.json`, keys "
        "`errors.<CODE>`) by `python -m smecredit.i18n.codes_doc docs/error-codes.md`; "
        "do not edit.\n\n",
        "Every refusal carries one of these codes: a mutation answers it as the member of its "
        "`<Name>Result` union named in the second column (`__typename`, with `code`, "
        "`message`, `detail`), a query as a top-level error with `extensions.code` (see "
        "[graphql.md](graphql.md#errors)). `message` is the text of the last two columns in "
        "the caller's language; *the technical text* is the refusal's own English sentence, "
        "which `detail` (`extensions.detail`) always keeps. `{detail}` in a template is "
        "that sentence. Codes are part of the contract: a code is never renamed.\n\n",
        f"{len(codes)} codes.\n\n",
        "| code | result-union member | meaning | zh-CN | en |\n",
        "|---|---|---|---|---|\n",
    ]
    for code in codes:
        key = f"errors.{code}"
        member = "— (top level)" if code in TOP_LEVEL_ONLY else f"`{error_type_for(code).__name__}`"
        meaning = MEANINGS.get(code) or (en[key] if en[key] != _TECHNICAL else "—")
        parts.append(
            f"| `{code}` | {member} | {_cell(meaning)} | {_template(zh[key])} "
            f"| {_template(en[key])} |\n"
        )
    return "".join(parts)


def main(argv: Sequence[str] | None = None) -> int:
    """Print the page, or write it to the path given."""
    args = list(sys.argv[1:] if argv is None else argv)
    page = render_codes_markdown()
    if args:
        Path(args[0]).write_text(page, encoding="utf-8")
    else:
        sys.stdout.write(page)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
