"""``GET /reports/{id}/download``: a report run's file, to a caller who may see the run.

The caller authenticates as for GraphQL: a bearer token, or the session cookie - on this
GET only when the browser says the request comes from the platform's own pages
(``Sec-Fetch-Site: same-origin``), so a link on another site cannot make a signed-in
browser fetch (and audit) a report. Who may see the run is the report service's rule (own
runs; ``report.view_all`` all). Each download is counted and audited. Answers: 200 with
the file (its Content-Type, and a Content-Disposition filename with an RFC 5987
``filename*`` for the Chinese title), 401 without a signed-in caller, 404 for a run that
does not exist or is not the caller's, 409 while it has no file, 410 once expired.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response

from smecredit.errors import NotFound
from smecredit.graphql.auth import authenticate_context
from smecredit.graphql.context import Context
from smecredit.i18n import negotiate, translate
from smecredit.services.reports.runs import ReportExpired, ReportNotReady, open_download

__all__ = ["CONTENT_TYPES", "content_disposition", "download_endpoint"]

#: The media type of each format.
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII ``filename`` and the exact one as RFC 5987 ``filename*``."""
    fallback = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\;' else "_" for c in filename
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def _refusal(status: int, code: str, message: str, language: str) -> Response:
    text = translate(f"errors.{code}", language, default=message)
    return JSONResponse({"error": {"code": code, "message": text}}, status_code=status)


def download_endpoint(state: Any, settings: Any) -> Callable[[Request], Any]:
    """The route's handler for the application of ``state`` and ``settings``."""

    async def download(request: Request) -> Response:
        context = Context(request=request, settings=settings, plugins=state.plugins)
        same_origin = request.headers.get("sec-fetch-site", "") == "same-origin"
        await authenticate_context(context, state.auth, cookie_on_get=same_origin)
        user = context.user
        language = negotiate(
            request.headers.get("accept-language"),
            getattr(user, "language", None),
            settings.default_language,
        )
        if user is None:
            return _refusal(401, "UNAUTHENTICATED", "sign in first", language)
        raw = request.path_params.get("run_id", "")
        if not str(raw).isdigit():
            return _refusal(404, "NOT_FOUND", "no such report run", language)
        try:
            run, path = await open_download(
                user, int(raw), settings, source_address=context.extra.get("address")
            )
        except NotFound:
            return _refusal(404, "NOT_FOUND", "no such report run", language)
        except ReportExpired as exc:
            return _refusal(410, exc.code, exc.message, language)
        except ReportNotReady as exc:
            return _refusal(409, exc.code, exc.message, language)
        rtype = (getattr(state.plugins, "report_types", None) or {}).get(run.report_name)
        title = run.report_name
        if rtype is not None:
            title = rtype.title_zh if run.language == "zh" else rtype.title_en
        day = (run.finished_at or dt.datetime.now(dt.UTC)).date().isoformat()
        filename = f"{title}-{day}-{run.id}.{run.format}"
        return FileResponse(
            path,
            media_type=CONTENT_TYPES.get(run.format, "application/octet-stream"),
            headers={
                "Content-Disposition": content_disposition(filename),
                "Cache-Control": "no-store",
                "X-Content-Type-Options": "nosniff",
            },
        )

    return download
