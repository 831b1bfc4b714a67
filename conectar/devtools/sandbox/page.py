"""The sandbox's Checkout Pro page: what a payer sees at the preference's init_point (plain HTML)."""

from __future__ import annotations

from decimal import Decimal
from html import escape

_STYLE = """
body{font-family:system-ui,sans-serif;background:#eef1f5;margin:0;padding:2rem;color:#222}
main{max-width:28rem;margin:auto;background:#fff;border-radius:.5rem;padding:1.5rem;
box-shadow:0 1px 4px #0002}
h1{font-size:1.2rem;margin-top:0}.amount{font-size:2rem;font-weight:600;margin:.5rem 0 1rem}
.note{font-size:.85rem;color:#666}button{font-size:1rem;padding:.6rem 1.2rem;border:0;
border-radius:.3rem;margin-right:.5rem;cursor:pointer}.approve{background:#009ee3;color:#fff}
.reject{background:#ddd}label{display:block;margin:.8rem 0}input{width:100%;padding:.4rem;box-sizing:border-box}
"""


def pesos(amount: Decimal) -> str:
    """`$ 15.000,50` — Argentine format."""
    whole, cents = f"{amount:.2f}".split(".")
    return f"$ {int(whole):,}".replace(",", ".") + f",{cents}"


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="es"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width,initial-scale=1"><title>{escape(title)}</title>'
        f"<style>{_STYLE}</style></head><body><main>{body}</main></body></html>"
    )


def checkout(preference: dict, amount: Decimal, *, expired: bool) -> str:
    item = preference["items"][0]
    email = (preference.get("payer") or {}).get("email") or ""
    head = (
        "<p class='note'>MercadoPago · sandbox local (no se mueve dinero real)</p>"
        f"<h1>{escape(item['title'])}</h1><div class='amount'>{escape(pesos(amount))}</div>"
        f"<p class='note'>Referencia: {escape(str(preference.get('external_reference') or ''))}</p>"
    )
    if expired:
        return _page("Pago vencido", head + "<p><strong>Esta preferencia de pago venció.</strong></p>")
    form = (
        '<form method="post" action="/checkout/v1/redirect">'
        f'<input type="hidden" name="pref_id" value="{escape(preference["id"])}">'
        f'<label>Email del pagador<input type="email" name="payer_email" value="{escape(email)}"></label>'
        '<button class="approve" type="submit" name="decision" value="approved">Aprobar</button>'
        '<button class="reject" type="submit" name="decision" value="rejected">Rechazar</button>'
        "</form>"
    )
    return _page("Pagar con MercadoPago (sandbox)", head + form)


def result(payment: dict) -> str:
    approved = payment["status"] == "approved"
    text = "¡Listo! Tu pago fue aprobado." if approved else "Tu pago no fue aprobado."
    return _page(
        "Resultado del pago",
        f"<h1>{escape(text)}</h1><p class='note'>Pago n.º {escape(str(payment['id']))} · "
        f"estado {escape(payment['status'])}</p><p>Podés cerrar esta ventana.</p>",
    )


def message(title: str, text: str) -> str:
    return _page(title, f"<h1>{escape(title)}</h1><p>{escape(text)}</p>")
