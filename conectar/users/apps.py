from django.apps import AppConfig

from conectar.auth_ctx import contracts as auth
from conectar.platform.eventbus.subscriptions import Listening


class UsersConfig(AppConfig):
    name = "conectar.users"
    label = "users"
    verbose_name = "Users"
    default_auto_field = "django.db.models.BigAutoField"
    # What this context listens to: plain data, read by publishers in other processes too.
    listens = Listening(handlers="conectar.users.handlers", events={auth.UserRegistered: "on_user_registered"})

    def ready(self):
        from conectar.platform.events import listen

        listen(self.listens, context=self.label)
