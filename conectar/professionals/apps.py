from django.apps import AppConfig

from conectar.auth_ctx import contracts as auth
from conectar.marketplace import contracts as marketplace
from conectar.platform.eventbus.subscriptions import Listening
from conectar.users import contracts as users


class ProfessionalsConfig(AppConfig):
    name = "conectar.professionals"
    label = "professionals"
    verbose_name = "Professionals"
    default_auto_field = "django.db.models.BigAutoField"
    # What this context listens to: plain data, read by publishers in other processes too.
    listens = Listening(
        handlers="conectar.professionals.handlers",
        events={
            auth.UserRegistered: "on_user_registered",
            auth.UserBanned: "on_user_banned",
            auth.UserUnbanned: "on_user_unbanned",
            users.UserUpdated: "on_user_updated",
            users.AvatarUploaded: "on_avatar_uploaded",
            marketplace.WorkCompleted: "on_work_completed",
            marketplace.WorkCancelled: "on_work_cancelled",
            marketplace.DisputeResolved: "on_dispute_resolved",
            marketplace.ReviewPublished: "on_review_published",
            marketplace.ReviewReplied: "on_review_replied",
        },
    )

    def ready(self):
        from conectar.platform.events import listen

        listen(self.listens, context=self.label)
