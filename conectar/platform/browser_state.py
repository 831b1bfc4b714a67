"""Django's session-user and messages middleware, run only for requests that can use them.

They serve the browser: the admin (login, flash messages) and staff's KYC document view (`/api/...`
with the admin's session cookie). A call to `/api/` that carries no session cookie (every app and
frontend request: a bearer token or nothing) has no session user and no messages, yet paid both on
every request (~50 µs of CPU together, bench/gateway.py's in-process table). These subclasses (so
Django's admin checks still find them) pass such a request straight on; `request.user` is then set
by the route's own authentication (DRF, the Ninja bearer), as it was before for bearer requests.
Every other request gets Django's middleware unchanged. Django's SessionMiddleware itself stays as
it is (cheap when no cookie comes; the deploy checks look for it by name).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware


def without_browser_state(request) -> bool:
    """An API call with no session cookie: nothing for the session user or messages to do."""
    return request.path_info.startswith("/api/") and settings.SESSION_COOKIE_NAME not in request.COOKIES


class BrowserAuthenticationMiddleware(AuthenticationMiddleware):
    def __call__(self, request):
        if not self.async_mode and without_browser_state(request):
            return self.get_response(request)
        return super().__call__(request)


class BrowserMessageMiddleware(MessageMiddleware):
    def __call__(self, request):
        if not self.async_mode and without_browser_state(request):
            return self.get_response(request)
        return super().__call__(request)
