"""Twilio Programmable Messaging: `POST /2010-04-01/Accounts/{sid}/Messages.json` (form body,
basic auth) → 201 message resource, or 400 with Twilio's error 21211 for an invalid 'To' number."""

from __future__ import annotations

import base64
import itertools
import re
from datetime import UTC, datetime

from tests.support.standins.server import Recorded, Reply, StandIn

_MESSAGES = re.compile(r"^/2010-04-01/Accounts/(?P<sid>AC[0-9a-f]{32})/Messages\.json$")


class TwilioStandIn(StandIn):
    fault_path = "/Messages.json"

    def __init__(self, *, account_sid: str = "AC" + "0" * 31 + "1", auth_token: str = "standin-auth-token"):  # noqa: S107
        super().__init__()
        self.account_sid, self.auth_token = account_sid, auth_token
        self.invalid_numbers: set[str] = set()
        self.sms: list[dict] = []  # the form of every accepted message
        self._seq = itertools.count(1)

    def on_reset(self) -> None:
        self.invalid_numbers.clear()
        self.sms.clear()

    def handle(self, request: Recorded) -> Reply:
        match = _MESSAGES.match(request.path)
        if request.method != "POST" or not match:
            return Reply(404, _error(20404, "The requested resource was not found", 404))
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        if match["sid"] != self.account_sid or request.headers.get("authorization") != f"Basic {expected}":
            return Reply(401, _error(20003, "Authenticate", 401))
        form = request.form()
        to, body = form.get("To", ""), form.get("Body", "")
        if not form.get("From") and not form.get("MessagingServiceSid"):
            return Reply(400, _error(21603, "A 'From' or 'MessagingServiceSid' parameter is required.", 400))
        if not re.fullmatch(r"\+[1-9]\d{7,14}", to) or to in self.invalid_numbers:
            return Reply(400, _error(21211, f"Invalid 'To' Phone Number: {to}", 400))
        if len(body) > 1600:
            return Reply(400, _error(21617, "The concatenated message body exceeds the 1600 character limit.", 400))
        self.sms.append(form)
        sid = f"SM{next(self._seq):032x}"
        now = datetime.now(UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")
        return Reply(
            201,
            {
                "account_sid": self.account_sid,
                "api_version": "2010-04-01",
                "body": body,
                "date_created": now,
                "date_sent": None,
                "date_updated": now,
                "direction": "outbound-api",
                "error_code": None,
                "error_message": None,
                "from": form.get("From"),
                "messaging_service_sid": None,
                "num_media": "0",
                "num_segments": "1",
                "price": None,
                "price_unit": "USD",
                "sid": sid,
                "status": "queued",
                "subresource_uris": {"media": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}/Media.json"},
                "to": to,
                "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json",
            },
        )


def _error(code: int, message: str, status: int) -> dict:
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
