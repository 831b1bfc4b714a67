from django.apps import AppConfig


class MarketplaceConfig(AppConfig):
    name = "conectar.marketplace"
    label = "marketplace"
    verbose_name = "Marketplace"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from conectar.marketplace import handlers, tasks  # noqa: F401 - tasks register with Celery
        from conectar.payments import contracts as payments
        from conectar.platform.events import subscribe

        for event, handler in [
            (payments.PaymentConfirmed, handlers.on_payment_confirmed),
            (payments.PaymentFailed, handlers.on_payment_failed),
            (payments.ChargebackOpened, handlers.on_chargeback_opened),
            (payments.Refunded, handlers.on_refunded),
        ]:
            subscribe(event, handler, context=self.label)
