"""The event bus as the contexts use it: `publish` in a use case's transaction, `subscribe` in
`AppConfig.ready()`."""

from conectar.platform.eventbus.publishing import publish, publish_many
from conectar.platform.eventbus.subscriptions import listen, subscribe

__all__ = ["listen", "publish", "publish_many", "subscribe"]
