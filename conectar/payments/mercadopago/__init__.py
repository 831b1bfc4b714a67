"""The MercadoPago adapter of the payments context.

`client` is what the payments services call (official SDK, our `http_client`, circuit breaker,
bounded retries of idempotent calls); `signatures` checks and makes webhook signatures.

This package imports nothing on purpose: `signatures` is used by the local sandbox, which runs
without Django settings, and `client` needs them.
"""
