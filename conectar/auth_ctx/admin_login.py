"""Django admin's login form under the API's lockout (lockout.py): the same counters per e-mail and
per IP, so staff accounts — the most valuable to guess — are no easier to brute-force through
/admin/login/ than through /api/v1/auth/login, and a lock earned on one holds on the other."""

from __future__ import annotations

from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError

from conectar.auth_ctx.lockout import LoginAttempt
from conectar.auth_ctx.models import normalize_email
from conectar.platform.ratelimit import request_ip
from conectar.shared.errors import RateLimited


class LockoutAdminAuthenticationForm(AdminAuthenticationForm):
    def clean(self):
        username = self.cleaned_data.get("username")
        if not username:
            return super().clean()  # the form's own "required" errors; nothing was tried
        ip = request_ip(self.request) if self.request is not None else None
        try:
            with LoginAttempt(normalize_email(username), ip) as attempt:
                cleaned = super().clean()  # authenticates, and refuses non-staff accounts
                attempt.succeeded()
        except RateLimited as exc:
            raise ValidationError(exc.detail, code=exc.code) from exc
        return cleaned
