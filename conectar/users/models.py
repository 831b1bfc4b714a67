"""People's profiles, keyed by the account's UUID (the account itself lives in auth_ctx)."""

from django.core.validators import RegexValidator
from django.db import models

phone_validator = RegexValidator(
    r"^\+?[0-9][0-9 ()\-]{5,24}$", "Ingresá un teléfono válido (dígitos, espacios, guiones, + inicial)."
)


class Profile(models.Model):
    user_id = models.UUIDField(primary_key=True)  # auth_ctx's account id; no cross-database FK
    nombre = models.CharField(max_length=100)
    apellido = models.CharField(max_length=100)
    telefono = models.CharField(max_length=25, blank=True, default="", validators=[phone_validator])
    avatar = models.CharField(max_length=300, blank=True, default="")  # storage name of the image
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.nombre} {self.apellido}"
