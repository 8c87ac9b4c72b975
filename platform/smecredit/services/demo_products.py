"""The demo's loan products: what a Chinese SME lender offers small and micro firms.

Working-capital loans (流动资金贷款) come one product per repayment method, so an officer
picks the schedule by picking the product: 等额本息 (equal instalments), 等额本金 (equal
principal) and 先息后本 (interest monthly, principal at maturity, the usual choice for a
revolving need). 税易贷 is the tax-data credit loan: unsecured, decided on the firm's tax
record (纳税信用), with a small limit and a short term. Rates are annual nominal rates
around the loan prime rate plus a risk margin; the penalty rate is the usual 1.5x.

Products are created through :func:`smecredit.services.lending.products.create_product`
as the demo administrator, so they are audited like any product; seeding again leaves the
existing ones as they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from smecredit import models
from smecredit.domain.products import ProductTerms
from smecredit.domain.schedules import RepaymentMethod
from smecredit.security.principal import Principal
from smecredit.services.lending.products import create_product

__all__ = ["DEMO_PRODUCTS", "DemoProduct", "seed_demo_products"]


@dataclass(frozen=True, slots=True)
class DemoProduct:
    """One product of the catalogue.

    Attributes:
        code: stable product code.
        name: the name staff see (Chinese, then English).
        terms: what the product allows.
        guarantee_type: the security an application under it carries.
        typical_amount: an amount the demo applies for.
        typical_term: a term in months the demo applies for.
        typical_rate: a rate the demo applies at.
    """

    code: str
    name: str
    terms: ProductTerms
    guarantee_type: str
    typical_amount: Decimal
    typical_term: int
    typical_rate: Decimal

    @property
    def method(self) -> str:
        """The product's first repayment method (each demo product has one or two)."""
        return sorted(str(m) for m in self.terms.methods)[0]


def _terms(
    amount: tuple[str, str],
    months: tuple[int, int],
    rates: tuple[str, str],
    *methods: RepaymentMethod,
    grace: int = 3,
) -> ProductTerms:
    return ProductTerms(
        amount_min=Decimal(amount[0]),
        amount_max=Decimal(amount[1]),
        term_months_min=months[0],
        term_months_max=months[1],
        rate_min=Decimal(rates[0]),
        rate_max=Decimal(rates[1]),
        methods=frozenset(methods),
        grace_period_days=grace,
        penalty_multiplier=Decimal("1.5"),
    )


M = RepaymentMethod
#: The catalogue, in the order staff see it.
DEMO_PRODUCTS: tuple[DemoProduct, ...] = (
    DemoProduct(
        code="WC-EI",
        name="流动资金贷款（等额本息） Working capital, equal instalments",
        terms=_terms(("50000.00", "3000000.00"), (6, 36), ("0.0385", "0.1500"), M.EQUAL_INSTALMENT),
        guarantee_type="guarantee",
        typical_amount=Decimal("300000.00"),
        typical_term=24,
        typical_rate=Decimal("0.0620"),
    ),
    DemoProduct(
        code="WC-EP",
        name="流动资金贷款（等额本金） Working capital, equal principal",
        terms=_terms(("50000.00", "3000000.00"), (6, 36), ("0.0385", "0.1500"), M.EQUAL_PRINCIPAL),
        guarantee_type="mortgage",
        typical_amount=Decimal("500000.00"),
        typical_term=36,
        typical_rate=Decimal("0.0550"),
    ),
    DemoProduct(
        code="WC-IO",
        name="流动资金贷款（先息后本） Working capital, interest only",
        terms=_terms(("100000.00", "5000000.00"), (6, 12), ("0.0385", "0.1200"), M.INTEREST_ONLY),
        guarantee_type="pledge",
        typical_amount=Decimal("800000.00"),
        typical_term=12,
        typical_rate=Decimal("0.0520"),
    ),
    DemoProduct(
        code="TAX-EASY",
        name="税易贷（纳税信用贷，免抵押） Tax-data credit loan, unsecured",
        terms=_terms(
            ("10000.00", "500000.00"),
            (3, 12),
            ("0.0450", "0.1800"),
            M.EQUAL_INSTALMENT,
            M.INTEREST_ONLY,
            grace=0,
        ),
        guarantee_type="credit",
        typical_amount=Decimal("150000.00"),
        typical_term=12,
        typical_rate=Decimal("0.0780"),
    ),
)
del M


async def seed_demo_products(admin: Principal) -> list[models.Product]:
    """Create the catalogue's products that do not exist yet; return every one of them."""
    out: list[models.Product] = []
    for item in DEMO_PRODUCTS:
        product = await models.Product.get_or_none(code=item.code)
        if product is None:
            product = await create_product(admin, code=item.code, name=item.name, terms=item.terms)
        out.append(product)
    return out
