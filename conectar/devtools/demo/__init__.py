"""Demo data for `make run` (`manage.py seed_demo`): people, professionals across Buenos Aires,
Córdoba and Rosario, portfolios and a KYC queue, created through the contexts' facades exactly as
the app would create them, idempotently and deterministically."""
