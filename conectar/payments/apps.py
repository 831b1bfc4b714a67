from django.apps import AppConfig

from conectar.marketplace import contracts as marketplace
from conectar.platform.eventbus.subscriptions import Listening


class PaymentsConfig(AppConfig):
    name = "conectar.payments"
    label = "payments"
    verbose_name = "Payments"
    default_auto_field = "django.db.models.BigAutoField"
    # What this context listens to: plain data, read by publishers in other processes too.
    listens = Listening(
        handlers="conectar.payments.handlers",
        events={
            marketplace.WorkCompleted: "on_work_completed",
            marketplace.WorkCancelled: "on_work_cancelled",
            marketplace.DisputeResolved: "on_dispute_resolved",
        },
    )

    def ready(self):
        from conectar.platform.events import listen

        listen(self.listens, context=self.label)
