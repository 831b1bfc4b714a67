"""Role checks shared by every context's routes. Roles are the account roles of DOMAIN.md."""

from rest_framework.permissions import BasePermission

from conectar.shared.errors import PermissionDenied

ADMIN_ROLE = "ADMIN"


def is_admin(user) -> bool:
    return bool(user and getattr(user, "is_authenticated", False) and getattr(user, "role", None) == ADMIN_ROLE)


def require_role(principal, *roles: str) -> None:
    """For Ninja routes (`request.auth` is the Principal): 403 unless the caller has one of `roles`."""
    if getattr(principal, "role", None) not in roles:
        raise PermissionDenied


def require_admin(principal) -> None:
    require_role(principal, ADMIN_ROLE)


class IsAdmin(BasePermission):
    message = PermissionDenied.default_detail

    def has_permission(self, request, view):
        return is_admin(request.user)
