"""GraphQL API of the credit lifecycle, by part: types, inputs, queries, mutations and
subscriptions. Import from the submodules; this package re-exports nothing."""
