"""SendGrid v3 Mail Send: `POST /v3/mail/send` → 202 with `X-Message-Id`, 400/401 like SendGrid."""

from __future__ import annotations

import itertools

from tests.support.standins.server import Recorded, Reply, StandIn


class SendGridStandIn(StandIn):
    fault_path = "/v3/mail/send"

    def __init__(self, *, api_key: str = "SG.standin-key"):
        super().__init__()
        self.api_key = api_key
        self.mails: list[dict] = []  # every accepted request body
        self._seq = itertools.count(1)

    def on_reset(self) -> None:
        self.mails.clear()

    def handle(self, request: Recorded) -> Reply:
        if request.method != "POST" or request.path != "/v3/mail/send":
            return Reply(404, {"errors": [{"message": "not found"}]})
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return Reply(401, {"errors": [{"message": "The provided authorization grant is invalid.", "field": None}]})
        body = request.json() or {}
        errors = []
        personalizations = body.get("personalizations") or []
        if not personalizations or not all(p.get("to") for p in personalizations):
            errors.append({"message": "The personalizations field is required.", "field": "personalizations"})
        if not (body.get("from") or {}).get("email"):
            errors.append({"message": "The from object must be provided.", "field": "from"})
        if not body.get("subject"):
            errors.append({"message": "The subject is required.", "field": "subject"})
        if not body.get("content"):
            errors.append({"message": "Content is required.", "field": "content"})
        if errors:
            return Reply(400, {"errors": errors})
        self.mails.append(body)
        return Reply(202, None, {"X-Message-Id": f"standin-{next(self._seq)}"})

    @staticmethod
    def to(mail: dict) -> str:
        return mail["personalizations"][0]["to"][0]["email"]

    @staticmethod
    def content(mail: dict, kind: str = "text/plain") -> str:
        return next(c["value"] for c in mail["content"] if c["type"] == kind)
