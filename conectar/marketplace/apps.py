from django.apps import AppConfig

from conectar.auth_ctx import contracts as accounts
from conectar.payments import contracts as payments
from conectar.platform.eventbus.subscriptions import Listening


class MarketplaceConfig(AppConfig):
    name = "conectar.marketplace"
    label = "marketplace"
    verbose_name = "Marketplace"
    default_auto_field = "django.db.models.BigAutoField"
    # What this context listens to: plain data, read by publishers in other processes too.
    listens = Listening(
        handlers="conectar.marketplace.handlers",
        events={
            payments.PaymentConfirmed: "on_payment_confirmed",
            payments.PaymentFailed: "on_payment_failed",
            payments.ChargebackOpened: "on_chargeback_opened",
            payments.Refunded: "on_refunded",
            accounts.UserLoggedOut: "on_user_logged_out",
            accounts.PasswordChanged: "on_password_changed",
            accounts.UserBanned: "on_user_banned",
        },
    )

    def ready(self):
        from conectar.marketplace import tasks  # noqa: F401 - tasks register with Celery
        from conectar.platform.events import listen

        listen(self.listens, context=self.label)
