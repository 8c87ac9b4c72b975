"""GraphQL queries of the credit lifecycle: applications, the approval queue, products."""

from __future__ import annotations

import strawberry
from strawberry import relay
from tortoise.queryset import QuerySet

from smecredit import models
from smecredit.graphql.lending.inputs import ApplicationFilter, ApplicationSort, _app_id
from smecredit.graphql.lending.types import LoanApplicationType, ProductType
from smecredit.graphql.pagination import Connection, SortSpec, paginate
from smecredit.security.caller import signed_in
from smecredit.security.row_scope import scoped
from smecredit.services.lending import applications as app_service

__all__ = ["LendingQueries"]


_APPLICATION_SORTS = {
    ApplicationSort.ID_ASC: SortSpec("id_asc", "id"),
    ApplicationSort.UPDATED_ASC: SortSpec("updated_asc", "updated_at"),
    ApplicationSort.UPDATED_DESC: SortSpec("updated_desc", "updated_at", descending=True),
}
#: The most applications the queue considers (the service's own bound on its work).
QUEUE_LIMIT = 500


def _filtered(
    qs: QuerySet[models.LoanApplication], filter: ApplicationFilter | None
) -> QuerySet[models.LoanApplication]:
    if filter is not None:
        if filter.status:
            qs = qs.filter(state=filter.status.value)
        if filter.branch_code:
            qs = qs.filter(branch_code=filter.branch_code)
        if filter.maker_id:
            qs = qs.filter(maker_id=filter.maker_id)
    return qs


@strawberry.type
class LendingQueries:
    @strawberry.field(
        description="Applications waiting for an action the caller can take, paged "
        "(default: longest waiting first)."
    )
    async def approval_queue(
        self,
        info: strawberry.Info,
        first: int | None = None,
        after: str | None = None,
        filter: ApplicationFilter | None = None,
        sort: ApplicationSort | None = None,
    ) -> Connection[LoanApplicationType]:
        user = signed_in(info.context)
        # Which applications wait for the caller is decided by the service (roles, four
        # eyes, approvals already given); the page is a keyset page over those ids, so
        # cursors mean what they mean in every other list.
        ids = (
            [r.id for r in await app_service.approval_queue(user, limit=QUEUE_LIMIT)]
            if user
            else []
        )
        qs = _filtered(scoped(info.context, models.LoanApplication).filter(id__in=ids), filter)
        return await paginate(
            qs,
            sort=_APPLICATION_SORTS[sort or ApplicationSort.UPDATED_ASC],
            first=first,
            after=after,
            max_page_size=info.context.settings.max_page_size,
            to_node=LoanApplicationType.from_model,
        )

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
        sort: ApplicationSort | None = None,
    ) -> Connection[LoanApplicationType]:
        return await paginate(
            _filtered(scoped(info.context, models.LoanApplication), filter),
            sort=_APPLICATION_SORTS[sort or ApplicationSort.ID_ASC],
            first=first,
            after=after,
            max_page_size=info.context.settings.max_page_size,
            to_node=LoanApplicationType.from_model,
        )

    @strawberry.field(
        description="Loan products (active ones unless asked otherwise): a bounded "
        "catalogue, so a plain list."
    )
    async def products(self, include_inactive: bool = False) -> list[ProductType]:
        qs = models.Product.all() if include_inactive else models.Product.filter(active=True)
        return [ProductType.from_model(p) for p in await qs.order_by("code")]
