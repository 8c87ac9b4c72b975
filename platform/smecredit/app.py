"""The Starlette application: /graphql (HTTP + websockets), /healthz, /livez, /readyz, /metrics,
the web client."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import strawberry
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from smecredit import __version__, db, plugin_host
from smecredit.graphql.auth import authenticate_context
from smecredit.graphql.budget import AnonymousBodyLimit, decode_request_json, document_refusal
from smecredit.graphql.context import Context
from smecredit.graphql.plugin_fields import schema_contributions
from smecredit.graphql.schema import build_schema
from smecredit.graphql.session_watch import SessionBoundTransportWSHandler, SessionBoundWSHandler
from smecredit.i18n import negotiate
from smecredit.logs import install_log_caps
from smecredit.plugins import PluginRegistry, load_plugins
from smecredit.report_downloads import download_endpoint
from smecredit.security.crypto import KeyringError
from smecredit.security.http import metrics_refusal, security_middleware
from smecredit.services import audit, session_events
from smecredit.services.backups.schedule import BackupSchedule, run_backup_schedule
from smecredit.services.compliance.schedule import compliance_schedules
from smecredit.services.health import readiness
from smecredit.services.ingestion.runs import reap_dead_runs
from smecredit.services.jobs import JobSupervisor
from smecredit.services.jobs.kinds import (
    scheduled_backup,
    scheduled_close,
    scheduled_scan,
    scheduled_sync,
    start_pending_refreshes,
)
from smecredit.services.key_check import check_database_keys
from smecredit.services.lending.cob import business_today
from smecredit.services.lending.cob_schedule import CobSchedule, run_cob_schedule
from smecredit.services.policies import reload_policies, watch_policies
from smecredit.services.reports.schedule import check_schedule as check_report_schedule
from smecredit.services.reports.schedule import run_report_schedule
from smecredit.services.sessions import AuthRuntime
from smecredit.services.sync_schedule import (
    check_sources,
    run_sync_schedule,
    schedules_from_settings,
)
from smecredit.services.warnings.schedule import ScanSchedule, run_schedule
from smecredit.settings import Settings, load_settings
from smecredit.web import WebClient, graphiql_page

__all__ = ["SmecreditGraphQL", "create_app"]

log = logging.getLogger("smecredit")


class SmecreditGraphQL(GraphQL[Context, None]):
    """The GraphQL endpoint: one context (and dataloader set) per request.

    Before strawberry parses, the body is decoded within a nesting limit and a caller who
    is not signed in is held to the small document budget (:mod:`smecredit.graphql.budget`).
    """

    # A websocket's operations end with its session (sign-out, revocation, deactivation).
    graphql_transport_ws_handler_class = SessionBoundTransportWSHandler
    graphql_ws_handler_class = SessionBoundWSHandler

    def __init__(
        self, schema: strawberry.Schema, settings: Settings, state: Any, *, budgets: bool = True
    ) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql" if settings.is_dev else None,
            # GET may only run queries, never mutations (strawberry refuses those);
            # production turns GET off altogether against CSRF through links.
            allow_queries_via_get=settings.is_dev,
            keep_alive=True,
        )
        self.settings = settings
        self.state = state
        self.budgets = budgets

    async def render_graphql_ide(self, request: Request) -> Response:
        # Development only (``graphql_ide`` is None in production): the IDE bundled with
        # the web client from local packages, never a CDN.
        return graphiql_page(self.settings.web_dist)

    def decode_json(self, data: str | bytes) -> object:
        return decode_request_json(data)

    async def execute_operation(  # type: ignore[override]
        self, request: Any, request_adapter: Any, request_data: Any, context: Any, **kwargs: Any
    ) -> Any:
        if self.budgets and not isinstance(request_data, list):
            refused = document_refusal(request_data.query, context)
            if refused is not None:
                return refused
        return await super().execute_operation(
            request=request,
            request_adapter=request_adapter,
            request_data=request_data,
            context=context,
            **kwargs,
        )

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:  # type: ignore[override]
        context = Context(
            request=request,
            settings=self.settings,
            language=self.settings.default_language,
            plugins=getattr(self.state, "plugins", None),
            response=response,
        )
        # The caller: bearer token or session cookie -> context.user (a Principal or None).
        await authenticate_context(context, self.state.auth)
        context.language = negotiate(
            request.headers.get("accept-language"),
            getattr(context.user, "language", None),
            self.settings.default_language,
        )
        return context


class Metrics:
    """A few counters in the Prometheus text format (no extra dependency)."""

    def __init__(self) -> None:
        self.started = time.time()
        self.requests = 0
        self.errors = 0

    def render(self) -> str:
        return (
            "# TYPE smecredit_uptime_seconds gauge\n"
            f"smecredit_uptime_seconds {time.time() - self.started:.0f}\n"
            "# TYPE smecredit_http_requests_total counter\n"
            f"smecredit_http_requests_total {self.requests}\n"
            "# TYPE smecredit_http_errors_total counter\n"
            f"smecredit_http_errors_total {self.errors}\n"
            f'smecredit_info{{version="{__version__}"}} 1\n'
        )


class MetricsMiddleware:
    """Counts HTTP requests and server errors (pure ASGI, streaming-safe)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.metrics.requests += 1

        async def counting_send(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] >= 500:
                self.metrics.errors += 1
            await send(message)

        await self.app(scope, receive, counting_send)


def create_app(
    settings: Settings | None = None,
    *,
    manage_db: bool = True,
    plugins: PluginRegistry | None = None,
    budgets: bool = True,
) -> Starlette:
    """Build the ASGI app.

    Args:
        settings: configuration (default: from the environment).
        manage_db: open and close the database in the app's lifespan; tests that
            manage the connection themselves pass False.
        plugins: a preloaded plugin registry (default: discover entry points, honouring
            the enable/disable lists, and install the result as the application's, see
            :mod:`smecredit.plugin_host`).
        budgets: False lifts the anonymous body and document budgets (benchmarks only,
            to measure what they save; never in a served app).
    """
    settings = settings or load_settings()
    install_log_caps()  # no log line carries a 900 KB argument whole
    metrics = Metrics()

    class State:
        pass

    state = State()
    registry = plugins if plugins is not None else plugin_host.install(load_plugins(settings))
    state.plugins = registry  # type: ignore[attr-defined]
    state.auth = AuthRuntime.from_settings(settings)  # type: ignore[attr-defined]
    # The one owner of background work: every job runs under it, its lifespan stops them.
    jobs = JobSupervisor()
    state.jobs = jobs  # type: ignore[attr-defined]
    audit.configure(settings)
    session_events.configure(settings)
    extra = schema_contributions(registry)
    schema = build_schema(settings, budgets=budgets, **extra)
    graphql_app = SmecreditGraphQL(schema, settings, state, budgets=budgets)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if manage_db:
            await db.init_db(settings)
        # Refuse to serve with keys that do not belong to this database (KEY_MISMATCH,
        # KEY_MISSING): every lookup of personal data would fail, and new data would be
        # encrypted under a key the rest of the data knows nothing of.
        try:
            await check_database_keys()
        except KeyringError as exc:
            log.error("refusing to serve: %s: %s", exc.code, exc)
            if manage_db:
                await db.close_db()
            raise
        # The access policy lives in the database (seeded from schema/casbin/policy.csv).
        await reload_policies(audit=False)
        # Syncs and imports left "running" by a process that died are marked interrupted
        # now, not only when the next run of the same request starts.
        await reap_dead_runs(stale_after=settings.sync_stale_after)
        policy_watch = asyncio.create_task(watch_policies())
        # A plugin whose start-up fails is withdrawn from this registry, rules and all.
        await registry.startup(settings)
        # Jobs left queued or running by a dead process of this host end as interrupted.
        await jobs.open()
        # The built-in portfolio scan schedule (off unless SMECREDIT_WARNING_SCAN_EVERY/_AT
        # is set); every server process runs it, the database lets one scan at a time.
        # Each scheduled round's work is a job of the supervisor, like a mutation's.
        schedule = ScanSchedule.from_settings(settings)
        if schedule:
            scan = scheduled_scan(jobs, settings=settings, rules=registry.warning_rules)
            jobs.keep(
                run_schedule(schedule, scan=scan, settings=settings, rules=registry.warning_rules),
                name="warning-scan-schedule",
            )
        # Per-source sync schedules (SMECREDIT_SYNC_SCHEDULE), refused at start when they
        # name a source no plugin provides; refresh jobs a dead process left are run now.
        sync_schedules = schedules_from_settings(settings)
        if sync_schedules:
            check_sources(sync_schedules, registry)
        jobs.keep(
            start_pending_refreshes(jobs, settings=settings, stale_after=settings.sync_stale_after),
            name="pending-refreshes",
        )
        if sync_schedules:
            jobs.keep(
                run_sync_schedule(
                    sync_schedules, registry, settings=settings, run=scheduled_sync(jobs)
                ),
                name="sync-schedule",
            )
        # The built-in close of business (off unless SMECREDIT_COB_AT is set), the same way.
        cob_schedule = CobSchedule.from_settings(settings)
        if cob_schedule:
            close = scheduled_close(jobs, stale_after=cob_schedule.stale_after)
            jobs.keep(run_cob_schedule(cob_schedule, close=close), name="cob-schedule")
        # The daily backup (off unless SMECREDIT_BACKUP_SCHEDULE is set): one process takes
        # it (a lock), each backup is a job of the supervisor.
        backup_schedule = BackupSchedule.from_settings(settings)
        if backup_schedule:
            backup = scheduled_backup(jobs, settings=settings)
            jobs.keep(
                run_backup_schedule(backup_schedule, settings=settings, run=backup),
                name="backup-schedule",
            )
        # The daily compliance run and decision feedback scan (off unless set), as jobs.
        for task in compliance_schedules(jobs, settings):
            jobs.keep(task, name="compliance-schedule")
        # Scheduled reports (SMECREDIT_REPORT_SCHEDULE, refused at start when a report is
        # not installed) and the retention purge of report artefacts, in one loop.
        check_report_schedule(settings.report_schedule, registry)
        jobs.keep(
            run_report_schedule(
                settings.report_schedule,
                supervisor=jobs,
                plugins=registry,
                settings=settings,
                today=lambda: business_today(settings),
            ),
            name="report-schedule",
        )
        try:
            yield
        finally:
            policy_watch.cancel()
            # Stop background work (the schedules, then every job: scans, weight
            # proposals, closes of business, syncs, refreshes, training) and wait, so
            # each records that it was interrupted while the database is still open.
            await jobs.shutdown()
            await asyncio.gather(policy_watch, return_exceptions=True)
            await registry.shutdown()
            if manage_db:
                await db.close_db()

    async def healthz(request: Request) -> Response:
        ok = await db.ping()
        return JSONResponse(
            {"status": "ok" if ok else "unavailable", "database": ok, "version": __version__},
            status_code=200 if ok else 503,
        )

    async def livez(request: Request) -> Response:
        # The process answers: nothing else is asked (a deployment restarts it otherwise).
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        # May this process take traffic (services.health: database, Redis, migrations, keys)?
        checks = await readiness(settings)
        ready = all(check.passed for check in checks)
        return JSONResponse(
            {
                "status": "ok" if ready else "unavailable",
                "checks": {check.name: check.as_json() for check in checks},
            },
            status_code=200 if ready else 503,
        )

    async def metrics_endpoint(request: Request) -> Response:
        # Not public: a token and/or the internal listener (see security.http.metrics_refusal).
        refusal = metrics_refusal(request, settings)
        if refusal is not None:
            return refusal
        return PlainTextResponse(metrics.render(), media_type="text/plain; version=0.0.4")

    routes: list[Any] = [
        Route("/healthz", healthz),
        Route("/livez", livez),
        Route("/readyz", readyz),
        Route("/metrics", metrics_endpoint),
        Route("/graphql", graphql_app, methods=["GET", "POST"]),
        Route("/reports/{run_id}/download", download_endpoint(state, settings), methods=["GET"]),
        WebSocketRoute("/graphql", graphql_app),
    ]
    # The web client (SMECREDIT_WEB_DIST) at /, deep links answered by its index.html;
    # without a build, / says how to make one.
    routes.append(Mount("/", WebClient(settings.web_dist), name="web"))

    # Outside the request guard, which reads the body: a body too large for a caller
    # without credentials is refused before it is read.
    body_budget = (
        [Middleware(AnonymousBodyLimit, cookie_name=state.auth.cookie_name)]  # type: ignore[attr-defined]
        if budgets
        else []
    )
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[
            Middleware(MetricsMiddleware, metrics=metrics),
            *body_budget,
            *security_middleware(settings),
        ],
    )
    app.state.settings = settings
    app.state.schema = schema
    app.state.plugins = state.plugins  # type: ignore[attr-defined]
    app.state.auth = state.auth  # type: ignore[attr-defined]
    app.state.jobs = jobs
    return app
