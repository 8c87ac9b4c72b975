"""``smecredit keys``: create the key file, show key usage, rotate the encryption key.

Every command that opens the database checks first that the keys belong to it
(:mod:`smecredit.services.key_check`), and no command makes a key under an id the
database records.
"""

from __future__ import annotations

import click

from smecredit.cli.acting import as_platform
from smecredit.cli.core import run_with_db, settings_or_exit

__all__ = ["keys"]


@click.group(name="keys", help="Encryption keys of personal data at rest.")
def keys() -> None:
    """Key commands."""


@keys.command(
    name="init", help="Create the key file (SMECREDIT_KEY_FILE or var/keys.json), mode 0600."
)
def init_command() -> None:
    from smecredit.security.crypto import KeyringError, generate_key_file
    from smecredit.security.keys import key_file_path

    as_platform("keys.init")
    path = key_file_path()
    recorded = _recorded_ids_if_any()
    if recorded and not path.exists():
        # A fresh k1 for a database that already depends on k1 would be taken for it.
        raise click.ClickException(
            f"KEY_MISSING: this database depends on key {', '.join(sorted(recorded))}: "
            "restore the key file that goes with it instead of creating a new one"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        generate_key_file(path)
    except KeyringError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"wrote {path} (keep it out of backups of the database and out of git)")


def _recorded_ids_if_any() -> set[str]:
    """Key ids the configured database records; none when it is not there or not migrated."""
    from smecredit.services.key_check import recorded_key_ids

    settings = settings_or_exit()
    try:
        return run_with_db(settings, recorded_key_ids, check_keys=False)
    except Exception:  # no database yet (keys init comes first on a new installation)
        return set()


async def _usage() -> dict[str, int]:
    from smecredit import models
    from smecredit.security.keys import get_keyring, is_encrypted

    keyring = get_keyring()
    counts: dict[str, int] = {}
    rows = await models.Person.all().values_list("name", "id_number", "phone")
    for row in rows:
        for value in row:
            if value is None:
                continue
            label = keyring.key_id_of(value) if is_encrypted(value) else "clear text"
            counts[label] = counts.get(label, 0) + 1
    return counts


@keys.command(name="status", help="Active key and how many person values each key encrypts.")
def status_command() -> None:
    from smecredit.security.keys import get_keyring

    settings = settings_or_exit()
    keyring = get_keyring()
    counts = run_with_db(settings, _usage)
    click.echo(f"active key: {keyring.active_key_id}  (keys: {', '.join(keyring.key_ids)})")
    for label, n in sorted(counts.items()):
        click.echo(f"  {label}: {n} values")


@keys.command(
    name="rotate", help="Add a new active key and re-encrypt every person row in batches."
)
@click.option("--key-id", default=None, help="Id of the new key (default k<n+1>).")
@click.option("--batch-size", default=500, show_default=True, help="Rows per transaction.")
@click.option(
    "--resume",
    is_flag=True,
    help="Only re-encrypt under the current active key (no new key).",
)
def rotate_command(key_id: str | None, batch_size: int, resume: bool) -> None:
    from smecredit.security.crypto import ENV_KEYS, KeyringError
    from smecredit.security.keys import add_key_to_file, get_keyring, reload_keyring
    from smecredit.services.key_check import recorded_key_ids
    from smecredit.services.persons import RotationProgress, reencrypt_persons

    as_platform("keys.rotate")
    settings = settings_or_exit()

    async def survey() -> tuple[dict[str, int], set[str]]:
        return await _usage(), await recorded_key_ids()

    counts, recorded = run_with_db(settings, survey)  # checks the keys first
    keyring = get_keyring()
    pending = sum(n for label, n in counts.items() if label != keyring.active_key_id)
    if pending and not resume:
        click.echo(f"{pending} values are not under the active key yet: resuming, no new key")
        resume = True
    if not resume:
        if settings.encryption_keys:
            raise click.ClickException(
                f"keys come from {ENV_KEYS}: add the new key there, make it active, "
                "restart, then run 'smecredit keys rotate --resume'"
            )
        try:
            # Never an id the database records: that key would be taken for the old one.
            new_id = add_key_to_file(settings.key_file, key_id, taken=recorded)
        except KeyringError as exc:
            raise click.ClickException(str(exc)) from None
        keyring = reload_keyring()
        click.echo(f"new active key {new_id}; old keys kept for reading")

    def progress(p: RotationProgress) -> None:
        click.echo(
            f"  scanned {p.scanned}, re-encrypted {p.rewritten}, "
            f"changed meanwhile {p.skipped_concurrent}"
        )

    async def work() -> RotationProgress:
        return await reencrypt_persons(batch_size=batch_size, on_batch=progress)

    result = run_with_db(settings, work)
    click.echo(
        f"done: {result.rewritten} rows now under {keyring.active_key_id} "
        f"({result.scanned} scanned); run again to pick up rows changed meanwhile"
    )
