"""The GraphQL API: strawberry types per domain, dataloaders, schema assembly."""
