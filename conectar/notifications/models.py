"""Notifications tables (database alias: see conectar.platform.databases)."""
