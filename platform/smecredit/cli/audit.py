"""``smecredit audit``: check the hash-chained audit trail."""

from __future__ import annotations

import click

from smecredit.cli.core import run_with_db, settings_or_exit

__all__ = ["audit"]


@click.group(help="The security audit trail.")
def audit() -> None:
    """The ``audit`` command group."""


@audit.command("verify", help="Verify the audit chain; exits 1 naming the first broken row.")
def verify_command() -> None:
    from smecredit.security.audit_chain import VerifyResult
    from smecredit.services import audit as audit_service

    settings = settings_or_exit()

    async def work() -> VerifyResult:
        audit_service.configure(settings)
        return await audit_service.verify()

    result = run_with_db(settings, work)
    if result.ok:
        click.echo(f"OK: {result.checked} audit rows verified")
        return
    click.echo(
        f"BROKEN at seq {result.first_broken_seq} ({result.problem}): {result.reason} "
        f"[{result.checked} rows verified before it]",
        err=True,
    )
    raise SystemExit(1)
