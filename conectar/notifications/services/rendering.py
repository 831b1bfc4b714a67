"""Message texts: one Django template per message, one block per part.

`templates/notifications/mensajes/<template>.txt` defines the blocks `subject`, `text` (the e-mail's
plain text), optionally `html` (else the text, escaped, in paragraphs), `action` (the label of the
e-mail's button to `link`), `push_title`, `push_body` and `sms`. Every part but `html` renders
without HTML escaping. The e-mail layouts (`notifications/email/layout.html|txt`) add the product
name, the button and the footer. SMS texts are folded into the GSM-7 alphabet and cut at 160
characters, so each is exactly one SMS segment."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.template import Context
from django.template.loader import get_template, render_to_string
from django.template.loader_tags import BlockNode

from conectar.notifications.catalogue import TIPOS, tipo_for_template

SMS_MAX = 160
PUSH_TITLE_MAX = 120
PUSH_BODY_MAX = 240
SUBJECT_MAX = 200
PREFERENCES_PATH = "/perfil/notificaciones"

# GSM 03.38 basic character set: each of these is one of an SMS's 160 characters.
GSM7 = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_FOLD = {
    "\u2014": "-",
    "\u2013": "-",
    "\u201c": '"',
    "\u201d": '"',
    "\u2018": "'",
    "\u2019": "'",
    "\u2026": "...",
    "\u00ab": '"',
    "\u00bb": '"',
    "\u00ba": "o",
}


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str
    push_title: str
    push_body: str
    sms: str


def absolute(path: str) -> str:
    """A frontend link: FRONTEND_URL + path (absolute URLs pass through)."""
    if path.startswith(("http://", "https://")):
        return path
    return f"{settings.FRONTEND_URL}/{path.lstrip('/')}"


def render(template: str, data: dict) -> Rendered:
    tipo = tipo_for_template(template)
    context = {
        **data,
        "producto": settings.NOTIFY_PRODUCT_NAME,
        "frontend_url": settings.FRONTEND_URL,
        "link": absolute(data["url"]) if data.get("url") else data.get("link", ""),
    }
    parts = _parts(template)
    text = {name: _clean(_render_block(parts, name, context, autoescape=False)) for name in _TEXT_PARTS}
    html_body = _render_block(parts, "html", context, autoescape=True).strip()
    page = {
        **context,
        "subject": text["subject"],
        "action": text["action"],
        "preferencias_url": absolute(PREFERENCES_PATH),
        "pie": _footer(tipo),
    }
    return Rendered(
        subject=_one_line(text["subject"], SUBJECT_MAX),
        text=render_to_string("notifications/email/layout.txt", {**page, "cuerpo": text["text"]}).strip() + "\n",
        html=render_to_string("notifications/email/layout.html", {**page, "cuerpo": html_body, "texto": text["text"]}),
        push_title=_one_line(text["push_title"] or text["subject"], PUSH_TITLE_MAX),
        push_body=_one_line(text["push_body"], PUSH_BODY_MAX),
        sms=sms_text(text["sms"]),
    )


def _footer(tipo) -> str:
    """Why this e-mail reached the person: security (always sent), preferences, or neither."""
    if tipo is None or tipo.key not in TIPOS:
        return "simple"  # staff alerts, raw messages of internal services
    return "seguridad" if tipo.locked else "preferencias"


def sms_text(text: str) -> str:
    """`text` in the GSM-7 alphabet, on one line, at most 160 characters (one SMS segment)."""
    folded = "".join(_gsm7(ch) for ch in " ".join(text.split()))
    if len(folded) <= SMS_MAX:
        return folded
    return folded[: SMS_MAX - 3].rstrip() + "..."


def _gsm7(ch: str) -> str:
    if ch in GSM7:
        return ch
    if ch in _FOLD:
        return _FOLD[ch]
    base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
    return base if base and all(c in GSM7 for c in base) else ""


_TEXT_PARTS = ("subject", "text", "action", "push_title", "push_body", "sms")


def _parts(template: str):
    compiled = get_template(f"notifications/mensajes/{template}.txt").template
    blocks = {node.name: node for node in compiled.nodelist.get_nodes_by_type(BlockNode)}
    return compiled, blocks


def _render_block(parts, name: str, data: dict, *, autoescape: bool) -> str:
    compiled, blocks = parts
    node = blocks.get(name)
    if node is None:
        return ""
    context = Context(data, autoescape=autoescape)
    with context.bind_template(compiled):
        return node.render(context)


def _clean(text: str) -> str:
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))


def _one_line(text: str, limit: int) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"
