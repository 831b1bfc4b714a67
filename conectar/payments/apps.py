from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "conectar.payments"
    label = "payments"
    verbose_name = "Payments"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from conectar.marketplace import contracts as marketplace
        from conectar.payments import handlers
        from conectar.platform.events import subscribe

        for event, handler in [
            (marketplace.WorkCompleted, handlers.on_work_completed),
            (marketplace.WorkCancelled, handlers.on_work_cancelled),
            (marketplace.DisputeResolved, handlers.on_dispute_resolved),
        ]:
            subscribe(event, handler, context=self.label)
