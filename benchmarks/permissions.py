"""Benchmark: field-level permissions on a page of 100 firms with every guarded field.

Usage::

    .venv/bin/python benchmarks/permissions.py               # 100 firms, 40 rounds
    .venv/bin/python benchmarks/permissions.py --rounds 100

Seeds a fresh SQLite file with 100 firms and their (encrypted) representatives, then, in
the same process and run, alternates

* **masked**: a loan officer (branch scope, name/ID number/phone masked by the
  ``smecredit-masking-cn`` strategies) on the schema with enforcement on;
* **baseline**: an administrator on the same schema with enforcement off
  (``apply_field_permissions(schema, enforce=False)``: the original resolvers);

and prints both medians and their ratio (target <= 1.5).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tortoise import Tortoise
from tortoise.backends.base.executor import EXECUTOR_CACHE

from smecredit import models
from smecredit.domain.identity import id_number_check_char, uscc_check_char
from smecredit.graphql.context import Context
from smecredit.graphql.permissions import apply_field_permissions
from smecredit.graphql.schema import build_schema
from smecredit.plugins import load_plugins
from smecredit.security.crypto import Keyring
from smecredit.security.keys import set_keyring
from smecredit.security.principal import Principal
from smecredit.services.persons import encrypt_person_fields, new_key_ref
from smecredit.settings import load_settings

QUERY = """{ firms(first: 100) { edges { node {
  id uscc name industryCode regionCode status branchCode
  representative { id name idNumber phone }
} } } }"""
TARGET_RATIO = 1.5


async def seed(n: int) -> None:
    persons = []
    for i in range(n):
        body = f"31010519850612{i % 1000:03d}"
        values = encrypt_person_fields(
            {
                "name": "张三丰",
                "id_number": body + id_number_check_char(body),
                "phone": f"1391234{i:04d}",
            },
            new_key_ref(),
        )
        persons.append(models.Person(**values))
    await models.Person.bulk_create(persons)
    ids = [p.id for p in await models.Person.all().order_by("id")]
    firms = []
    for i, person_id in enumerate(ids):
        code = f"91310000{i:09d}"
        firms.append(
            models.Firm(
                uscc=code + uscc_check_char(code),
                name=f"测试企业{i}有限公司",
                industry_code="C13",
                region_code="310105",
                branch_code="B001",
                representative_id=person_id,
            )
        )
    await models.Firm.bulk_create(firms)


async def run(n_firms: int, rounds: int) -> float:
    settings = load_settings({"SMECREDIT_ENV": "dev"})
    plugins = load_plugins(settings)
    set_keyring(Keyring.generate())
    with tempfile.TemporaryDirectory() as tmp:
        EXECUTOR_CACHE.clear()
        await Tortoise.init(
            db_url=f"sqlite://{Path(tmp) / 'bench.sqlite3'}",
            modules={"smecredit": ["smecredit.models"]},
        )
        await Tortoise.generate_schemas()
        try:
            await seed(n_firms)
            enforced = build_schema(settings)
            unenforced = build_schema(settings)
            apply_field_permissions(unenforced, enforce=False)
            officer = Principal(1, "officer", ("loan_officer",), "B001")
            admin = Principal(2, "admin", ("admin",), "HQ")

            async def once(schema: Any, user: Principal) -> float:
                context = Context(request=None, settings=settings, user=user, plugins=plugins)
                start = time.perf_counter()
                result = await schema.execute(QUERY, context_value=context)
                elapsed = time.perf_counter() - start
                assert result.errors is None, result.errors
                edges = result.data["firms"]["edges"]
                assert len(edges) == n_firms
                return elapsed

            # Sanity: the masked run really masks.
            context = Context(request=None, settings=settings, user=officer, plugins=plugins)
            sample = await enforced.execute(QUERY, context_value=context)
            assert sample.data is not None
            rep = sample.data["firms"]["edges"][0]["node"]["representative"]
            assert "*" in rep["idNumber"] and "*" in rep["phone"] and "*" in rep["name"], rep

            for _ in range(3):  # warm up: parser/validation caches, decision caches
                await once(enforced, officer)
                await once(unenforced, admin)
            masked, baseline = [], []
            for _ in range(rounds):
                masked.append(await once(enforced, officer))
                baseline.append(await once(unenforced, admin))
        finally:
            await Tortoise.close_connections()
    m, b = statistics.median(masked), statistics.median(baseline)
    ratio = m / b
    print(f"page of {n_firms} firms x (7 firm + 4 person fields), {rounds} rounds each")
    print(f"  masked role, enforcement on : median {m * 1000:7.2f} ms")
    print(f"  admin, enforcement off      : median {b * 1000:7.2f} ms")
    print(f"  ratio {ratio:.2f} (target <= {TARGET_RATIO})")
    return ratio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--firms", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()
    ratio = asyncio.run(run(args.firms, args.rounds))
    sys.exit(0 if ratio <= TARGET_RATIO else 1)


if __name__ == "__main__":
    main()
