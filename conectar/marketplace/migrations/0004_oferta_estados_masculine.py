"""Oferta states are masculine, as v1 stored and returned them (V1-CONTRACT.md § 0, § 2):
OFERTADA → OFERTADO, ACEPTADA → ACEPTADO, RECHAZADA → RECHAZADO, RETIRADA → RETIRADO,
EXPIRADA → EXPIRADO. Existing rows are renamed between dropping the old check and adding the new one."""

from django.db import migrations, models

RENAMES = {
    "OFERTADA": "OFERTADO",
    "ACEPTADA": "ACEPTADO",
    "RECHAZADA": "RECHAZADO",
    "RETIRADA": "RETIRADO",
    "EXPIRADA": "EXPIRADO",
}
NEW = list(RENAMES.values())


def _rename(apps, mapping):
    Oferta = apps.get_model("marketplace", "Oferta")
    for old, new in mapping.items():
        Oferta.objects.filter(estado=old).update(estado=new)


def forwards(apps, schema_editor):
    _rename(apps, RENAMES)


def backwards(apps, schema_editor):
    _rename(apps, {new: old for old, new in RENAMES.items()})


class Migration(migrations.Migration):
    dependencies = [
        ("marketplace", "0003_disputa_queue"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="oferta", name="oferta_estado_valid"),
        migrations.RemoveIndex(model_name="oferta", name="oferta_live_expiry"),
        migrations.RunPython(forwards, backwards),
        migrations.AlterField(
            model_name="oferta",
            name="estado",
            field=models.CharField(choices=[(e, e) for e in NEW], default="OFERTADO", max_length=10),
        ),
        migrations.AddIndex(
            model_name="oferta",
            index=models.Index(
                condition=models.Q(("estado", "OFERTADO")), fields=["expira_en"], name="oferta_live_expiry"
            ),
        ),
        migrations.AddConstraint(
            model_name="oferta",
            constraint=models.CheckConstraint(condition=models.Q(("estado__in", NEW)), name="oferta_estado_valid"),
        ),
    ]
