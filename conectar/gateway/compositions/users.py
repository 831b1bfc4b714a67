"""users routes (API.md § users): a person's own profile, and staff's user tools.

Every answer is v1's UserRead, which joins three contexts: the account (auth_ctx), the profile
(users) and the chat standing (marketplace); and half the actions are the account's (password, ban).
So these views are a composition of the gateway over the three facades. They are the gateway's own
routes (gateway/drf_urls.py; nobody's in gateway/route_owners.py): where users or auth_ctx is
lifted, the gateway still answers them, calling that context's facade remotely."""

from __future__ import annotations

import math
from dataclasses import asdict
from uuid import UUID

from django.conf import settings
from django.urls import path
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from conectar.auth_ctx import facade as accounts
from conectar.auth_ctx.contracts import AccountDTO, user_read_body
from conectar.marketplace import facade as marketplace
from conectar.marketplace.contracts import ChatStandingDTO
from conectar.platform.media import absolute_url
from conectar.platform.permissions import IsAdmin
from conectar.platform.uploads import read_limited
from conectar.shared.errors import NotFound
from conectar.users import facade as users
from conectar.users.contracts import ProfileDTO

USER_READ = OpenApiResponse(description="UserRead (API.md)")
BAN_BODY = OpenApiResponse(description="UserRead plus v1's user_id and mensaje (UserBanResponse)")
BANNED = "Usuario {email} ha sido baneado exitosamente. No podrá iniciar sesión."
UNBANNED = "Usuario {email} ha sido desbaneado exitosamente. Ya puede iniciar sesión."
CHANGE_DONE = "Contraseña actualizada exitosamente"


# --- request bodies and queries ---


class ProfileUpdateIn(serializers.Serializer):
    nombre = serializers.CharField(min_length=1, max_length=100, required=False)
    apellido = serializers.CharField(min_length=1, max_length=100, required=False)
    telefono = serializers.CharField(
        max_length=25, required=False, allow_blank=True, allow_null=True
    )  # its format is the users context's to judge (profile_update: 422 naming the field)


class PasswordChangeIn(serializers.Serializer):
    current_password = serializers.CharField(max_length=128, trim_whitespace=False)
    new_password = serializers.CharField(max_length=128, trim_whitespace=False)


class AvatarIn(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=False)


class PageQuery(serializers.Serializer):
    page = serializers.IntegerField(min_value=1, default=1)
    limit = serializers.IntegerField(min_value=1, max_value=100, default=20)


class EmailSearchQuery(serializers.Serializer):
    email = serializers.CharField(min_length=2, max_length=254)


def _valid(serializer_class, data):
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def user_body(request, account: AccountDTO, profile: ProfileDTO | None, standing: ChatStandingDTO) -> dict:
    """UserRead: the account (auth_ctx), the profile (here, the avatar's URL absolute) and the chat
    standing (the marketplace's, through its facade)."""
    return user_read_body(
        account,
        nombre=profile.nombre if profile else "",
        apellido=profile.apellido if profile else "",
        avatar_url=absolute_url(request, profile.avatar_url) if profile else None,
        infracciones_chat=standing.infracciones,
        is_chat_banned=standing.is_banned,
        telefono=profile.telefono if profile else None,
    )


def _user_body_for(request, user_id: UUID) -> dict:
    account = accounts.get_account(user_id=user_id)
    if account is None:
        raise NotFound
    profile = users.get_profile(user_id=user_id)
    standing = marketplace.chat_standing(user_id=user_id)
    return user_body(request, account, profile, standing)


def _users_bodies(request, account_list: list[AccountDTO]) -> list[dict]:
    ids = [a.id for a in account_list]
    profiles = users.get_profiles(user_ids=ids)
    standings = marketplace.chat_standings(user_ids=ids)
    return [user_body(request, a, profiles.get(a.id), standings[a.id]) for a in account_list]


def _ban_body(request, user_id: UUID, mensaje: str) -> dict:
    """v1's UserBanResponse (`user_id`, `email`, `is_active`, `mensaje`) over the whole UserRead."""
    body = _user_body_for(request, user_id)
    return {**body, "user_id": body["id"], "mensaje": mensaje.format(email=body["email"])}


class MeView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(summary="My account and profile", responses=USER_READ, tags=["users"])
    def get(self, request):
        return Response(_user_body_for(request, request.user.pk))

    @extend_schema(
        summary="Change my profile (any of nombre, apellido, telefono)",
        request=ProfileUpdateIn,
        responses=USER_READ,
        tags=["users"],
    )
    def patch(self, request):
        changes = _valid(ProfileUpdateIn, request.data)
        users.update_profile(user_id=request.user.pk, changes=dict(changes))
        return Response(_user_body_for(request, request.user.pk))

    put = patch  # API.md: PUT and PATCH both take any subset of the fields


class AvatarView(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        summary="Upload my avatar (multipart `file`: JPEG, PNG or WebP)",
        request={"multipart/form-data": AvatarIn},
        responses=USER_READ,
        tags=["users"],
    )
    def post(self, request):
        upload = _valid(AvatarIn, request.data)["file"]
        users.set_avatar(user_id=request.user.pk, content=read_limited(upload, max_bytes=settings.AVATAR_MAX_BYTES))
        return Response(_user_body_for(request, request.user.pk))


class PasswordView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        summary="Change my password (every earlier token dies; answers a new pair)",
        request=PasswordChangeIn,
        responses=OpenApiResponse(description="mensaje + new token pair"),
        tags=["users"],
    )
    def patch(self, request):
        data = _valid(PasswordChangeIn, request.data)
        pair = accounts.change_password(
            user_id=request.user.pk, current_password=data["current_password"], new_password=data["new_password"]
        )
        # this project's mensaje and token pair, and v1's message and success (§ 3.4 R10)
        return Response({"mensaje": "Contraseña actualizada.", "message": CHANGE_DONE, "success": True, **asdict(pair)})


class PasswordViewV1(PasswordView):
    """v1 alias: POST /users/me/change-password."""

    http_method_names = ["post", "options"]
    post = PasswordView.patch


class UserDetailView(APIView):
    permission_classes = [IsAdmin]

    @extend_schema(summary="A user's account and profile (staff)", responses=USER_READ, tags=["admin"])
    def get(self, request, user_id: UUID):
        return Response(_user_body_for(request, user_id))


class AdminUsersView(APIView):
    permission_classes = [IsAdmin]

    @extend_schema(
        summary="All users, paged (staff)",
        parameters=[OpenApiParameter("page", int), OpenApiParameter("limit", int)],
        responses=OpenApiResponse(description="{users: [UserRead], total, page, limit, totalPages}"),
        tags=["admin"],
    )
    def get(self, request):
        query = _valid(PageQuery, request.query_params)
        page = accounts.list_accounts(page=query["page"], limit=query["limit"])
        return Response(
            {
                "users": _users_bodies(request, page.accounts),
                "total": page.total,
                "page": page.page,
                "limit": page.limit,
                "totalPages": math.ceil(page.total / page.limit) if page.total else 0,
            }
        )


class AdminUserSearchView(APIView):
    permission_classes = [IsAdmin]

    @extend_schema(
        summary="Users whose e-mail contains a fragment (staff)",
        parameters=[OpenApiParameter("email", str, required=True)],
        responses=OpenApiResponse(description="[UserRead], at most 50"),
        tags=["admin"],
    )
    def get(self, request):
        query = _valid(EmailSearchQuery, request.query_params)
        return Response(_users_bodies(request, accounts.search_accounts(email_fragment=query["email"], limit=50)))


class AdminBanView(APIView):
    permission_classes = [IsAdmin]

    @extend_schema(
        summary="Ban a user: no login, every token dies (staff)", request=None, responses=BAN_BODY, tags=["admin"]
    )
    def post(self, request, user_id: UUID):
        accounts.ban(user_id=user_id, by=request.user.pk)
        return Response(_ban_body(request, user_id, BANNED))


class AdminUnbanView(APIView):
    permission_classes = [IsAdmin]

    @extend_schema(summary="Lift a user's ban (staff)", request=None, responses=BAN_BODY, tags=["admin"])
    def post(self, request, user_id: UUID):
        accounts.unban(user_id=user_id, by=request.user.pk)
        return Response(_ban_body(request, user_id, UNBANNED))


urlpatterns = [
    path("users/me", MeView.as_view(), name="users-me"),
    path("users/me/avatar", AvatarView.as_view(), name="users-me-avatar"),
    path("users/me/password", PasswordView.as_view(), name="users-me-password"),
    path("users/me/change-password", PasswordViewV1.as_view(), name="users-me-change-password"),
    path("users/<uuid:user_id>", UserDetailView.as_view(), name="users-detail"),
    path("admin/users", AdminUsersView.as_view(), name="admin-users"),
    path("admin/users/search", AdminUserSearchView.as_view(), name="admin-users-search"),
    path("admin/users/<uuid:user_id>/ban", AdminBanView.as_view(), name="admin-users-ban"),
    path("admin/users/<uuid:user_id>/unban", AdminUnbanView.as_view(), name="admin-users-unban"),
]
