"""auth_ctx routes (API.md § auth_ctx). Views parse and answer; services decide."""

from dataclasses import asdict

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from conectar.auth_ctx import facade, selectors, services
from conectar.auth_ctx.contracts import Role, user_read_body
from conectar.auth_ctx.http import serializers as s
from conectar.platform.auth import ServiceKeyAuthentication
from conectar.platform.ratelimit import request_ip

_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# The same answer whether or not the e-mail has an account: no enumeration.
FORGOT_ANSWER = "Si el e-mail está registrado, te enviamos un enlace para restablecer la contraseña."
RESET_ANSWER = "Tu contraseña fue actualizada. Iniciá sesión con la nueva."


def message_body(text: str) -> dict:
    """A plain success answer: this project's `mensaje`, and v1's `message` and `success` (§ 3.3)."""
    return {"mensaje": text, "message": text, "success": True}


def _valid(serializer_class, data):
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class PublicView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]


class RegisterView(PublicView):
    parser_classes = [JSONParser]

    @extend_schema(
        summary="Sign up as CLIENTE or PROFESIONAL",
        request=s.RegisterIn,
        responses={201: OpenApiResponse(description="UserRead")},
        tags=["auth"],
    )
    def post(self, request):
        data = _valid(s.RegisterIn, request.data)
        account = services.account_register(
            email=data["email"],
            password=data["password"],
            nombre=data["nombre"],
            apellido=data["apellido"],
            role=Role(data["rol"]),
        )
        # The profile is created from the UserRegistered event; the answer does not wait for it. A new
        # account has no avatar and a clean chat record (no infractions, no chat ban) by definition.
        body = user_read_body(
            selectors.to_dto(account),
            nombre=data["nombre"],
            apellido=data["apellido"],
            avatar_url=None,
            infracciones_chat=0,
            is_chat_banned=False,
        )
        return Response(body, status=status.HTTP_201_CREATED)


class LoginView(PublicView):
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(
        summary="Log in (JSON, or the v1 form with `username`)",
        request=s.JsonLoginIn,
        responses={200: s.TokenPairOut, 401: OpenApiResponse(description="Wrong credentials, or a banned account")},
        tags=["auth"],
    )
    def post(self, request):
        if request.content_type.split(";")[0].strip() in _FORM_TYPES:
            data = _valid(s.FormLoginIn, request.data)
            email = data["username"]
        else:
            data = _valid(s.JsonLoginIn, request.data)
            email = data["email"]
        pair = services.login(email=email, password=data["password"], ip=request_ip(request))
        return Response(asdict(pair))


class RefreshView(PublicView):
    parser_classes = [JSONParser]

    @extend_schema(
        summary="A new token pair for a refresh token (which dies)",
        request=s.RefreshIn,
        responses={200: s.TokenPairOut, 401: OpenApiResponse(description="Invalid, expired or used refresh token")},
        tags=["auth"],
    )
    def post(self, request):
        data = _valid(s.RefreshIn, request.data)
        return Response(asdict(services.tokens_refresh(refresh_token=data["refresh_token"])))


class LogoutView(APIView):
    parser_classes = [JSONParser]
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Log out: this refresh token and access token die",
        request=s.RefreshIn,
        responses={204: None},
        tags=["auth"],
    )
    def post(self, request):
        data = _valid(s.RefreshIn, request.data)
        services.logout(account_id=request.user.pk, access_token=request.auth, refresh_token=data["refresh_token"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class ForgotPasswordView(PublicView):
    parser_classes = [JSONParser]

    @extend_schema(
        summary="E-mail me a password reset link", request=s.ForgotPasswordIn, responses=s.MessageOut, tags=["auth"]
    )
    def post(self, request):
        data = _valid(s.ForgotPasswordIn, request.data)
        services.password_reset_request(email=data["email"])
        return Response(message_body(FORGOT_ANSWER))


class ResetPasswordView(PublicView):
    parser_classes = [JSONParser]

    @extend_schema(
        summary="Set a new password with a reset link's token",
        request=s.ResetPasswordIn,
        responses=s.MessageOut,
        tags=["auth"],
    )
    def post(self, request):
        data = _valid(s.ResetPasswordIn, request.data)
        services.password_reset_confirm(token=data["token"], new_password=data["new_password"])
        return Response(message_body(RESET_ANSWER))


class ValidateTokenView(APIView):
    """For services: is this access token good, and whose is it?"""

    parser_classes = [JSONParser]
    authentication_classes = [ServiceKeyAuthentication]
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Is this access token good, and whose is it? (internal)",
        request=s.ValidateTokenIn,
        responses=s.TokenClaimsOut,
        tags=["internal"],
    )
    def post(self, request):
        data = _valid(s.ValidateTokenIn, request.data)
        claims = facade.validate_access_token(token=data["token"])
        return Response({"user_id": str(claims.user_id), "rol": claims.role.value, "is_active": claims.is_active})
