"""The professional's side of the flow, over HTTP against the live server, the way the frontend
calls the API: register, log in, fill the profile, upload KYC documents (multipart `files`), read
the KYC status and the notification history with the JWT; the public search without one."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import httpx

from tests.professionals.test_kyc_files import pdf_bytes
from tests.support.accounts import STRONG_PASSWORD, bearer
from tests.support.files import image_bytes
from tests.support.professionals import BUENOS_AIRES
from tests.support.waiting import wait_until

_seq = itertools.count(1)
IMAGE_SIZE = (120, 80)


def dni_documents(text: bytes = b"DNI 12345678") -> tuple[list, list[str]]:
    """Front and back photos and a PDF, as the frontend's upload form sends them."""
    files = [
        ("files", ("frente.jpg", image_bytes("JPEG", size=IMAGE_SIZE), "image/jpeg")),
        ("files", ("dorso.png", image_bytes("PNG", size=IMAGE_SIZE), "image/png")),
        ("files", ("matricula.pdf", pdf_bytes(text=text), "application/pdf")),
    ]
    return files, ["DNI_FRENTE", "DNI_DORSO", "MATRICULA"]


@dataclass
class Professional:
    http: httpx.Client
    email: str
    access: str
    id: str = ""

    def call(self, method: str, path: str, **kwargs) -> httpx.Response:
        return self.http.request(method, f"/api/v1{path}", headers=bearer(self.access), **kwargs)

    def ok(self, method: str, path: str, **kwargs) -> dict | list:
        response = self.call(method, path, **kwargs)
        assert response.status_code == 200, (method, path, response.status_code, response.text)
        return response.json()

    def kyc(self) -> dict:
        return self.ok("GET", "/professional/kyc")

    def submit_documents(self, text: bytes = b"DNI 12345678") -> dict:
        files, kinds = dni_documents(text)
        return self.ok("POST", "/professional/kyc/upload", files=files, data={"kinds": kinds})

    def notifications(self) -> list[dict]:
        return self.ok("GET", "/notify/history")["notifications"]


def register(http: httpx.Client, *, nombre: str, apellido: str, rol: str) -> str:
    """A new account through the registration route; returns its e-mail."""
    email = f"{nombre.lower()}.{next(_seq)}@example.com"
    account = {"email": email, "password": STRONG_PASSWORD, "nombre": nombre, "apellido": apellido, "rol": rol}
    response = http.post("/api/v1/auth/register", json=account)
    assert response.status_code == 201, response.text
    return email


def register_professional(http: httpx.Client, *, nombre: str, apellido: str) -> Professional:
    """Registers and logs in; the profile exists once the registration event reached the
    professionals context (through the worker): until then /professional/kyc is not theirs."""
    email = register(http, nombre=nombre, apellido=apellido, rol="PROFESIONAL")
    response = http.post("/api/v1/auth/login", json={"email": email, "password": STRONG_PASSWORD})
    assert response.status_code == 200, response.text
    pro = Professional(http, email, response.json()["access_token"])

    def profile_status():
        response = pro.call("GET", "/professional/kyc")
        return response.json() if response.status_code == 200 else None

    pro.id = wait_until(profile_status, timeout=20, message="the profile made from the registration")["professional_id"]
    return pro


def make_findable_once_approved(pro: Professional, *, oficio_id: str, at=BUENOS_AIRES) -> None:
    """Location, coverage and oficio: everything search needs except the approved KYC."""
    pro.ok("PUT", "/professional/location", json={"latitude": at[0], "longitude": at[1]})
    pro.ok("PUT", "/professional/profile", json={"radio_cobertura_km": 10, "acepta_instant": False})
    pro.ok("PUT", "/professional/oficios", json={"oficio_ids": [oficio_id]})


def search_ids(http: httpx.Client, *, oficio_id: str, at=BUENOS_AIRES) -> list[str]:
    response = http.get("/api/v1/search/professionals", params={"lat": at[0], "lng": at[1], "oficio_id": oficio_id})
    assert response.status_code == 200, response.text
    return [row["id"] for row in response.json()]
