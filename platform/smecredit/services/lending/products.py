"""Loan products: create, update, and their terms as the domain sees them."""

from __future__ import annotations

from typing import Any

from smecredit.domain.products import ProductTerms
from smecredit.domain.schedules import RepaymentMethod
from smecredit.errors import Conflict, NotFound
from smecredit.models import Product
from smecredit.security.operations import authorize
from smecredit.security.principal import Principal
from smecredit.services.lending.support import audit, check_version

__all__ = ["create_product", "product_terms", "terms_fields", "update_product"]


def product_terms(product: Product) -> ProductTerms:
    """The domain terms of a stored product."""
    return ProductTerms(
        amount_min=product.amount_min,
        amount_max=product.amount_max,
        term_months_min=product.term_months_min,
        term_months_max=product.term_months_max,
        rate_min=product.rate_min,
        rate_max=product.rate_max,
        methods=frozenset(RepaymentMethod(m) for m in product.methods),
        grace_period_days=product.grace_period_days,
        penalty_multiplier=product.penalty_multiplier,
        penalty_rate_absolute=product.penalty_rate_absolute,
    )


def terms_fields(terms: ProductTerms) -> dict[str, Any]:
    """Model fields of ``terms`` (validated by ProductTerms itself)."""
    return {
        "amount_min": terms.amount_min,
        "amount_max": terms.amount_max,
        "term_months_min": terms.term_months_min,
        "term_months_max": terms.term_months_max,
        "rate_min": terms.rate_min,
        "rate_max": terms.rate_max,
        "methods": sorted(str(m) for m in terms.methods),
        "grace_period_days": terms.grace_period_days,
        "penalty_multiplier": terms.penalty_multiplier,
        "penalty_rate_absolute": terms.penalty_rate_absolute,
    }


async def create_product(
    principal: Principal, *, code: str, name: str, terms: ProductTerms, active: bool = True
) -> Product:
    """Create a product (``product.create``: administrators).

    Raises:
        PermissionDenied: the caller may not create products.
        Conflict: a product with ``code`` exists.
    """
    authorize(principal, "product.create")
    if await Product.filter(code=code).exists():
        raise Conflict(f"product {code!r} already exists", code="CONFLICT")
    product = await Product.create(code=code, name=name, active=active, **terms_fields(terms))
    await audit(principal, "product.create", f"Product:{product.id}", after={"code": code})
    return product


async def update_product(
    principal: Principal,
    code: str,
    *,
    name: str | None = None,
    terms: ProductTerms | None = None,
    active: bool | None = None,
    expected_version: int | None = None,
) -> Product:
    """Change a product's name, terms or active flag (admin only); applications keep theirs.

    Args:
        expected_version: the product's version as the caller read it (None: no check).

    Raises:
        PermissionDenied: the caller may not change products (``product.update``).
        NotFound: no such product.
        Conflict: the product is not at ``expected_version``, or changed meanwhile.
    """
    authorize(principal, "product.update")
    product = await Product.get_or_none(code=code)
    if product is None:
        raise NotFound(f"product {code!r} not found")
    check_version(product, expected_version, f"product {code!r}")
    changes: dict[str, Any] = {}
    if name is not None:
        changes["name"] = name
    if terms is not None:
        changes.update(terms_fields(terms))
    if active is not None:
        changes["active"] = active
    if changes:
        before = {k: str(getattr(product, k)) for k in changes}
        version = product.version
        updated = await Product.filter(id=product.id, version=version).update(
            **changes, version=version + 1
        )
        if updated != 1:
            raise Conflict(f"product {code!r} changed meanwhile; retry", code="CONFLICT")
        await product.refresh_from_db()
        await audit(
            principal,
            "product.update",
            f"Product:{product.id}",
            before=before,
            after={k: str(v) for k, v in changes.items()},
        )
    return product
