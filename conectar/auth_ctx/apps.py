from django.apps import AppConfig


class AuthCtxConfig(AppConfig):
    name = "conectar.auth_ctx"
    label = "auth_ctx"
    verbose_name = "Accounts"
    default_auto_field = "django.db.models.BigAutoField"
