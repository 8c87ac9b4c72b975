"""Security building blocks: passwords, TOTP, session tokens, field crypto, audit chain, throttling.

Each module is small and free of ORM access so it can be tested in isolation; the services
and models layers wire them to the database and the GraphQL API.
"""
