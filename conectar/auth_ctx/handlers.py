"""Reactions to other contexts' events (thin: each calls a service). Subscribed in apps.ready()."""
