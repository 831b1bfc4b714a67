"""A message's optional client id: a socket client that sends again (after service_unavailable, or a
reconnect that lost the answer) gets its first message back instead of storing a second."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("marketplace", "0004_oferta_estados_masculine"),
    ]

    operations = [
        migrations.AddField(
            model_name="message",
            name="client_id",
            field=models.UUIDField(blank=True, null=True),
        ),
        migrations.AddConstraint(
            model_name="message",
            constraint=models.UniqueConstraint(
                condition=models.Q(("client_id__isnull", False)),
                fields=("chat", "sender_id", "client_id"),
                name="message_once_per_client_id",
            ),
        ),
    ]
