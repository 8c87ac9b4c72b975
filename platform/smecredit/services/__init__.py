"""Use cases: each owns its transaction, calls plugins, emits events."""
