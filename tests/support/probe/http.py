"""Test-only routes: one Ninja API built by the platform like the gateway's, and DRF views, so the
tests can drive errors, auth and publishing through both frameworks."""

from django.db import transaction
from drf_spectacular.utils import extend_schema
from ninja import Schema, Status
from pydantic import Field
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from conectar.platform.events import publish
from conectar.platform.ninja_api import build_ninja_api
from conectar.shared.errors import Conflict
from tests.support.probe.contracts import ProbePinged
from tests.support.probe.models import ProbeItem

api = build_ninja_api(urls_namespace="probe")


class ItemIn(Schema):
    name: str = Field(min_length=3, max_length=100)
    count: int = Field(ge=0)
    publish: bool = True


def create_item(*, name: str, count: int, with_event: bool) -> ProbeItem:
    """A stand-in use case: one row and, optionally, its event, in one transaction."""
    with transaction.atomic(using="marketplace"):
        item = ProbeItem.objects.create(name=name, count=count)
        if with_event:
            publish(ProbePinged(label=name))
    return item


@api.post("/ninja/items", response={201: dict})
def ninja_create_item(request, payload: ItemIn):
    item = create_item(name=payload.name, count=payload.count, with_event=payload.publish)
    return Status(201, {"id": item.id, "user_id": str(request.auth.user_id)})


@api.get("/ninja/boom")
def ninja_boom(request):
    raise RuntimeError("secret internals: password=hunter2")


@api.get("/ninja/conflict")
def ninja_conflict(request):
    raise Conflict("The oferta is already ACEPTADO.", code="invalid_state")


class ItemSerializer(serializers.Serializer):
    name = serializers.CharField(min_length=3, max_length=100)
    count = serializers.IntegerField(min_value=0)


class DrfItems(APIView):
    @extend_schema(request=ItemSerializer, responses={201: dict})
    def post(self, request):
        serializer = ItemSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        item = create_item(**serializer.validated_data, with_event=False)
        return Response({"id": item.id, "user_id": str(request.user.pk)}, status=status.HTTP_201_CREATED)


class DrfBoom(APIView):
    @extend_schema(responses={500: dict})
    def get(self, request):
        raise RuntimeError("secret internals: password=hunter2")
