"""Google's OAuth 2.0 token endpoint (JWT-bearer grant, as google-auth's service-account
credentials use it) and FCM HTTP v1 `POST /v1/projects/{project}/messages:send`, with FCM's error
shapes (UNREGISTERED, INVALID_ARGUMENT)."""

from __future__ import annotations

import itertools
import re

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.support.standins.server import Recorded, Reply, StandIn

FCM_ERROR = "type.googleapis.com/google.firebase.fcm.v1.FcmError"
# google-auth signs every service-account assertion for Google's token endpoint, whatever token_uri is.
TOKEN_AUDIENCE = "https://oauth2.googleapis.com/token"
_SEND = re.compile(r"^/v1/projects/(?P<project>[^/]+)/messages:send$")


def service_account(*, token_uri: str, project_id: str = "conectar-test") -> tuple[dict, bytes]:
    """A service-account JSON with a fresh RSA key, and the key's public half (PEM)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    info = {
        "type": "service_account",
        "project_id": project_id,
        "private_key_id": "standin-key-1",
        "private_key": private_pem,
        "client_email": f"firebase-adminsdk@{project_id}.iam.gserviceaccount.com",
        "client_id": "100000000000000000001",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": token_uri,
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/standin",
        "universe_domain": "googleapis.com",
    }
    return info, public_pem


class GoogleStandIn(StandIn):
    fault_path = "messages:send"

    def __init__(self, *, project_id: str = "conectar-test"):
        super().__init__()
        self.project_id = project_id
        self.public_key: bytes | None = None  # verify assertions with it once known
        self.client_email: str | None = None
        self.unregistered: set[str] = set()
        self.invalid: set[str] = set()
        self.messages: list[dict] = []  # the `message` of every accepted send
        self._issued: set[str] = set()
        self._seq = itertools.count(1)

    @property
    def token_uri(self) -> str:
        return f"{self.url}/token"

    def new_service_account(self) -> dict:
        info, public_pem = service_account(token_uri=self.token_uri, project_id=self.project_id)
        self.public_key, self.client_email = public_pem, info["client_email"]
        return info

    def on_reset(self) -> None:
        self.unregistered.clear()
        self.invalid.clear()
        self.messages.clear()

    def handle(self, request: Recorded) -> Reply:
        if request.method == "POST" and request.path == "/token":
            return self._token(request)
        match = _SEND.match(request.path)
        if request.method == "POST" and match:
            return self._send(request, match["project"])
        return Reply(404, {"error": {"code": 404, "message": "Not found", "status": "NOT_FOUND"}})

    def _token(self, request: Recorded) -> Reply:
        form = request.form()
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return Reply(400, {"error": "unsupported_grant_type"})
        try:
            claims = jwt.decode(
                form.get("assertion", ""),
                self.public_key,
                algorithms=["RS256"],
                audience=TOKEN_AUDIENCE,
                options={"verify_signature": self.public_key is not None},
            )
        except jwt.PyJWTError as exc:
            return Reply(400, {"error": "invalid_grant", "error_description": str(exc)})
        if self.client_email and claims.get("iss") != self.client_email:
            return Reply(400, {"error": "invalid_grant", "error_description": "wrong issuer"})
        scopes = set(claims.get("scope", "").split())
        if not scopes & {f"https://www.googleapis.com/auth/{s}" for s in ("firebase.messaging", "cloud-platform")}:
            return Reply(400, {"error": "invalid_scope"})
        token = f"ya29.standin-{next(self._seq)}"
        self._issued.add(token)
        return Reply(200, {"access_token": token, "expires_in": 3599, "token_type": "Bearer"})

    def _send(self, request: Recorded, project: str) -> Reply:
        auth = request.headers.get("authorization", "")
        if not auth.startswith("Bearer ") or auth.removeprefix("Bearer ") not in self._issued:
            return _error(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.")
        if project != self.project_id:
            return _error(403, "PERMISSION_DENIED", "SenderId mismatch", fcm_code="SENDER_ID_MISMATCH")
        message = (request.json() or {}).get("message") or {}
        token = message.get("token")
        if not token:
            return _error(400, "INVALID_ARGUMENT", "Request contains an invalid argument.", fcm_code="INVALID_ARGUMENT")
        if token in self.unregistered:
            return _error(404, "NOT_FOUND", "Requested entity was not found.", fcm_code="UNREGISTERED")
        if token in self.invalid:
            return _error(
                400,
                "INVALID_ARGUMENT",
                "The registration token is not a valid FCM registration token",
                fcm_code="INVALID_ARGUMENT",
            )
        self.messages.append(message)
        return Reply(200, {"name": f"projects/{project}/messages/{next(self._seq)}"})


def _error(code: int, status: str, message: str, *, fcm_code: str | None = None) -> Reply:
    error = {"code": code, "message": message, "status": status}
    if fcm_code:
        error["details"] = [{"@type": FCM_ERROR, "errorCode": fcm_code}]
    return Reply(code, {"error": error})
