"""Registering and logging in through the real routes, as the frontend does."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

_seq = itertools.count(1)
STRONG_PASSWORD = "Tornillo-Azul-2024"


@dataclass
class Session:
    user_id: str
    email: str
    password: str
    access: str
    refresh: str

    @property
    def headers(self) -> dict:
        return bearer(self.access)


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def register(client, *, email=None, password=STRONG_PASSWORD, rol="CLIENTE", nombre="Ana", apellido="García"):
    email = email or f"persona{next(_seq)}@example.com"
    response = client.post(
        "/api/v1/auth/register",
        {"email": email, "password": password, "nombre": nombre, "apellido": apellido, "rol": rol},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    return response.json()


def login(client, email, password=STRONG_PASSWORD, **extra):
    return client.post(
        "/api/v1/auth/login", {"email": email, "password": password}, content_type="application/json", **extra
    )


def signed_up(client, **kwargs) -> Session:
    user = register(client, **kwargs)
    password = kwargs.get("password", STRONG_PASSWORD)
    tokens = login(client, user["email"], password).json()
    return Session(user["id"], user["email"], password, tokens["access_token"], tokens["refresh_token"])


def admin_session(client, django_user_model) -> Session:
    email = f"admin{next(_seq)}@example.com"
    django_user_model.objects.create_superuser(email, STRONG_PASSWORD)
    tokens = login(client, email).json()
    admin = django_user_model.objects.get(email=email)
    return Session(str(admin.pk), email, STRONG_PASSWORD, tokens["access_token"], tokens["refresh_token"])
