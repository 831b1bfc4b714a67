"""The demo's fixed credentials, each overridable from the environment (scripts/run.sh prints them)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULTS = {
    "ADMIN_EMAIL": "admin@conectar.local",
    "ADMIN_PASSWORD": "Conectar-Admin-2026",
    "DEMO_CLIENTE_EMAIL": "cliente@conectar.local",
    "DEMO_PROFESIONAL_EMAIL": "profesional@conectar.local",
    "DEMO_PASSWORD": "Conectar-Demo-2026",  # the cliente's and every demo professional's
}
# The other demo professionals: approved ones numbered from 001, those waiting for KYC from 1.
APPROVED_EMAIL = "profesional{number:03d}@demo.conectar.local"
PENDING_EMAIL = "pendiente{number}@demo.conectar.local"


@dataclass(frozen=True)
class Credentials:
    admin_email: str
    admin_password: str
    cliente_email: str
    profesional_email: str
    password: str

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Credentials:
        value = {name: environ.get(name) or default for name, default in DEFAULTS.items()}
        return cls(
            admin_email=value["ADMIN_EMAIL"],
            admin_password=value["ADMIN_PASSWORD"],
            cliente_email=value["DEMO_CLIENTE_EMAIL"],
            profesional_email=value["DEMO_PROFESIONAL_EMAIL"],
            password=value["DEMO_PASSWORD"],
        )
