from django.apps import AppConfig


class UsersConfig(AppConfig):
    name = "conectar.users"
    label = "users"
    verbose_name = "Users"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from conectar.auth_ctx.contracts import UserRegistered
        from conectar.platform.events import subscribe
        from conectar.users import handlers

        subscribe(UserRegistered, handlers.on_user_registered, context=self.label)
