"""Celery entry points of this context (thin, idempotent; ids and payloads only)."""
