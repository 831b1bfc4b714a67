"""Create whatever context database is missing (with its extensions) on its server."""

from __future__ import annotations

import psycopg
from psycopg import sql

GEO_EXTENSIONS = ("postgis", "btree_gist")


def _server_conninfo(settings_dict: dict, dbname: str) -> dict:
    return {
        "dbname": dbname,
        "user": settings_dict.get("USER") or None,
        "password": settings_dict.get("PASSWORD") or None,
        "host": settings_dict.get("HOST") or None,
        "port": settings_dict.get("PORT") or None,
        "connect_timeout": 5,
    }


def ensure_database(settings_dict: dict, *, geo: bool) -> bool:
    """Create the database of `settings_dict` if it does not exist; returns whether it was created."""
    name = settings_dict["NAME"]
    created = False
    with psycopg.connect(**_server_conninfo(settings_dict, "postgres"), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            try:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                created = True
            except psycopg.errors.DuplicateDatabase:
                pass  # created concurrently by another provisioning run
    if geo:
        with psycopg.connect(**_server_conninfo(settings_dict, name), autocommit=True) as conn:
            for extension in GEO_EXTENSIONS:
                conn.execute(sql.SQL("CREATE EXTENSION IF NOT EXISTS {}").format(sql.Identifier(extension)))
    return created
