import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0003_ledger_kinds_refund_cancelled"),
    ]

    operations = [
        migrations.CreateModel(
            name="HeldDecision",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("trabajo_id", models.UUIDField(db_index=True)),
                ("event_id", models.UUIDField(unique=True)),
                ("event_type", models.CharField(max_length=100)),
                ("payload", models.JSONField()),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("settled_at", models.DateTimeField(blank=True, null=True)),
                ("outcome", models.CharField(blank=True, default="", max_length=300)),
            ],
            options={
                "ordering": ["id"],
            },
        ),
    ]
