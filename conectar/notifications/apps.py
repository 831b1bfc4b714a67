from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "conectar.notifications"
    label = "notifications"
    verbose_name = "Notifications"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from conectar.auth_ctx import contracts as auth
        from conectar.marketplace import contracts as marketplace
        from conectar.notifications import handlers, providers
        from conectar.notifications import tasks as _tasks  # noqa: F401 - registers the Celery tasks
        from conectar.payments import contracts as payments
        from conectar.platform.events import subscribe
        from conectar.professionals import contracts as professionals

        # Production without provider credentials must not start and quietly drop every message.
        providers.check_production_configuration()

        for event, handler in [
            (auth.UserRegistered, handlers.on_user_registered),
            (auth.PasswordResetRequested, handlers.on_password_reset_requested),
            (auth.PasswordChanged, handlers.on_password_changed),
            (professionals.KYCApproved, handlers.on_kyc_approved),
            (professionals.KYCRejected, handlers.on_kyc_rejected),
            (professionals.LevelChanged, handlers.on_level_changed),
            (marketplace.MessageSent, handlers.on_message_sent),
            (marketplace.ChatBanned, handlers.on_chat_banned),
            (marketplace.OfferCreated, handlers.on_offer_created),
            (marketplace.OfferAccepted, handlers.on_offer_accepted),
            (marketplace.OfferRejected, handlers.on_offer_rejected),
            (marketplace.OfferExpired, handlers.on_offer_expired),
            (marketplace.OfferWithdrawn, handlers.on_offer_withdrawn),
            (marketplace.WorkPaid, handlers.on_work_paid),
            (marketplace.WorkDelivered, handlers.on_work_delivered),
            (marketplace.WorkCompleted, handlers.on_work_completed),
            (marketplace.WorkCancelled, handlers.on_work_cancelled),
            (marketplace.DisputeOpened, handlers.on_dispute_opened),
            (marketplace.DisputeResolved, handlers.on_dispute_resolved),
            (marketplace.ReviewPublished, handlers.on_review_published),
            (payments.PaymentConfirmed, handlers.on_payment_confirmed),
            (payments.PaymentFailed, handlers.on_payment_failed),
            (payments.Refunded, handlers.on_refunded),
            (payments.PayoutCompleted, handlers.on_payout_completed),
            (payments.PayoutFailed, handlers.on_payout_failed),
            (payments.ChargebackOpened, handlers.on_chargeback_opened),
        ]:
            # Each handler reads the recipients from the accounts and users facades before it
            # writes, so none runs inside the bus's transaction; a notification and its deliveries
            # are unique per (event, recipient[, channel]), which makes a redelivery a no-op.
            subscribe(event, handler, context=self.label, atomic=False)
