"""users routes (API.md § users): a person's own profile, and staff's user tools."""

from __future__ import annotations

import math
from dataclasses import asdict
from uuid import UUID

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from conectar.auth_ctx import facade as accounts
from conectar.auth_ctx.contracts import AccountDTO, user_read_body
from conectar.platform.permissions import IsAdmin
from conectar.platform.uploads import clean_image, read_limited
from conectar.shared.errors import NotFound
from conectar.users import selectors, services
from conectar.users.contracts import ProfileDTO
from conectar.users.http import serializers as s

USER_READ = OpenApiResponse(description="UserRead (API.md)")


def _valid(serializer_class, data):
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def user_body(account: AccountDTO, profile: ProfileDTO | None) -> dict:
    return user_read_body(
        account,
        nombre=profile.nombre if profile else "",
        apellido=profile.apellido if profile else "",
        avatar_url=profile.avatar_url if profile else None,
        telefono=profile.telefono if profile else None,
    )


def _user_body_for(user_id: UUID) -> dict:
    account = accounts.get_account(user_id=user_id)
    if account is None:
        raise NotFound
    profile = selectors.profile_get(user_id)
    return user_body(account, selectors.to_dto(profile) if profile else None)


def _users_bodies(account_list: list[AccountDTO]) -> list[dict]:
    profiles = selectors.profiles_by_ids([a.id for a in account_list])
    return [user_body(a, selectors.to_dto(profiles[a.id]) if a.id in profiles else None) for a in account_list]


class MeView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(summary="My account and profile", responses=USER_READ, tags=["users"])
    def get(self, request):
        return Response(_user_body_for(request.user.pk))

    @extend_schema(
        summary="Change my profile (any of nombre, apellido, telefono)",
        request=s.ProfileUpdateIn,
        responses=USER_READ,
        tags=["users"],
    )
    def patch(self, request):
        changes = _valid(s.ProfileUpdateIn, request.data)
        services.profile_update(user_id=request.user.pk, changes=changes)
        return Response(_user_body_for(request.user.pk))

    put = patch  # API.md: PUT and PATCH both take any subset of the fields


class AvatarView(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        summary="Upload my avatar (multipart `file`: JPEG, PNG or WebP)",
        request={"multipart/form-data": s.AvatarIn},
        responses=USER_READ,
        tags=["users"],
    )
    def post(self, request):
        upload = _valid(s.AvatarIn, request.data)["file"]
        image = clean_image(read_limited(upload, max_bytes=settings.AVATAR_MAX_BYTES), max_side=1024)
        services.avatar_set(user_id=request.user.pk, image=image)
        return Response(_user_body_for(request.user.pk))


class PasswordView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        summary="Change my password (every earlier token dies; answers a new pair)",
        request=s.PasswordChangeIn,
        responses=OpenApiResponse(description="mensaje + new token pair"),
        tags=["users"],
    )
    def patch(self, request):
        data = _valid(s.PasswordChangeIn, request.data)
        pair = accounts.change_password(
            user_id=request.user.pk, current_password=data["current_password"], new_password=data["new_password"]
        )
        return Response({"mensaje": "Contraseña actualizada.", **asdict(pair)})


class PasswordViewV1(PasswordView):
    """v1 alias: POST /users/me/change-password."""

    http_method_names = ["post", "options"]
    post = PasswordView.patch


class UserDetailView(APIView):
    permission_classes = [IsAdmin]

    @extend_schema(summary="A user's account and profile (staff)", responses=USER_READ, tags=["admin"])
    def get(self, request, user_id: UUID):
        return Response(_user_body_for(user_id))


class AdminUsersView(APIView):
    permission_classes = [IsAdmin]

    @extend_schema(
        summary="All users, paged (staff)",
        parameters=[OpenApiParameter("page", int), OpenApiParameter("limit", int)],
        responses=OpenApiResponse(description="{users: [UserRead], total, page, limit, totalPages}"),
        tags=["admin"],
    )
    def get(self, request):
        query = _valid(s.PageQuery, request.query_params)
        page = accounts.list_accounts(page=query["page"], limit=query["limit"])
        return Response(
            {
                "users": _users_bodies(page.accounts),
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
        query = _valid(s.EmailSearchQuery, request.query_params)
        return Response(_users_bodies(accounts.search_accounts(email_fragment=query["email"], limit=50)))


class AdminBanView(APIView):
    permission_classes = [IsAdmin]

    @extend_schema(
        summary="Ban a user: no login, every token dies (staff)", request=None, responses=USER_READ, tags=["admin"]
    )
    def post(self, request, user_id: UUID):
        accounts.ban(user_id=user_id, by=request.user.pk)
        return Response(_user_body_for(user_id))


class AdminUnbanView(APIView):
    permission_classes = [IsAdmin]

    @extend_schema(summary="Lift a user's ban (staff)", request=None, responses=USER_READ, tags=["admin"])
    def post(self, request, user_id: UUID):
        accounts.unban(user_id=user_id, by=request.user.pk)
        return Response(_user_body_for(user_id))
