from django.apps import AppConfig

from conectar.auth_ctx import contracts as auth
from conectar.marketplace import contracts as marketplace
from conectar.payments import contracts as payments
from conectar.platform.eventbus.subscriptions import Listening
from conectar.professionals import contracts as professionals


class NotificationsConfig(AppConfig):
    name = "conectar.notifications"
    label = "notifications"
    verbose_name = "Notifications"
    default_auto_field = "django.db.models.BigAutoField"
    # What this context listens to: plain data, read by publishers in other processes too.
    # Each handler reads the recipients from the accounts and users facades before it writes, so
    # none runs inside the bus's transaction (atomic=False); a notification and its deliveries are
    # unique per (event, recipient[, channel]), which makes a redelivery a no-op.
    listens = Listening(
        handlers="conectar.notifications.handlers",
        atomic=False,
        events={
            auth.UserRegistered: "on_user_registered",
            auth.PasswordResetRequested: "on_password_reset_requested",
            auth.PasswordChanged: "on_password_changed",
            professionals.KYCApproved: "on_kyc_approved",
            professionals.KYCRejected: "on_kyc_rejected",
            professionals.LevelChanged: "on_level_changed",
            marketplace.MessageSent: "on_message_sent",
            marketplace.ChatBanned: "on_chat_banned",
            marketplace.OfferCreated: "on_offer_created",
            marketplace.OfferAccepted: "on_offer_accepted",
            marketplace.OfferRejected: "on_offer_rejected",
            marketplace.OfferExpired: "on_offer_expired",
            marketplace.OfferWithdrawn: "on_offer_withdrawn",
            marketplace.WorkPaid: "on_work_paid",
            marketplace.WorkDelivered: "on_work_delivered",
            marketplace.WorkCompleted: "on_work_completed",
            marketplace.WorkCancelled: "on_work_cancelled",
            marketplace.DisputeOpened: "on_dispute_opened",
            marketplace.DisputeResolved: "on_dispute_resolved",
            marketplace.ReviewPublished: "on_review_published",
            payments.PaymentConfirmed: "on_payment_confirmed",
            payments.PaymentFailed: "on_payment_failed",
            payments.Refunded: "on_refunded",
            payments.PayoutCompleted: "on_payout_completed",
            payments.PayoutFailed: "on_payout_failed",
            payments.ChargebackOpened: "on_chargeback_opened",
        },
    )

    def ready(self):
        from conectar.notifications import providers
        from conectar.notifications import tasks as _tasks  # noqa: F401 - registers the Celery tasks
        from conectar.platform.events import listen

        # Production without provider credentials must not start and quietly drop every message.
        providers.check_production_configuration()
        listen(self.listens, context=self.label)
