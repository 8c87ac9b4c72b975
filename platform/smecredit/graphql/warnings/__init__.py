"""GraphQL of the warnings (R5): types, queries, mutations and the live subscription.

:mod:`~smecredit.graphql.warnings.types` (the warning, its history and comments, scan runs),
:mod:`~smecredit.graphql.warnings.config_types` (rules, settings, weights, proposals,
back-tests), :mod:`~smecredit.graphql.warnings.queries`,
:mod:`~smecredit.graphql.warnings.mutations` and
:mod:`~smecredit.graphql.warnings.subscriptions`. Import from the modules: this package
re-exports nothing, so importing one never drags in the others.
"""

from __future__ import annotations

__all__: list[str] = []
