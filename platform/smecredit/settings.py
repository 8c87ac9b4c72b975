"""Configuration from ``SMECREDIT_*`` environment variables.

Every setting is read once into an immutable :class:`Settings`. A bad value
raises :class:`SettingsError` whose message is one line naming the variable,
so start-up stops with something a person can act on.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

__all__ = [
    "DEFAULT_COB_STALE_AFTER",
    "DEFAULT_COMPLIANCE_KEY_MAX_AGE",
    "DEFAULT_DATABASE_URL",
    "DEFAULT_KEY_FILE",
    "DEFAULT_MFA_REQUIRED_ROLES",
    "DEFAULT_REPORT_PDF_MAX_ROWS",
    "DEFAULT_REPORT_RETENTION",
    "DEFAULT_SESSION_ABSOLUTE_SECONDS",
    "DEFAULT_SESSION_IDLE_SECONDS",
    "DEFAULT_SQLITE_BUSY_TIMEOUT",
    "DEFAULT_SYNC_STALE_AFTER",
    "DEFAULT_WARNING_SCAN_STALE_AFTER",
    "DEFAULT_WEB_DIST",
    "ReportScheduleEntry",
    "Settings",
    "SettingsError",
    "SyncScheduleEntry",
    "format_duration",
    "load_settings",
    "parse_daily_time",
    "parse_duration",
    "parse_report_schedule",
    "parse_sync_schedule",
]

DEFAULT_DATABASE_URL = "sqlite://var/smecredit.sqlite3"
#: (source name, every, at) of one source's schedule: exactly one of every and at is set.
SyncScheduleEntry = tuple[str, dt.timedelta | None, dt.time | None]
_ENVIRONMENTS = ("dev", "prod")
_DB_SCHEMES = ("sqlite", "postgres", "postgresql", "asyncpg", "psycopg")
#: A portfolio scan still "running" after this long is taken for dead (its process died).
DEFAULT_WARNING_SCAN_STALE_AFTER = dt.timedelta(hours=2)
#: How long a SQLite writer waits for another process's write lock before it gives up.
DEFAULT_SQLITE_BUSY_TIMEOUT = dt.timedelta(seconds=30)
#: A COB run whose heartbeat is older than this is taken for dead (its process died).
DEFAULT_COB_STALE_AFTER = dt.timedelta(minutes=15)
#: A sync or import whose heartbeat is older than this is taken for dead.
DEFAULT_SYNC_STALE_AFTER = dt.timedelta(minutes=2)
#: An encryption key older than this is due for rotation (the key-age compliance check).
DEFAULT_COMPLIANCE_KEY_MAX_AGE = dt.timedelta(days=365)
_DURATION_PART = re.compile(r"(\d+)([dhms])")
_DURATION_UNITS = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}
#: Values that leave a schedule setting off.
_OFF = ("", "off", "none")
_DAILY_TIME = re.compile(r"(\d{1,2}):(\d{2})(Z|[+-]\d{2}:\d{2})?")
#: Roles that must sign in with a second factor in production unless
#: ``SMECREDIT_MFA_REQUIRED_ROLES`` says otherwise: whoever can approve, decide, change
#: models and policies or read the audit trail. Development requires none (``make demo``).
DEFAULT_MFA_REQUIRED_ROLES = (
    "admin",
    "approver",
    "credit_committee",
    "risk_analyst",
    "compliance_auditor",
)
#: Role names ``SMECREDIT_MFA_REQUIRED_ROLES`` may name (those of security.principal.ROLES).
_KNOWN_ROLES = (
    "admin",
    "loan_officer",
    "risk_analyst",
    "approver",
    "credit_committee",
    "compliance_auditor",
    "partner",
    "viewer",
)
DEFAULT_SESSION_IDLE_SECONDS = 8 * 3600
DEFAULT_SESSION_ABSOLUTE_SECONDS = 24 * 3600
#: Where the encryption keys live when ``SMECREDIT_ENCRYPTION_KEYS`` is unset.
DEFAULT_KEY_FILE = Path("var") / "keys.json"
#: Where backups go when neither SMECREDIT_BACKUP_DIR nor SMECREDIT_DATA_DIR is set.
DEFAULT_BACKUP_DIR = Path("var") / "backups"
#: How long report artefacts are kept (``SMECREDIT_REPORT_RETENTION``).
DEFAULT_REPORT_RETENTION = dt.timedelta(days=90)
#: One scheduled report: (name, period, format, language).
ReportScheduleEntry = tuple[str, str, str, str]
_REPORT_PERIODS = ("daily", "weekly", "monthly")
_REPORT_SCHEDULE_FORMATS = ("csv", "xlsx", "pdf")
_REPORT_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_ARGON2_PROFILES = ("production", "test")
#: Where ``make web`` (``npm run build`` in ``frontend/``) writes the web client.
DEFAULT_WEB_DIST = Path(__file__).resolve().parents[2] / "frontend" / "dist"
#: A sign-in limit in ``limits`` notation: ``5/minute``, ``10 per hour``, ``100/2 hours``.
_RATE = re.compile(r"\d+\s*(/|per)\s*(\d+\s*)?(second|minute|hour|day|month|year)s?", re.IGNORECASE)
#: Shortest accepted ``SMECREDIT_METRICS_TOKEN`` (a guessable token is no protection).
_MIN_METRICS_TOKEN = 16
#: Rows of one table a PDF report prints before it says the rest is in the XLSX/CSV.
DEFAULT_REPORT_PDF_MAX_ROWS = 2000


class SettingsError(ValueError):
    """A configuration value is missing or malformed."""


@dataclass(frozen=True)
class Settings:
    """The platform's configuration."""

    database_url: str = DEFAULT_DATABASE_URL
    env: str = "dev"
    host: str = "127.0.0.1"
    port: int = 8000
    redis_url: str | None = None
    plugins_enabled: tuple[str, ...] = ()
    plugins_disabled: tuple[str, ...] = ()
    max_page_size: int = 100
    cors_origins: tuple[str, ...] = ()
    #: The language of a request that names none and whose user saved none (zh-CN or en).
    default_language: str = "zh-CN"
    #: Run the portfolio warning scan this often in the server (None: no built-in schedule).
    warning_scan_every: dt.timedelta | None = None
    #: Or once a day at this time (timezone-aware; UTC unless an offset was given).
    warning_scan_at: dt.time | None = None
    #: How long a portfolio scan may stay ``running`` before it is taken for dead.
    warning_scan_stale_after: dt.timedelta = DEFAULT_WARNING_SCAN_STALE_AFTER
    #: How long a SQLite write transaction waits for another writer's lock.
    sqlite_busy_timeout: dt.timedelta = DEFAULT_SQLITE_BUSY_TIMEOUT
    #: How long a COB run may go without a heartbeat before it is taken for dead.
    cob_stale_after: dt.timedelta = DEFAULT_COB_STALE_AFTER
    #: Close the book daily at this local business time (timezone-aware; None: off).
    cob_at: dt.time | None = None
    #: How old the heartbeat of a running sync/import may be before it is taken for dead.
    sync_stale_after: dt.timedelta = DEFAULT_SYNC_STALE_AFTER
    #: Per-source sync schedules: (source, every, at), exactly one of every/at set
    #: (``SMECREDIT_SYNC_SCHEDULE``; empty: no source is synced by the server).
    sync_schedule: tuple[SyncScheduleEntry, ...] = ()
    #: Reverse proxies (addresses or networks) whose ``X-Forwarded-For`` is believed.
    trusted_proxies: tuple[str, ...] = ()
    #: Bearer token ``/metrics`` asks for (None: no token accepted).
    metrics_token: str | None = None
    #: Separate internal ``(host, port)`` that alone serves ``/metrics`` (None: none).
    metrics_address: tuple[str, int] | None = None
    #: Roles that must sign in with a second factor (None: the mode's default).
    mfa_required_roles: tuple[str, ...] | None = None
    #: ``"test"`` selects cheap argon2 parameters (refused in production), else ``"production"``.
    argon2_profile: str = "production"
    #: HMAC key of the audit chain, decoded (None: a plain SHA-256 chain).
    audit_chain_key: bytes | None = field(default=None, repr=False)
    #: A session ends after this many seconds without use.
    session_idle_seconds: int = DEFAULT_SESSION_IDLE_SECONDS
    #: A session ends this many seconds after sign-in, used or not.
    session_absolute_seconds: int = DEFAULT_SESSION_ABSOLUTE_SECONDS
    #: Sign-in attempts per user name, ``limits`` notation (None: the throttle's default).
    signin_per_user: str | None = None
    #: Sign-in attempts per client address (None: the throttle's default).
    signin_per_address: str | None = None
    #: Consecutive failures that lock an account (None: the throttle's default).
    signin_lockout_failures: int | None = None
    #: How long, in seconds, a lock lasts (None: the throttle's default).
    signin_lockout_seconds: int | None = None
    #: Served over HTTPS in development too (HSTS, secure cookies); production always is.
    tls: bool = False
    #: Largest request body accepted, in bytes (None: the middleware's default).
    max_body_bytes: int | None = None
    #: Encryption keys ``id:<base64>,...`` (None: the key file is used).
    encryption_keys: str | None = field(default=None, repr=False)
    #: Id of the active one of :attr:`encryption_keys` (None: the only one).
    encryption_active_key: str | None = None
    #: Base64 blind-index key that goes with :attr:`encryption_keys`.
    blind_index_key: str | None = field(default=None, repr=False)
    #: The key file used when :attr:`encryption_keys` is unset.
    key_file: Path = DEFAULT_KEY_FILE
    #: Where plugins keep their files (each under ``plugins/<name>``; None: nowhere).
    data_dir: Path | None = None
    #: Where ``smecredit backup`` writes backups and their manifests.
    backup_dir: Path = DEFAULT_BACKUP_DIR
    #: Backups older than this are pruned after a successful ``backup create`` (None: kept).
    backup_retention: dt.timedelta | None = None
    #: Take a backup daily at this time (timezone-aware; UTC unless an offset; None: off).
    backup_schedule: dt.time | None = None
    #: The built web client served at ``/`` (``make web``); absent: ``/`` says how to build it.
    web_dist: Path = DEFAULT_WEB_DIST
    #: Run the compliance checks daily at this time (timezone-aware; None: off).
    compliance_schedule: dt.time | None = None
    #: An encryption key older than this is a warning of the key-age check.
    compliance_key_max_age: dt.timedelta = DEFAULT_COMPLIANCE_KEY_MAX_AGE
    #: Scan the decisions for feedback alerts daily at this time (None: off).
    decision_feedback_at: dt.time | None = None
    #: The bounds of the feedback on decisions, ``key=value`` pairs over the defaults
    #: (:func:`smecredit.domain.decision_feedback.parse_bounds`, checked at load).
    decision_feedback_bounds: str = ""
    #: The font file of PDF reports (a CJK font; None: the known paths of fonts-noto-cjk).
    report_font: Path | None = None
    #: A table of a PDF report is cut after this many rows (the XLSX/CSV has them all).
    report_pdf_max_rows: int = DEFAULT_REPORT_PDF_MAX_ROWS
    #: Where report artefacts are stored (None: ``<data dir>/reports``, else ``var/reports``).
    report_dir: Path | None = None
    #: How long a report artefact is kept before the purge deletes it.
    report_retention: dt.timedelta = DEFAULT_REPORT_RETENTION
    #: Scheduled reports: (report name, period ``daily|weekly|monthly``, format, language).
    report_schedule: tuple[ReportScheduleEntry, ...] = ()

    #: Every ``SMECREDIT_*`` variable as given: plugins read their own settings here.
    #: SMECREDIT_BANK_CAPITAL: the bank's net capital, yuan, for the concentration rules
    bank_capital: Decimal | None = None
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def reports_path(self) -> Path:
        """The directory of report artefacts (:attr:`report_dir` or its default)."""
        if self.report_dir is not None:
            return self.report_dir
        return (self.data_dir if self.data_dir is not None else Path("var")) / "reports"

    @property
    def is_dev(self) -> bool:
        """True in development mode (GraphiQL, introspection, detailed errors)."""
        return self.env == "dev"

    @property
    def mfa_roles(self) -> frozenset[str]:
        """Roles that must sign in with a second factor (:data:`DEFAULT_MFA_REQUIRED_ROLES`
        in production, none in development, unless ``SMECREDIT_MFA_REQUIRED_ROLES`` is set)."""
        if self.mfa_required_roles is not None:
            return frozenset(self.mfa_required_roles)
        return frozenset(() if self.is_dev else DEFAULT_MFA_REQUIRED_ROLES)

    @property
    def is_sqlite(self) -> bool:
        """True when the database is the embedded SQLite default."""
        return self.database_url.startswith("sqlite")

    def sqlite_path(self) -> Path | None:
        """Filesystem path of the SQLite database, or None for memory / other engines."""
        if not self.is_sqlite:
            return None
        raw = self.database_url.split("://", 1)[1].split("?", 1)[0]
        if raw in ("", ":memory:"):
            return None
        return Path(raw)


def _split_list(raw: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in raw.split(",") if part.strip())


def _check_database_url(url: str) -> str:
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if scheme not in _DB_SCHEMES:
        raise SettingsError(
            f"SMECREDIT_DATABASE_URL: unsupported scheme {scheme!r}; use sqlite://PATH or postgres://USER@HOST:PORT/DB"
        )
    if scheme != "sqlite" and not urlparse(url).hostname:
        raise SettingsError(
            "SMECREDIT_DATABASE_URL: a PostgreSQL URL needs a host, e.g. postgres://user@127.0.0.1:5432/db"
        )
    return url


def _check_port(raw: str, name: str) -> int:
    try:
        port = int(raw)
    except ValueError:
        raise SettingsError(f"{name}: {raw!r} is not a number") from None
    if not 1 <= port <= 65535:
        raise SettingsError(f"{name}: {port} is outside 1-65535")
    return port


def parse_duration(raw: str, name: str, *, minimum: dt.timedelta | None = None) -> dt.timedelta:
    """A duration such as ``30m``, ``24h``, ``1d12h`` or ``90s``.

    Args:
        raw: the text.
        name: what is being read (the variable or option), for the message.
        minimum: the shortest duration accepted.

    Raises:
        SettingsError: naming ``name`` when ``raw`` is not a duration or is too short.
    """
    text = raw.strip().lower()
    parts = _DURATION_PART.findall(text)
    if not text or "".join(n + u for n, u in parts) != text:
        raise SettingsError(
            f"{name}: {raw!r} is not a duration; use a number with a unit d, h, m or s, "
            "e.g. 30m, 24h or 1d12h"
        )
    value = dt.timedelta()
    for number, unit in parts:
        value += dt.timedelta(**{_DURATION_UNITS[unit]: int(number)})
    if minimum is not None and value < minimum:
        raise SettingsError(
            f"{name}: {raw!r} is too short; the minimum is {format_duration(minimum)}"
        )
    return value


def format_duration(value: dt.timedelta) -> str:
    """``value`` as :func:`parse_duration` reads it: ``1d12h``, ``1m30s``."""
    seconds = int(value.total_seconds())
    if seconds <= 0:
        return "0s"
    out = ""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            out += f"{seconds // size}{unit}"
            seconds %= size
    return out


def parse_daily_time(raw: str, name: str) -> dt.time:
    """A time of day ``HH:MM``, optionally with a UTC offset (``02:00+08:00``, ``18:00Z``).

    Returns:
        A timezone-aware time (UTC when no offset is given).

    Raises:
        SettingsError: naming ``name`` when ``raw`` is not such a time.
    """
    match = _DAILY_TIME.fullmatch(raw.strip())
    if match is None or int(match[1]) > 23 or int(match[2]) > 59:
        raise SettingsError(
            f"{name}: {raw!r} is not a time of day; use HH:MM, optionally with an offset "
            "such as 02:00+08:00 (UTC when none is given)"
        )
    zone = dt.UTC
    if match[3] and match[3] != "Z":
        sign = 1 if match[3][0] == "+" else -1
        hours, minutes = int(match[3][1:3]), int(match[3][4:6])
        if hours > 23 or minutes > 59:
            raise SettingsError(f"{name}: {raw!r} has an impossible UTC offset")
        zone = dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))
    return dt.time(int(match[1]), int(match[2]), tzinfo=zone)


_SOURCE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def parse_sync_schedule(
    raw: str, name: str = "SMECREDIT_SYNC_SCHEDULE"
) -> tuple[SyncScheduleEntry, ...]:
    """Per-source schedules: ``synthetic=06:00,files=07:30+08:00,registry=6h``.

    Each entry names a source and either a daily time (``HH:MM``, optionally with a UTC
    offset) or an interval (a duration of at least 5 minutes). Whether each source exists
    is checked when the server starts, against the installed plugins.

    Raises:
        SettingsError: naming ``name`` and the entry that is wrong.
    """
    entries: list[SyncScheduleEntry] = []
    seen: set[str] = set()
    for part in (p.strip() for p in raw.split(",")):
        if not part:
            continue
        source, sep, when = (x.strip() for x in part.partition("="))
        if not sep or not when:
            raise SettingsError(
                f"{name}: {part!r} is not source=time; write e.g. synthetic=06:00,files=6h"
            )
        if not _SOURCE_NAME.fullmatch(source):
            raise SettingsError(f"{name}: {source!r} is not a source name")
        if source in seen:
            raise SettingsError(f"{name}: source {source!r} is scheduled twice")
        seen.add(source)
        where = f"{name} ({source})"
        if ":" in when:
            entries.append((source, None, parse_daily_time(when, where)))
        else:
            every = parse_duration(when, where, minimum=dt.timedelta(minutes=5))
            entries.append((source, every, None))
    return tuple(entries)


def _warning_schedule(
    env: Mapping[str, str],
) -> tuple[dt.timedelta | None, dt.time | None, dt.timedelta]:
    every_raw = env.get("SMECREDIT_WARNING_SCAN_EVERY", "").strip()
    at_raw = env.get("SMECREDIT_WARNING_SCAN_AT", "").strip()
    every = None
    if every_raw.lower() not in (*_OFF, "0"):
        # Anything shorter would mostly be spent scanning, not a schedule.
        every = parse_duration(
            every_raw, "SMECREDIT_WARNING_SCAN_EVERY", minimum=dt.timedelta(minutes=1)
        )
    at = None
    if at_raw.lower() not in _OFF:
        at = parse_daily_time(at_raw, "SMECREDIT_WARNING_SCAN_AT")
    if every is not None and at is not None:
        raise SettingsError(
            "SMECREDIT_WARNING_SCAN_AT: set either SMECREDIT_WARNING_SCAN_EVERY or "
            "SMECREDIT_WARNING_SCAN_AT, not both"
        )
    stale_raw = env.get("SMECREDIT_WARNING_SCAN_STALE_AFTER", "").strip()
    stale = DEFAULT_WARNING_SCAN_STALE_AFTER
    if stale_raw:
        stale = parse_duration(
            stale_raw, "SMECREDIT_WARNING_SCAN_STALE_AFTER", minimum=dt.timedelta(minutes=1)
        )
    return every, at, stale


def _cob_at(raw: str) -> dt.time | None:
    """``SMECREDIT_COB_AT``: ``HH:MM`` in the server's local time, or with an explicit
    offset (``22:00+08:00``); empty or ``off`` turns the built-in COB schedule off."""
    text = raw.strip()
    if text.lower() in _OFF:
        return None
    at = parse_daily_time(text, "SMECREDIT_COB_AT")
    if _DAILY_TIME.fullmatch(text)[3] is None:  # type: ignore[index]
        # no offset given: the business day is the server's local day
        at = at.replace(tzinfo=dt.datetime.now().astimezone().tzinfo)
    return at


def _duration(
    env: Mapping[str, str], name: str, default: dt.timedelta, minimum: dt.timedelta
) -> dt.timedelta:
    raw = env.get(name, "").strip()
    return parse_duration(raw, name, minimum=minimum) if raw else default


def _trusted_proxies(raw: str) -> tuple[str, ...]:
    entries = _split_list(raw)
    for entry in entries:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise SettingsError(
                f"SMECREDIT_TRUSTED_PROXIES: {entry!r} is not an IP address or network; "
                "use e.g. 10.0.0.5,10.1.0.0/16 (never '*')"
            ) from None
    return entries


def _metrics_address(raw: str) -> tuple[str, int] | None:
    text = raw.strip()
    if not text:
        return None
    host, sep, port = text.rpartition(":")
    host = host.strip("[]")
    if not sep or not host:
        raise SettingsError(
            f"SMECREDIT_METRICS_ADDRESS: {raw!r} must be HOST:PORT, e.g. 127.0.0.1:9100"
        )
    return host, _check_port(port, "SMECREDIT_METRICS_ADDRESS")


def _metrics_token(raw: str) -> str | None:
    token = raw.strip()
    if not token:
        return None
    if len(token) < _MIN_METRICS_TOKEN:
        raise SettingsError(
            f"SMECREDIT_METRICS_TOKEN: must be at least {_MIN_METRICS_TOKEN} characters "
            "(e.g. openssl rand -hex 32)"
        )
    return token


def _mfa_roles(raw: str | None) -> tuple[str, ...] | None:
    if raw is None or not raw.strip():
        return None
    if raw.strip().lower() == "none":
        return ()
    roles = _split_list(raw)
    unknown = [r for r in roles if r not in _KNOWN_ROLES]
    if unknown:
        raise SettingsError(
            f"SMECREDIT_MFA_REQUIRED_ROLES: unknown role(s) {', '.join(unknown)}; "
            f"known roles: {', '.join(_KNOWN_ROLES)} (or 'none')"
        )
    return roles


def _access_settings(env: Mapping[str, str]) -> dict[str, Any]:
    """Proxies, metrics access and the second factor (see the README's configuration)."""
    return {
        "trusted_proxies": _trusted_proxies(env.get("SMECREDIT_TRUSTED_PROXIES", "")),
        "metrics_token": _metrics_token(env.get("SMECREDIT_METRICS_TOKEN", "")),
        "metrics_address": _metrics_address(env.get("SMECREDIT_METRICS_ADDRESS", "")),
        "mfa_required_roles": _mfa_roles(env.get("SMECREDIT_MFA_REQUIRED_ROLES")),
    }


def _whole_number(env: Mapping[str, str], name: str, minimum: int = 1) -> int | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name}: {raw!r} is not a whole number") from None
    if value < minimum:
        raise SettingsError(f"{name}: must be at least {minimum}")
    return value


def _rate(env: Mapping[str, str], name: str) -> str | None:
    raw = env.get(name, "").strip()
    if raw and not _RATE.fullmatch(raw):
        raise SettingsError(f"{name}: {raw!r} is not a rate; write e.g. 5/minute or 20 per hour")
    return raw or None


def _flag(env: Mapping[str, str], name: str) -> bool:
    raw = env.get(name, "").strip().lower()
    if raw not in ("", "0", "1", "true", "false", "yes", "no"):
        raise SettingsError(f"{name}: {raw!r} is not 1 or 0")
    return raw in ("1", "true", "yes")


def _audit_chain_key(raw: str) -> bytes | None:
    text = raw.strip()
    if not text:
        return None
    try:
        key = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise SettingsError("SMECREDIT_AUDIT_CHAIN_KEY: is not base64") from None
    if len(key) < 16:
        raise SettingsError("SMECREDIT_AUDIT_CHAIN_KEY: must hold at least 16 bytes")
    return key


def _argon2_profile(raw: str) -> str:
    profile = raw.strip().lower() or "production"
    if profile not in _ARGON2_PROFILES:
        raise SettingsError(f"SMECREDIT_ARGON2_PROFILE: {raw!r} is not one of production, test")
    return profile


def _account_settings(env: Mapping[str, str]) -> dict[str, Any]:
    """Password hashing, the audit chain key, sessions and the sign-in throttle."""
    idle = _whole_number(env, "SMECREDIT_SESSION_IDLE_SECONDS")
    absolute = _whole_number(env, "SMECREDIT_SESSION_ABSOLUTE_SECONDS")
    return {
        "argon2_profile": _argon2_profile(env.get("SMECREDIT_ARGON2_PROFILE", "")),
        "audit_chain_key": _audit_chain_key(env.get("SMECREDIT_AUDIT_CHAIN_KEY", "")),
        "session_idle_seconds": idle or DEFAULT_SESSION_IDLE_SECONDS,
        "session_absolute_seconds": absolute or DEFAULT_SESSION_ABSOLUTE_SECONDS,
        "signin_per_user": _rate(env, "SMECREDIT_SIGNIN_PER_USER"),
        "signin_per_address": _rate(env, "SMECREDIT_SIGNIN_PER_ADDRESS"),
        "signin_lockout_failures": _whole_number(env, "SMECREDIT_SIGNIN_LOCKOUT_FAILURES"),
        "signin_lockout_seconds": _whole_number(env, "SMECREDIT_SIGNIN_LOCKOUT_SECONDS"),
    }


def _key_settings(env: Mapping[str, str]) -> dict[str, Any]:
    """Where the encryption keys come from (their content is checked by the keyring)."""
    return {
        "encryption_keys": env.get("SMECREDIT_ENCRYPTION_KEYS", "").strip() or None,
        "encryption_active_key": env.get("SMECREDIT_ENCRYPTION_ACTIVE_KEY", "").strip() or None,
        "blind_index_key": env.get("SMECREDIT_BLIND_INDEX_KEY", "").strip() or None,
        "key_file": Path(env.get("SMECREDIT_KEY_FILE", "").strip() or DEFAULT_KEY_FILE),
    }


def _optional_time(env: Mapping[str, str], name: str) -> dt.time | None:
    raw = env.get(name, "").strip()
    return None if raw.lower() in _OFF else parse_daily_time(raw, name)


def _bank_capital(raw: str) -> Decimal | None:
    """The bank's net capital (SMECREDIT_BANK_CAPITAL), a positive number of yuan."""
    text = raw.strip().replace(",", "").replace("_", "")
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise SettingsError(
            f"SMECREDIT_BANK_CAPITAL: {raw!r} is not an amount of yuan, e.g. 5000000000"
        ) from None
    if not value.is_finite() or value <= 0:
        raise SettingsError("SMECREDIT_BANK_CAPITAL: must be a positive amount of yuan")
    return value


def _feedback_bounds(raw: str) -> str:
    from smecredit.domain.decision_feedback import parse_bounds

    try:
        parse_bounds(raw)
    except ValueError as exc:
        raise SettingsError(f"SMECREDIT_DECISION_FEEDBACK_BOUNDS: {exc}") from None
    return raw.strip()


def _compliance_settings(env: Mapping[str, str]) -> dict[str, Any]:
    """The compliance checks and the feedback on decisions (issue 15)."""
    return {
        "compliance_schedule": _optional_time(env, "SMECREDIT_COMPLIANCE_SCHEDULE"),
        "compliance_key_max_age": _duration(
            env,
            "SMECREDIT_COMPLIANCE_KEY_MAX_AGE",
            DEFAULT_COMPLIANCE_KEY_MAX_AGE,
            minimum=dt.timedelta(days=1),
        ),
        "decision_feedback_at": _optional_time(env, "SMECREDIT_DECISION_FEEDBACK_AT"),
        "decision_feedback_bounds": _feedback_bounds(
            env.get("SMECREDIT_DECISION_FEEDBACK_BOUNDS", "")
        ),
    }


def _language(raw: str) -> str:
    """A supported language tag (zh-CN or en) for SMECREDIT_DEFAULT_LANGUAGE."""
    tag = raw.strip()
    if tag not in ("zh-CN", "en"):
        raise SettingsError(f"SMECREDIT_DEFAULT_LANGUAGE: {raw!r} is not one of zh-CN, en")
    return tag


def parse_report_schedule(raw: str) -> tuple[ReportScheduleEntry, ...]:
    """``SMECREDIT_REPORT_SCHEDULE``: ``name:period:format[:language];...``.

    ``period`` is ``daily``, ``weekly`` (Mondays) or ``monthly`` (the 1st); ``format``
    ``csv``, ``xlsx`` or ``pdf``; ``language`` ``zh`` (default) or ``en``. Whether a
    plugin provides the report is checked when the server starts.

    Raises:
        SettingsError: naming the variable and the malformed entry.
    """
    name = "SMECREDIT_REPORT_SCHEDULE"
    entries: list[ReportScheduleEntry] = []
    for entry in (part.strip() for part in raw.split(";")):
        if not entry:
            continue
        parts = [p.strip() for p in entry.split(":")]
        if len(parts) not in (3, 4):
            raise SettingsError(
                f"{name}: {entry!r} is not name:period:format[:language], "
                "e.g. five_category:monthly:xlsx"
            )
        report, period, fmt = parts[:3]
        language = parts[3] if len(parts) == 4 else "zh"
        if not _REPORT_NAME.match(report):
            raise SettingsError(f"{name}: {entry!r}: {report!r} is not a report name")
        if period not in _REPORT_PERIODS:
            raise SettingsError(
                f"{name}: {entry!r}: period {period!r} is not one of {', '.join(_REPORT_PERIODS)}"
            )
        if fmt not in _REPORT_SCHEDULE_FORMATS:
            raise SettingsError(
                f"{name}: {entry!r}: format {fmt!r} is not one of "
                f"{', '.join(_REPORT_SCHEDULE_FORMATS)}"
            )
        if language not in ("zh", "en"):
            raise SettingsError(f"{name}: {entry!r}: language {language!r} is not zh or en")
        if any(e[0] == report and e[1] == period for e in entries):
            raise SettingsError(f"{name}: {report}:{period} is scheduled twice")
        entries.append((report, period, fmt, language))
    return tuple(entries)


def _report_format_settings(env: Mapping[str, str]) -> dict[str, Any]:
    """The report writers' settings: the PDF font and how many rows a PDF table prints."""
    font = env.get("SMECREDIT_REPORT_FONT", "").strip()
    rows = _whole_number(env, "SMECREDIT_REPORT_PDF_MAX_ROWS")
    return {
        "report_font": Path(font) if font else None,
        "report_pdf_max_rows": DEFAULT_REPORT_PDF_MAX_ROWS if rows is None else rows,
    }


def _backup_settings(env: Mapping[str, str], data_dir: Path | None) -> dict[str, Any]:
    """``SMECREDIT_BACKUP_DIR`` (default ``<data dir>/backups``, else ``var/backups``) and
    ``SMECREDIT_BACKUP_RETENTION`` (a duration of at least 1 h; empty or ``off``: keep all),
    ``SMECREDIT_BACKUP_SCHEDULE`` (``HH:MM[+HH:MM]``, UTC without an offset; empty: off)."""
    raw_dir = env.get("SMECREDIT_BACKUP_DIR", "").strip()
    if raw_dir:
        backup_dir = Path(raw_dir)
    else:
        backup_dir = data_dir / "backups" if data_dir is not None else DEFAULT_BACKUP_DIR
    raw = env.get("SMECREDIT_BACKUP_RETENTION", "").strip()
    retention = None
    if raw and raw.lower() not in _OFF:
        retention = parse_duration(raw, "SMECREDIT_BACKUP_RETENTION", minimum=dt.timedelta(hours=1))
    raw_at = env.get("SMECREDIT_BACKUP_SCHEDULE", "").strip()
    schedule = None
    if raw_at.lower() not in _OFF:
        schedule = parse_daily_time(raw_at, "SMECREDIT_BACKUP_SCHEDULE")
    return {"backup_dir": backup_dir, "backup_retention": retention, "backup_schedule": schedule}


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read and validate settings from ``environ`` (default: ``os.environ``).

    Raises:
        SettingsError: naming the variable whose value is wrong.
    """
    env = os.environ if environ is None else environ
    mode = env.get("SMECREDIT_ENV", "dev").strip().lower()
    if mode not in _ENVIRONMENTS:
        raise SettingsError(f"SMECREDIT_ENV: {mode!r} is not one of dev, prod")
    page = env.get("SMECREDIT_MAX_PAGE_SIZE", "100")
    try:
        max_page = int(page)
    except ValueError:
        raise SettingsError(f"SMECREDIT_MAX_PAGE_SIZE: {page!r} is not a number") from None
    if not 1 <= max_page <= 200:
        raise SettingsError("SMECREDIT_MAX_PAGE_SIZE: must be between 1 and 200")
    redis_url = env.get("SMECREDIT_REDIS_URL") or None
    if redis_url and not redis_url.startswith(("redis://", "rediss://", "unix://")):
        raise SettingsError("SMECREDIT_REDIS_URL: must start with redis://, rediss:// or unix://")
    scan_every, scan_at, scan_stale = _warning_schedule(env)
    sync_stale = DEFAULT_SYNC_STALE_AFTER
    sync_stale_raw = env.get("SMECREDIT_SYNC_STALE_AFTER", "").strip()
    if sync_stale_raw:
        # A heartbeat is written every 15 s: a shorter limit would take live runs for dead.
        sync_stale = parse_duration(
            sync_stale_raw, "SMECREDIT_SYNC_STALE_AFTER", minimum=dt.timedelta(minutes=1)
        )
    raw_data_dir = env.get("SMECREDIT_DATA_DIR", "").strip()
    data_dir = Path(raw_data_dir) if raw_data_dir else None
    return Settings(
        database_url=_check_database_url(env.get("SMECREDIT_DATABASE_URL", DEFAULT_DATABASE_URL)),
        env=mode,
        host=env.get("SMECREDIT_HOST", "127.0.0.1"),
        port=_check_port(env.get("SMECREDIT_PORT", "8000"), "SMECREDIT_PORT"),
        redis_url=redis_url,
        plugins_enabled=_split_list(env.get("SMECREDIT_PLUGINS_ENABLED", "")),
        plugins_disabled=_split_list(env.get("SMECREDIT_PLUGINS_DISABLED", "")),
        max_page_size=max_page,
        cors_origins=_split_list(env.get("SMECREDIT_CORS_ORIGINS", "")),
        default_language=_language(env.get("SMECREDIT_DEFAULT_LANGUAGE", "zh-CN")),
        warning_scan_every=scan_every,
        warning_scan_at=scan_at,
        warning_scan_stale_after=scan_stale,
        sqlite_busy_timeout=_duration(
            env,
            "SMECREDIT_SQLITE_BUSY_TIMEOUT",
            DEFAULT_SQLITE_BUSY_TIMEOUT,
            minimum=dt.timedelta(seconds=1),
        ),
        cob_stale_after=_duration(
            env,
            "SMECREDIT_COB_STALE_AFTER",
            DEFAULT_COB_STALE_AFTER,
            minimum=dt.timedelta(minutes=1),
        ),
        sync_stale_after=sync_stale,
        sync_schedule=parse_sync_schedule(env.get("SMECREDIT_SYNC_SCHEDULE", "")),
        cob_at=_cob_at(env.get("SMECREDIT_COB_AT", "")),
        tls=_flag(env, "SMECREDIT_TLS"),
        bank_capital=_bank_capital(env.get("SMECREDIT_BANK_CAPITAL", "")),
        max_body_bytes=_whole_number(env, "SMECREDIT_MAX_BODY_BYTES"),
        data_dir=data_dir,
        **_backup_settings(env, data_dir),
        web_dist=Path(raw_web)
        if (raw_web := env.get("SMECREDIT_WEB_DIST", "").strip())
        else DEFAULT_WEB_DIST,
        report_dir=Path(raw_reports)
        if (raw_reports := env.get("SMECREDIT_REPORT_DIR", "").strip())
        else None,
        report_retention=_duration(
            env,
            "SMECREDIT_REPORT_RETENTION",
            DEFAULT_REPORT_RETENTION,
            minimum=dt.timedelta(days=1),
        ),
        report_schedule=parse_report_schedule(env.get("SMECREDIT_REPORT_SCHEDULE", "")),
        **_access_settings(env),
        **_account_settings(env),
        **_key_settings(env),
        **_compliance_settings(env),
        **_report_format_settings(env),
        extra={k: v for k, v in env.items() if k.startswith("SMECREDIT_")},
    )
