"""`POST · DELETE /notify/devices`: the caller's FCM registration tokens."""

from __future__ import annotations

from ninja import Router, Schema, Status
from pydantic import Field

from conectar.notifications.models import Device
from conectar.notifications.services import devices

router = Router(tags=["notifications"])


class DeviceIn(Schema):
    token: str = Field(min_length=20, max_length=512, pattern=r"^[A-Za-z0-9_:\-.]+$")
    platform: Device.Platform


class DeviceDeleteIn(Schema):
    token: str = Field(min_length=1, max_length=512)
    platform: str | None = Field(default=None, max_length=16)


def _body(device: Device) -> dict:
    return {
        "token": device.token,
        "platform": device.platform,
        "created_at": device.created_at.isoformat(),
        "last_seen_at": device.last_seen_at.isoformat(),
    }


@router.post("/notify/devices", response={200: dict, 201: dict}, summary="Register this device for push")
def device_register(request, payload: DeviceIn):
    device, created = devices.device_register(
        user_id=request.auth.user_id, token=payload.token, platform=payload.platform
    )
    return Status(201 if created else 200, _body(device))


@router.delete("/notify/devices", response={204: None}, summary="Stop pushes to this device")
def device_remove(request, payload: DeviceDeleteIn):
    devices.device_remove(user_id=request.auth.user_id, token=payload.token)
    return Status(204, None)
