"""``smecredit policies``: list, add, remove and reload the access policy (Casbin)."""

from __future__ import annotations

import click

from smecredit.cli.acting import as_platform
from smecredit.cli.core import command_registry, run_with_db, settings_or_exit
from smecredit.settings import Settings

__all__ = ["policies"]


def _split(rule: str) -> tuple[str, list[str]]:
    parts = [p.strip() for p in rule.split(",")]
    if parts and parts[0] in ("p", "g"):
        return parts[0], parts[1:]
    return "p", parts


@click.group(name="policies", help="The access policy: field permissions, masking, row scope.")
def policies() -> None:
    """Policy commands."""


@policies.command(name="list", help="Print the rules in force, one CSV line each.")
def list_command() -> None:
    from smecredit.security.policy import get_policy_store
    from smecredit.services.policies import list_rules

    settings = settings_or_exit()

    async def work() -> list[str]:
        await get_policy_store().load_from_db()  # seeds the defaults on first use
        return [f"{r.id}\t" + ", ".join((r.ptype, *r.rule_values())) for r in await list_rules()]

    for line in run_with_db(settings, work):
        click.echo(line)


@policies.command(name="add", help="Add a rule, e.g. 'p, viewer, *, Firm.uscc, mask, allow, uscc'.")
@click.argument("rule")
def add_command(rule: str) -> None:
    from smecredit.errors import ApiError
    from smecredit.services.policies import add_rule

    actor = as_platform("policy.add")
    settings = settings_or_exit()
    ptype, values = _split(rule)

    async def work() -> str:
        row = await add_rule(ptype, values, actor=actor, strategies=_strategies(settings))
        return f"added rule {row.id}: " + ", ".join((row.ptype, *row.rule_values()))

    try:
        click.echo(run_with_db(settings, work))
    except ApiError as exc:
        raise click.ClickException(f"{exc.code}: {exc.message}") from None


@policies.command(name="remove", help="Remove a rule given exactly as listed.")
@click.argument("rule")
def remove_command(rule: str) -> None:
    from smecredit.errors import ApiError
    from smecredit.services.policies import remove_rule

    actor = as_platform("policy.remove")
    settings = settings_or_exit()
    ptype, values = _split(rule)

    async def work() -> int:
        return await remove_rule(ptype, values, actor=actor)

    try:
        click.echo(f"removed {run_with_db(settings, work)} rule(s)")
    except ApiError as exc:
        raise click.ClickException(f"{exc.code}: {exc.message}") from None


@policies.command(name="reload", help="Reload (and seed if empty) the policy from the database.")
def reload_command() -> None:
    from smecredit.services.policies import reload_policies

    actor = as_platform("policy.reload")
    settings = settings_or_exit()

    async def work() -> int:
        return await reload_policies(actor=actor)

    count = run_with_db(settings, work)
    click.echo(f"{count} rules in force (running servers pick changes up within seconds)")


def _strategies(settings: Settings) -> dict[str, object]:
    return dict(command_registry(settings).masking_strategies)
