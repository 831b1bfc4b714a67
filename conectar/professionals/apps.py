from django.apps import AppConfig


class ProfessionalsConfig(AppConfig):
    name = "conectar.professionals"
    label = "professionals"
    verbose_name = "Professionals"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from conectar.auth_ctx import contracts as auth
        from conectar.marketplace import contracts as marketplace
        from conectar.platform.events import subscribe
        from conectar.professionals import handlers
        from conectar.users import contracts as users

        for event, handler in [
            (auth.UserRegistered, handlers.on_user_registered),
            (auth.UserBanned, handlers.on_user_banned),
            (auth.UserUnbanned, handlers.on_user_unbanned),
            (users.UserUpdated, handlers.on_user_updated),
            (users.AvatarUploaded, handlers.on_avatar_uploaded),
            (marketplace.WorkCompleted, handlers.on_work_completed),
            (marketplace.WorkCancelled, handlers.on_work_cancelled),
            (marketplace.DisputeResolved, handlers.on_dispute_resolved),
            (marketplace.ReviewPublished, handlers.on_review_published),
            (marketplace.ReviewReplied, handlers.on_review_replied),
        ]:
            subscribe(event, handler, context=self.label)
