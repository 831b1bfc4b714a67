from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("marketplace", "0002_ofertas_trabajos_resenas"),
    ]

    operations = [
        migrations.CreateModel(
            name="Disputa",
            fields=[],
            options={
                "verbose_name": "disputa abierta",
                "verbose_name_plural": "disputas abiertas",
                "proxy": True,
                "indexes": [],
                "constraints": [],
            },
            bases=("marketplace.trabajo",),
        ),
    ]
