"""Role checks shared by every context's routes. Roles are the account roles of DOMAIN.md."""

from rest_framework.permissions import BasePermission

from conectar.shared.errors import PermissionDenied

ADMIN_ROLE = "ADMIN"


def is_admin(user) -> bool:
    return bool(user and getattr(user, "is_authenticated", False) and getattr(user, "role", None) == ADMIN_ROLE)


class IsAdmin(BasePermission):
    message = PermissionDenied.default_detail

    def has_permission(self, request, view):
        return is_admin(request.user)
