"""Reusable flows of the browser tests: the maker-checker path through the API, and a
TOTP sign-in in the browser.

The browser suite shares one seeded platform (``browser_support.platform``). Tests that
change data make their own applications; these helpers make them quickly through the API
so a test can drive in the browser only the step it is about.

Reserved data (other tests must not change it):

* :data:`RESERVED_FIRM` — the seeded firm of branch HZ01 the applications and loans tests
  apply for. Its bureau consent is granted by :func:`create_application` when it lacks
  one (idempotent), so its applications are complete.
* :data:`APPROVER` — ``approver.apps``, an approver of branch HZ01 created through the
  CLI by :func:`create_approver` (once per platform), its authenticator enrolled through
  the API. Never ``approver.hz``: a forced-enrolment test relies on its first sign-in.

Every TOTP code is accepted once only: :func:`totp_code` hands out codes of time-steps
never used before for a secret (waiting for the next step when it must), for the API and
the browser alike. API sessions (:func:`session`) are kept per user and platform, so an
approver's API steps spend one code, not one per call.

The maker-checker path to an approved application::

    approver = create_approver(platform)
    app = create_application(platform)               # DRAFT, officer.hz
    app = submit_application(platform, app)          # SUBMITTED, scored (grade G here)
    app = start_review(platform, approver, app)      # UNDER_REVIEW
    app = approve_application(platform, approver, app)  # APPROVED (+ the committee's)

After that the demo loan officer ``checker.hz`` (HZ01, not the maker) may issue the payment
order (``disburseLoan``), which its issuer may not confirm. Mind that
``test_journeys`` resets ``checker.hz``'s password (to ``Fresh!Larch-2026hz`` once changed):
a test that signs it in should make a user of its own instead.

Other users a module needs (its own, so the shared demo users' state stays as other tests
expect) come from :func:`create_user`: through the CLI, with an authenticator enrolled
through the API when ``totp`` (approvers and risk analysts must). :func:`session` then
signs them in for API steps, :func:`sign_in_user` in the browser::

    disburser = create_user(platform, "loans.disb.x1", "loan_officer", "HZ01")
    committee = create_user(platform, "loans.comm.x1", "credit_committee", "HQ")
    app = approve_application(platform, approver, app, committee=committee.username)
    sign_in_user(web, disburser)

The signatures below are kept stable (the applications, loans, warnings and dashboard
tests use them).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import pyotp
from browser_support import USERS, Page, Platform, _enrol

__all__ = [
    "APPROVER",
    "COMMITTEE",
    "OFFICER",
    "RESERVED_FIRM",
    "Api",
    "Application",
    "Approver",
    "User",
    "approve_application",
    "create_application",
    "create_approver",
    "create_user",
    "firm_id",
    "reject_application",
    "session",
    "sign_in_user",
    "sign_in_with_totp",
    "start_review",
    "submit_application",
    "totp_code",
]

#: The seeded firm (branch HZ01, with recent statements and bureau summary) reserved for
#: the applications and loans browser tests; picked by name.
RESERVED_FIRM = "杭州凌云商贸有限公司"
#: The maker of the tests' applications (a demo loan officer of HZ01).
OFFICER = "officer.hz"
#: A demo credit committee member (HQ, no second factor): the seeded firms score F-G, whose
#: applications need two approvals, one of them the committee's (authority rule
#: ``committee``); :func:`approve_application` adds this one's when it is needed.
COMMITTEE = "committee"
#: The approver the tests create (branch HZ01).
APPROVER = "approver.apps"
APPROVER_PASSWORD = "Apps!Spruce-2026hz"
#: Terms inside the demo product ``TAX-EASY`` (10k-500k, 3-12 months, 4.5%-18%). The
#: reserved firm grades G (suggested limit 0): approving needs an override reason.
PRODUCT = "TAX-EASY"
AMOUNT = "120000.00"
TERM_MONTHS = 12
RATE = "0.0780"
METHOD = "EQUAL_INSTALMENT"
OVERRIDE_REASON = "经核实经营稳定，同意超建议额度 checked: stable business"

_STEP = 30


@dataclass
class User:
    """A user a test made (:func:`create_user`); ``secret`` when it enrolled an
    authenticator (then it signs in with a TOTP code)."""

    username: str
    password: str
    secret: str | None = None
    recovery_codes: list[str] = field(default_factory=list)
    #: The newest TOTP time-step used (the server refuses it and older ones).
    last_step: int = 0


#: A user with an enrolled authenticator (the approvers of :func:`create_approver`).
Approver = User


@dataclass
class Application:
    """An application as the API last answered it."""

    id: str
    version: int
    status: str
    raw: dict[str, Any] = field(default_factory=dict)


_users: dict[tuple[str, str], User] = {}
_sessions: dict[tuple[str, str], Api] = {}
_firms: dict[tuple[str, str], tuple[str, str]] = {}


def totp_code(user: User) -> str:
    """A TOTP code of a time-step newer than any used for ``user`` (the server accepts
    one step either side of now); waits for the clock when every such step was used."""
    assert user.secret is not None, f"{user.username} has no authenticator"
    while True:
        current = int(time.time()) // _STEP
        step = max(user.last_step + 1, current - 1)
        if step <= current + 1:
            user.last_step = step
            return str(pyotp.TOTP(user.secret).at(step * _STEP))
        time.sleep(_STEP - time.time() % _STEP + 0.2)


class Api:
    """A signed-in GraphQL client (a cookie session, like the browser's)."""

    def __init__(self, platform: Platform, username: str, password: str | None = None) -> None:
        self.client = httpx.Client(base_url=platform.url, timeout=60)
        self.platform = platform
        self.username = username
        self.password = password or USERS[username]["password"]
        self.sign_in()

    def sign_in(self) -> None:
        """Password, then (for a user made here) a fresh TOTP code."""
        answer = self._post(
            "mutation($u: String!, $p: String!) { signIn(username: $u, password: $p) "
            "{ __typename ... on SignInPayload { mfaRequired } "
            "... on BusinessError { code message } } }",
            {"u": self.username, "p": self.password},
        )["data"]["signIn"]
        assert answer["__typename"] == "SignInPayload", answer
        if answer["mfaRequired"]:
            user = _users.get((self.platform.url, self.username))
            assert user is not None and user.secret, (
                f"{self.username} needs a TOTP code: create it with browser_flows.create_user"
            )
            done = self._post(
                "mutation($c: String!) { verifyTotp(code: $c) { __typename "
                "... on BusinessError { code message } } }",
                {"c": totp_code(user)},
            )["data"]["verifyTotp"]
            assert done["__typename"] == "User", done

    def _post(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        answer = self.client.post("/graphql", json={"query": query, "variables": variables})
        body: dict[str, Any] = answer.json()
        assert "errors" not in body, body
        return body

    def call(self, query: str, **variables: Any) -> dict[str, Any]:
        """Run a query or mutation; its data (GraphQL errors fail the test). A session that
        ended meanwhile (idle time-out) is signed in again once."""
        answer = self.client.post("/graphql", json={"query": query, "variables": variables})
        body = answer.json()
        codes = {e.get("extensions", {}).get("code") for e in body.get("errors", [])}
        if "UNAUTHENTICATED" in codes:
            self.sign_in()
            body = self.client.post(
                "/graphql", json={"query": query, "variables": variables}
            ).json()
        assert "errors" not in body, body
        return body["data"]  # type: ignore[no-any-return]

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Api:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def session(platform: Platform, username: str) -> Api:
    """A signed-in API session of ``username`` (a demo user, or one made here), reused:
    every sign-in of an approver spends a TOTP step."""
    key = (platform.url, username)
    if key not in _sessions:
        user = _users.get(key)
        _sessions[key] = Api(platform, username, user.password if user else None)
    return _sessions[key]


_APPLICATION = """
  __typename
  ... on LoanApplication { id version status allowedActions }
  ... on BusinessError { code message }
"""


def _application(answer: dict[str, Any]) -> Application:
    assert answer["__typename"] == "LoanApplication", answer
    return Application(answer["id"], answer["version"], answer["status"], answer)


def create_user(
    platform: Platform,
    username: str,
    role: str,
    branch: str,
    *,
    password: str = APPROVER_PASSWORD,
    display_name: str | None = None,
    totp: bool = False,
) -> User:
    """The user ``username`` (``role`` at ``branch``), created through the CLI; with
    ``totp`` its authenticator is enrolled through the API. Once per platform: later calls
    return it."""
    key = (platform.url, username)
    if key in _users:
        return _users[key]
    platform.smecredit(
        "users",
        "create",
        username,
        "--role",
        role,
        "--branch",
        branch,
        "--display-name",
        display_name or username,
        "--password-stdin",
        stdin=password + "\n",
    )
    user = User(username, password)
    if totp:
        user.secret, user.recovery_codes = _enrol(platform.url, username, password)
        # _enrol confirmed with the previous step's code.
        user.last_step = int(time.time()) // _STEP
    _users[key] = user
    return user


def create_approver(platform: Platform, username: str = APPROVER) -> Approver:
    """The approver ``username`` of branch HZ01, created through the CLI and its
    authenticator enrolled through the API (once per platform: later calls return it)."""
    return create_user(
        platform,
        username,
        "approver",
        "HZ01",
        display_name="测试审批人 Test Approver",
        totp=True,
    )


def firm_id(platform: Platform, name: str = RESERVED_FIRM) -> str:
    """The global id of the firm named ``name`` (its consent to bureau queries granted)."""
    key = (platform.url, name)
    if key not in _firms:
        api = session(platform, OFFICER)
        edges = api.call(
            "query($n: String!) { firms(first: 5, filter: {nameContains: $n}) "
            "{ edges { node { id name uscc } } } }",
            n=name,
        )["firms"]["edges"]
        assert edges, f"no seeded firm named {name!r}"
        firm = edges[0]["node"]
        granted = api.call(
            'mutation($u: String!) { grantConsent(uscc: $u, scope: "bureau", '
            'evidenceRef: "browser-tests") { __typename ... on BusinessError { code } } }',
            u=firm["uscc"],
        )["grantConsent"]
        assert granted["__typename"] == "Consent", granted
        _firms[key] = (firm["id"], firm["uscc"])
    return _firms[key][0]


def create_application(
    platform: Platform,
    *,
    amount: str = AMOUNT,
    term_months: int = TERM_MONTHS,
    annual_rate: str = RATE,
    product_code: str = PRODUCT,
    firm: str = RESERVED_FIRM,
    maker: str = OFFICER,
) -> Application:
    """A draft application of ``maker`` (a loan officer) for the reserved firm."""
    fid = firm_id(platform, firm)
    api = session(platform, maker)
    answer = api.call(
        f"mutation($i: CreateApplicationInput!) {{ createApplication(input: $i) "
        f"{{ {_APPLICATION} }} }}",
        i={
            "firmId": fid,
            "productCode": product_code,
            "amount": amount,
            "termMonths": term_months,
            "annualRate": annual_rate,
            "repaymentMethod": METHOD,
            "purpose": "浏览器测试 browser test",
        },
    )["createApplication"]
    return _application(answer)


def _transition(
    platform: Platform,
    username: str,
    mutation: str,
    application_id: str,
    expected_version: int | None,
    **args: str | None,
) -> Application:
    params = "".join(f", ${k}: String" for k in args)
    passed = "".join(f", {k}: ${k}" for k in args)
    api = session(platform, username)
    answer = api.call(
        f"mutation($id: ID!, $v: Int{params}) {{ {mutation}(id: $id, expectedVersion: $v"
        f"{passed}) {{ {_APPLICATION} }} }}",
        id=application_id,
        v=expected_version,
        **args,
    )[mutation]
    return _application(answer)


def submit_application(
    platform: Platform, application: Application, *, maker: str = OFFICER
) -> Application:
    """Submit the application (it is scored on submission)."""
    return _transition(platform, maker, "submitApplication", application.id, application.version)


def start_review(platform: Platform, approver: Approver, application: Application) -> Application:
    """``approver`` takes the submitted application into review."""
    return _transition(
        platform, approver.username, "startReview", application.id, application.version
    )


def approve_application(
    platform: Platform,
    approver: Approver,
    application: Application,
    *,
    reason: str = "材料齐全，同意 complete, approved",
    override_reason: str | None = OVERRIDE_REASON,
    fully: bool = True,
    committee: str = COMMITTEE,
) -> Application:
    """``approver`` approves the application under review (with ``override_reason``, which
    an approval against the recommendation needs); with ``fully``, ``committee`` (the demo
    committee member unless told) approves too while the authority matrix asks for more,
    so the result is APPROVED."""
    done = _transition(
        platform,
        approver.username,
        "approveApplication",
        application.id,
        application.version,
        reason=reason,
        overrideReason=override_reason,
    )
    if fully and done.status == "UNDER_REVIEW":
        done = _transition(
            platform,
            committee,
            "approveApplication",
            done.id,
            done.version,
            reason=reason,
            overrideReason=override_reason,
        )
    return done


def reject_application(
    platform: Platform,
    approver: Approver,
    application: Application,
    *,
    reason: str = "经营风险较高 risk too high",
) -> Application:
    """``approver`` rejects the application under review."""
    return _transition(
        platform,
        approver.username,
        "rejectApplication",
        application.id,
        application.version,
        reason=reason,
    )


def sign_in_with_totp(web: Page, user: User) -> None:
    """Sign ``user`` in in the browser: password, then a fresh authenticator code."""
    web.sign_in(user.username, user.password)
    web.page.locator("#mfa_code").wait_for()
    web.page.locator("#mfa_code").fill(totp_code(user))
    web.page.locator("form#mfa button[type=submit]").click()
    web.wait_for_dashboard()


def sign_in_user(web: Page, user: User) -> None:
    """Sign ``user`` in in a fresh browser session (the previous user's cookie goes
    first): password, then a fresh authenticator code if it has one; waits for the first
    page's title (not every role's dashboard shows the book's charts)."""
    web.page.context.clear_cookies()
    web.goto("/signin")
    web.sign_in(user.username, user.password)
    if user.secret:
        web.page.locator("#mfa_code").wait_for()
        web.page.locator("#mfa_code").fill(totp_code(user))
        web.page.locator("form#mfa button[type=submit]").click()
    web.page.get_by_test_id("page-title").wait_for()
