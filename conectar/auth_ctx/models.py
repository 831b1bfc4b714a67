"""Accounts: the identity every other context refers to by UUID."""

import uuid

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower

from conectar.auth_ctx.contracts import Role


def normalize_email(email: str) -> str:
    """E-mail logins are case-insensitive: store and compare one canonical form."""
    return (email or "").strip().lower()


class AccountManager(BaseUserManager):
    use_in_migrations = True

    def get_by_natural_key(self, username):
        return self.get(email=normalize_email(username))

    def create_user(self, email, password=None, **extra):
        account = self.model(email=normalize_email(email), **extra)
        account.set_password(password)
        account.save(using=self._db)
        return account

    def create_superuser(self, email, password=None, **extra):
        extra.update(role=Role.ADMIN, is_staff=True, is_superuser=True)
        return self.create_user(email, password, **extra)


class Account(AbstractBaseUser, PermissionsMixin):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(max_length=254, unique=True)
    role = models.CharField(max_length=16, choices=[(r.value, r.value) for r in Role], default=Role.CLIENTE)
    # is_active=False is a ban: no login, and (with token_version bumped) no earlier token works.
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    email_verified = models.BooleanField(default=False)
    # Stamped into every token as `tv`; bumping it (password change or reset, ban) kills every
    # token issued before, exactly, with no clock-resolution edge.
    token_version = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AccountManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        # Stored in canonical (lower-case) form, so the plain unique index is case-insensitive.
        constraints = [models.CheckConstraint(condition=models.Q(email=Lower("email")), name="account_email_canonical")]

    def __str__(self) -> str:
        return self.email


class DeniedAccessToken(models.Model):
    """An access token logged out before it expired, by its `jti`. The database is the record, so a
    cache flush or a Redis restart cannot revive a logged-out token (the cache only answers sooner);
    a row is purged once its token would have expired anyway (`tokens.deny_access_token`)."""

    jti = models.CharField(max_length=255, primary_key=True)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return self.jti
