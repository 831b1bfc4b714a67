from rest_framework import serializers

from conectar.users.models import phone_validator


class ProfileUpdateIn(serializers.Serializer):
    nombre = serializers.CharField(min_length=1, max_length=100, required=False)
    apellido = serializers.CharField(min_length=1, max_length=100, required=False)
    telefono = serializers.CharField(
        max_length=25, required=False, allow_blank=True, allow_null=True, validators=[phone_validator]
    )


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
