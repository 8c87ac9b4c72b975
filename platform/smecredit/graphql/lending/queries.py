"""GraphQL queries of the credit lifecycle: applications, the approval queue, products."""

from __future__ import annotations

import strawberry
from strawberry import relay

from smecredit import models
from smecredit.graphql.lending.inputs import ApplicationFilter, _app_id
from smecredit.graphql.lending.types import LoanApplicationType, ProductType
from smecredit.graphql.pagination import Connection, SortSpec, paginate
from smecredit.security.caller import signed_in
from smecredit.security.row_scope import scoped
from smecredit.services.lending import applications as app_service

__all__ = ["LendingQueries"]


_APPLICATION_SORT = SortSpec("id_asc", "id")


@strawberry.type
class LendingQueries:
    @strawberry.field(description="Applications waiting for an action the caller can take.")
    async def approval_queue(self, info: strawberry.Info) -> list[LoanApplicationType]:
        user = signed_in(info.context)
        if user is None:
            return []
        rows = await app_service.approval_queue(user)
        visible = set(
            await scoped(info.context, models.LoanApplication)
            .filter(id__in=[r.id for r in rows])
            .values_list("id", flat=True)
        )
        return [LoanApplicationType.from_model(r) for r in rows if r.id in visible]

    @strawberry.field(description="One application by its global id.")
    async def application(
        self, info: strawberry.Info, id: relay.GlobalID
    ) -> LoanApplicationType | None:
        row = await scoped(info.context, models.LoanApplication).get_or_none(id=_app_id(id))
        return LoanApplicationType.from_model(row) if row else None

    @strawberry.field(description="Applications visible to the caller, paged.")
    async def applications(
        self,
        info: strawberry.Info,
        first: int | None = None,
        after: str | None = None,
        filter: ApplicationFilter | None = None,
    ) -> Connection[LoanApplicationType]:
        qs = scoped(info.context, models.LoanApplication)
        if filter is not None:
            if filter.state:
                qs = qs.filter(state=filter.state)
            if filter.branch_code:
                qs = qs.filter(branch_code=filter.branch_code)
            if filter.maker_id:
                qs = qs.filter(maker_id=filter.maker_id)
        return await paginate(
            qs,
            sort=_APPLICATION_SORT,
            first=first,
            after=after,
            max_page_size=info.context.settings.max_page_size,
            to_node=LoanApplicationType.from_model,
        )

    @strawberry.field(description="Loan products (active ones unless asked otherwise).")
    async def products(self, include_inactive: bool = False) -> list[ProductType]:
        qs = models.Product.all() if include_inactive else models.Product.filter(active=True)
        return [ProductType.from_model(p) for p in await qs.order_by("code")]


# ---------------------------------------------------------------------------- subscriptions
