"""`GET /notify/history`: the caller's notifications, newest first, with each channel's status."""

from __future__ import annotations

from ninja import Query, Router, Schema
from pydantic import Field

from conectar.notifications.catalogue import SECRET_LINKS
from conectar.notifications.contracts import Channel
from conectar.notifications.models import Notification
from conectar.notifications.selectors.history import history_page

router = Router(tags=["notifications"])
CHANNEL_ORDER = [c.value for c in Channel]


class HistoryQuery(Schema):
    limit: int = Field(default=20, ge=1, le=50)
    cursor: str | None = Field(default=None, max_length=200)


def _item(notification: Notification) -> dict:
    deliveries = sorted(notification.deliveries.all(), key=lambda d: CHANNEL_ORDER.index(d.channel))
    return {
        "id": str(notification.id),
        "tipo": notification.tipo,
        "template": notification.template,
        "title": notification.title,
        "body": notification.summary,
        "url": None if notification.tipo in SECRET_LINKS else notification.data.get("url"),
        "created_at": notification.created_at.isoformat(),
        "channels": {
            d.channel: {
                "status": d.status,
                "reason": d.reason,
                "sent_at": d.sent_at.isoformat() if d.sent_at else None,
            }
            for d in deliveries
        },
    }


@router.get("/notify/history", response=dict, summary="My notifications, newest first")
def history(request, query: Query[HistoryQuery]):
    page, next_cursor = history_page(request.auth.user_id, limit=query.limit, cursor=query.cursor)
    return {"notifications": [_item(n) for n in page], "next_cursor": next_cursor}
