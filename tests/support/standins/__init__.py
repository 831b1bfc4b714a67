"""Local stand-ins for the notification providers: small HTTP servers on 127.0.0.1 (one thread
each) that speak enough of each provider's API for its official SDK to do the real call — Google's
OAuth token endpoint and FCM v1 `messages:send`, SendGrid's `/v3/mail/send`, Twilio's
`/2010-04-01/Accounts/{sid}/Messages.json` — and that record what they received. Faults can be
injected: answer an error status the next N times, drop connections ("down"), or answer slowly."""

from tests.support.standins.google import GoogleStandIn, service_account
from tests.support.standins.sendgrid import SendGridStandIn
from tests.support.standins.server import StandIn
from tests.support.standins.twilio import TwilioStandIn

__all__ = ["GoogleStandIn", "SendGridStandIn", "StandIn", "TwilioStandIn", "service_account"]
