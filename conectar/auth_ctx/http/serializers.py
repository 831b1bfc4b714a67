from rest_framework import serializers

from conectar.auth_ctx.contracts import Role


class RegisterIn(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=128, trim_whitespace=False)
    nombre = serializers.CharField(max_length=100)
    apellido = serializers.CharField(max_length=100)
    rol = serializers.ChoiceField(choices=[r.value for r in Role], default=Role.CLIENTE.value)


class JsonLoginIn(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=128, trim_whitespace=False)


class FormLoginIn(serializers.Serializer):
    """The v1 frontend's OAuth2-style form: `username` carries the e-mail."""

    username = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=128, trim_whitespace=False)


class RefreshIn(serializers.Serializer):
    refresh_token = serializers.CharField(max_length=2000)


class ForgotPasswordIn(serializers.Serializer):
    email = serializers.EmailField(max_length=254)


class ResetPasswordIn(serializers.Serializer):
    token = serializers.CharField(max_length=500)
    new_password = serializers.CharField(max_length=128, trim_whitespace=False)


class ValidateTokenIn(serializers.Serializer):
    token = serializers.CharField(max_length=2000)


class TokenPairOut(serializers.Serializer):
    access_token = serializers.CharField()
    refresh_token = serializers.CharField()
    token_type = serializers.CharField()
    expires_in = serializers.IntegerField()


class TokenClaimsOut(serializers.Serializer):
    user_id = serializers.UUIDField()
    rol = serializers.CharField()
    is_active = serializers.BooleanField()


class MessageOut(serializers.Serializer):
    mensaje = serializers.CharField()
    message = serializers.CharField(help_text="v1's key: the same text as `mensaje`")
    success = serializers.BooleanField(help_text="v1's key: always true on a 200")
