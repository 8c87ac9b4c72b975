"""The manifest beside each backup file: what it holds and how to check it is whole."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

__all__ = ["MANIFEST_SUFFIX", "Manifest", "list_backups", "sha256_of"]

#: ``<name>.bak`` is the encrypted backup, ``<name>.manifest.json`` its manifest.
BACKUP_SUFFIX = ".bak"
MANIFEST_SUFFIX = ".manifest.json"
FORMAT = 1


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file, hex, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class Manifest:
    """One backup's description (written as JSON beside the encrypted file).

    Attributes:
        name: the backup's name (its files are ``<name>.bak`` and ``<name>.manifest.json``).
        engine: ``sqlite`` or ``postgres``.
        created_at: when the snapshot was taken (UTC, ISO 8601).
        migration_head: the newest migration the database had applied (None: none).
        row_counts: rows per table in the snapshot.
        checksum: SHA-256 of the encrypted file, hex.
        size: bytes of the encrypted file.
        platform_version: the smecredit version that took it.
        key_id: the encryption key the backup key was derived from (never the key).
    """

    name: str
    engine: str
    created_at: str
    migration_head: str | None
    row_counts: dict[str, int]
    checksum: str
    size: int
    platform_version: str
    key_id: str
    format: int = FORMAT
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def created(self) -> dt.datetime:
        """:attr:`created_at` as an aware datetime."""
        return dt.datetime.fromisoformat(self.created_at)

    def file(self, directory: Path) -> Path:
        """The encrypted backup file in ``directory``."""
        return directory / f"{self.name}{BACKUP_SUFFIX}"

    def manifest_file(self, directory: Path) -> Path:
        """This manifest's file in ``directory``."""
        return directory / f"{self.name}{MANIFEST_SUFFIX}"

    def write(self, directory: Path) -> Path:
        """Write the manifest (atomically, mode 0600) and return its path."""
        target = self.manifest_file(directory)
        tmp = target.with_name(f".{target.name}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(asdict(self), handle, indent=2, sort_keys=True)
            handle.write("\n")
        os.replace(tmp, target)
        return target

    @classmethod
    def read(cls, path: Path) -> Manifest:
        """Read a manifest file.

        Raises:
            ValueError: the file is not a backup manifest.
        """
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(**data)
        except (OSError, TypeError, json.JSONDecodeError) as exc:
            raise ValueError(f"{path.name}: not a backup manifest ({exc})") from None


def list_backups(directory: Path) -> list[Manifest]:
    """The backups in ``directory`` with a readable manifest, oldest first."""
    if not directory.is_dir():
        return []
    found: list[Manifest] = []
    for path in directory.glob(f"*{MANIFEST_SUFFIX}"):
        try:
            found.append(Manifest.read(path))
        except ValueError:
            continue  # not ours: list what can be read
    return sorted(found, key=lambda m: (m.created_at, m.name))
