"""What a person can be told, on which channels, and what is on by default (DOMAIN.md § Notifications).

A *tipo* is what a preference is about ("oferta aceptada"); a *template* is one message text, in
`templates/notifications/mensajes/<template>.txt`. Several templates may share a tipo (the client's
and the professional's version of "trabajo finalizado"). Security e-mails (`locked`) cannot be
switched off."""

from __future__ import annotations

from dataclasses import dataclass

from conectar.notifications.contracts import Channel

PUSH, EMAIL, SMS = Channel.PUSH, Channel.EMAIL, Channel.SMS
ALL = (PUSH, EMAIL, SMS)


@dataclass(frozen=True)
class Tipo:
    key: str
    label: str  # Spanish, for the preferences screen
    channels: tuple[Channel, ...]  # the channels this tipo has texts for
    defaults: frozenset[Channel]  # on until the person says otherwise
    locked: frozenset[Channel] = frozenset()  # cannot be switched off (security e-mails)
    templates: tuple[str, ...] = ()

    def enabled_by_default(self, channel: Channel) -> bool:
        return channel in self.defaults or channel in self.locked


def _tipo(key, label, channels, defaults, *, locked=(), templates=None) -> Tipo:
    return Tipo(key, label, tuple(channels), frozenset(defaults), frozenset(locked), tuple(templates or (key,)))


TIPOS: dict[str, Tipo] = {
    t.key: t
    for t in (
        _tipo("cuenta_creada", "Bienvenida al crear tu cuenta", [EMAIL], [EMAIL]),
        _tipo("password_reset", "Restablecer la contraseña", [EMAIL], [EMAIL], locked=[EMAIL]),
        _tipo("password_cambiada", "Aviso de contraseña cambiada", [EMAIL], [EMAIL], locked=[EMAIL]),
        _tipo(
            "kyc_decision",
            "Resultado de la verificación de identidad",
            ALL,
            [PUSH, EMAIL, SMS],
            templates=["kyc_aprobado", "kyc_rechazado"],
        ),
        _tipo("nivel_cambiado", "Cambio de nivel", [PUSH, EMAIL], [PUSH]),
        _tipo("mensaje_nuevo", "Mensaje nuevo mientras no estás conectado", [PUSH, EMAIL], [PUSH]),
        _tipo("oferta_nueva", "Oferta nueva", ALL, [PUSH, EMAIL]),
        _tipo("oferta_aceptada", "Oferta aceptada", ALL, [PUSH, EMAIL, SMS]),
        _tipo("oferta_rechazada", "Oferta rechazada", [PUSH, EMAIL], [PUSH, EMAIL]),
        _tipo(
            "oferta_expirada",
            "Oferta vencida",
            [PUSH, EMAIL],
            [PUSH],
            templates=["oferta_expirada_profesional", "oferta_expirada_cliente"],
        ),
        _tipo("oferta_retirada", "Oferta retirada por el profesional", [PUSH, EMAIL], [PUSH]),
        _tipo(
            "pago_confirmado",
            "Pago confirmado",
            ALL,
            [PUSH, EMAIL],
            templates=["pago_confirmado_cliente", "pago_confirmado_profesional"],
        ),
        _tipo("pago_fallido", "Pago rechazado", [PUSH, EMAIL], [PUSH, EMAIL]),
        _tipo("trabajo_entregado", "Trabajo entregado", ALL, [PUSH, EMAIL]),
        _tipo(
            "trabajo_finalizado",
            "Trabajo finalizado",
            [PUSH, EMAIL],
            [PUSH, EMAIL],
            templates=["trabajo_finalizado_cliente", "trabajo_finalizado_profesional"],
        ),
        _tipo("trabajo_cancelado", "Trabajo cancelado", ALL, [PUSH, EMAIL]),
        _tipo("reembolso", "Reembolso acreditado", [PUSH, EMAIL], [PUSH, EMAIL]),
        _tipo("disputa_abierta", "Disputa abierta", ALL, [PUSH, EMAIL]),
        _tipo("disputa_resuelta", "Disputa resuelta", ALL, [PUSH, EMAIL]),
        _tipo("pago_enviado", "Pago enviado a tu cuenta", ALL, [PUSH, EMAIL, SMS]),
        _tipo("pago_demorado", "Problema con un pago a tu cuenta", [PUSH, EMAIL], [PUSH, EMAIL]),
        _tipo("resena_recibida", "Reseña recibida", [PUSH, EMAIL], [PUSH, EMAIL]),
        _tipo("chat_bloqueado", "Chat bloqueado", [PUSH, EMAIL], [PUSH, EMAIL], locked=[EMAIL]),
    )
}

# Messages that are not about one person's preferences: alerts to staff addresses and the raw
# messages other services send through /notify/* (no template).
STAFF_ALERT = Tipo("alerta_staff", "Alerta para el equipo", (EMAIL,), frozenset({EMAIL}), frozenset({EMAIL}))
DIRECT = Tipo("directo", "Mensaje directo de un servicio interno", ALL, frozenset(ALL), frozenset(ALL))
STAFF_TEMPLATES = ("alerta_contracargo", "alerta_pago_fallido")
RAW_TEMPLATE = "directo"
# Tipos whose link is a secret (a one-time password-reset token): never repeated outside the e-mail.
SECRET_LINKS = frozenset({"password_reset"})

TEMPLATES: dict[str, Tipo] = {template: tipo for tipo in TIPOS.values() for template in tipo.templates}
TEMPLATES.update(dict.fromkeys(STAFF_TEMPLATES, STAFF_ALERT))
TEMPLATES[RAW_TEMPLATE] = DIRECT


def tipo_for_template(template: str) -> Tipo | None:
    return TEMPLATES.get(template)
