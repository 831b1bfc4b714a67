"""The professional's copy of the person's names follows the users context's changes, and only the
names a change made: a phone saved before the registration event reached the users context carries
that profile's still-empty names (seen in the e2e journey: the search card lost "Martin")."""

import uuid

import pytest
from django.db import transaction

from conectar.platform.events import publish
from conectar.professionals.models import Professional
from conectar.users.contracts import UserUpdated
from tests.support.events import deliver_outbox
from tests.support.professionals import new_professional

pytestmark = pytest.mark.django_db(databases="__all__")


def updated(pro, *, changed: tuple[str, ...], nombre: str, apellido: str) -> None:
    with transaction.atomic(using="users"):
        publish(
            UserUpdated(
                user_id=uuid.UUID(pro.session.user_id),
                changed=changed,
                nombre=nombre,
                apellido=apellido,
                telefono="+5493515550202",
            )
        )
    deliver_outbox(to={"professionals"})


def names(pro) -> tuple[str, str]:
    professional = Professional.objects.get(pk=pro.id)
    return professional.nombre, professional.apellido


def test_a_phone_change_from_a_profile_without_names_yet_keeps_the_professionals_names(client):
    pro = new_professional(client, nombre="Martin", apellido="Sosa")
    updated(pro, changed=("telefono",), nombre="", apellido="")
    assert names(pro) == ("Martin", "Sosa")


def test_a_name_change_is_copied_and_only_the_name_changed(client):
    pro = new_professional(client, nombre="Martin", apellido="Sosa")
    updated(pro, changed=("nombre",), nombre="Martín", apellido="")
    assert names(pro) == ("Martín", "Sosa")
