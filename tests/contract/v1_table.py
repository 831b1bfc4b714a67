"""The v1 contract as a table: one row per v1 route of `V1-CONTRACT.md` § 3.0, with the success
status (§ 1.6, § 6.8), the guard (§ 1.3, § 6.9) and the response keys with their JSON types (§ 3.1),
the enum values (§ 2) and which id each id-field carries (§ 1.9). Derived from that file by hand;
when it changes, this table changes with it. `tests/contract/test_v1_contract.py` calls every route
for real and checks its answer against its row.

Type notation (plain strings, so the table can be dumped as JSON: `python -m tests.contract.v1_table`):

| notation | JSON value |
|---|---|
| `string` | a string |
| `integer` | a number without a fraction (not a boolean) |
| `number` | a JSON number (§ 1.5: the floats stay numbers, never strings) |
| `boolean` | true / false |
| `uuid` | a lower-case hyphenated UUID string |
| `datetime` | an ISO-8601 string with an offset |
| `dec2` | a dec-string: a decimal number in a string with exactly 2 decimals (the column's scale) |
| `url` | an absolute http(s) URL (§ 0.3: every image and file URL is absolute) |
| `enum:<Name>` | one of `ENUMS[<Name>]` |
| `id:user` | a uuid that is an account (`usuarios.id`) — § 1.9 |
| `id:professional` | a uuid that is a professional profile (`profesionales.id`) — § 1.9 |
| `<type>` + `|null` | that type or null; the key is present all the same (§ 1.5) |
| `{...}` | a nested object with these keys |
| `[...]` | an array whose every item is the one schema inside |

Keys this project adds are allowed (§ 0.2); a row lists only what v1 had, plus — in `aliases` — what
the real frontend reads (§ 4.3, § 0.3), which this project serves additively.
"""

from __future__ import annotations

# --- enumerations (§ 2). v1's values first; this project's extra values (§ 0.1, DOMAIN.md) after. ---

ENUMS: dict[str, list[str]] = {
    "UserRole": ["CLIENTE", "PROFESIONAL", "ADMIN"],
    "VerificationStatus": ["PENDIENTE", "EN_REVISION", "APROBADO", "RECHAZADO"],
    "ProfessionalLevel": ["BRONCE", "PLATA", "ORO", "DIAMANTE"],
    # masculine, as v1 (§ 0.1); v1's PAGADO is never set; RETIRADO and EXPIRADO are this project's
    "EstadoOferta": ["OFERTADO", "ACEPTADO", "RECHAZADO", "RETIRADO", "EXPIRADO"],
    # v1's four, then this project's escrow states (DOMAIN.md § Trabajo and escrow)
    "EstadoEscrow": [
        "PENDIENTE_PAGO",
        "PAGADO_EN_ESCROW",
        "LIBERADO",
        "CANCELADO_REEMBOLSADO",
        "ENTREGADO",
        "CANCELADO",
        "EN_DISPUTA",
        "RESUELTO",
    ],
    "TokenType": ["bearer"],
    "Ok": ["ok"],
    "KycDecision": ["aprobado", "rechazado"],
    "WebhookStatus": ["ok", "error"],
    "PostgisStatus": ["available", "unavailable"],
}

# --- response objects (§ 3.1) -------------------------------------------------------------------------

TOKEN = {"access_token": "string", "token_type": "enum:TokenType"}

USER_READ = {
    "email": "string",
    "nombre": "string",
    "apellido": "string",
    "id": "id:user",
    "rol": "enum:UserRole",
    "is_active": "boolean",
    "fecha_creacion": "datetime",
    "avatar_url": "url|null",
    "infracciones_chat": "integer",
    "is_chat_banned": "boolean",
    "es_admin": "boolean",
    "es_profesional": "boolean",
    "es_cliente": "boolean",
}

PASSWORD_RESET = {"message": "string", "success": "boolean"}

# the fields of ProfessionalProfileRead every answer carrying it has (search results too, but § 0.5:
# no e-mails there)
_PROFILE_PUBLIC = {
    "id": "id:professional",
    "usuario_id": "id:user",
    "estado_verificacion": "enum:VerificationStatus",
    "nivel": "enum:ProfessionalLevel",
    "radio_cobertura_km": "integer",
    "acepta_instant": "boolean",
    "tarifa_por_hora": "dec2|null",
    "tasa_comision_actual": "dec2",
    "nombre": "string",
    "apellido": "string",
}
PROFESSIONAL_PROFILE = {**_PROFILE_PUBLIC, "email": "string"}
SEARCH_RESULT = dict(_PROFILE_PUBLIC)

OFICIO = {"id": "uuid", "nombre": "string", "descripcion": "string|null"}

SERVICIO = {
    "nombre": "string",
    "descripcion": "string|null",
    "id": "uuid",
    "oficio_id": "uuid",
    "fecha_creacion": "datetime",
}

PORTFOLIO_IMAGEN = {"id": "uuid", "imagen_url": "url", "orden": "integer"}

PORTFOLIO_ITEM = {
    "id": "uuid",
    "profesional_id": "id:professional",
    "titulo": "string",
    "descripcion": "string|null",
    "fecha_creacion": "datetime",
    "imagenes": [PORTFOLIO_IMAGEN],
}

OFERTA = {
    "id": "uuid",
    "profesional_id": "id:user",
    "cliente_id": "id:user",
    "chat_id": "string",
    "descripcion": "string",
    "precio_final": "dec2",
    "estado": "enum:EstadoOferta",
    "fecha_creacion": "datetime",
    "fecha_actualizacion": "datetime",
}

OFERTA_ACCEPT = {
    "oferta": OFERTA,
    "trabajo_id": "uuid",
    "payment_preference_id": "string",
    "payment_url": "url",
    "mensaje": "string",
}

TRABAJO = {
    "id": "uuid",
    "cliente_id": "id:user",
    "profesional_id": "id:user",
    "oferta_id": "uuid|null",
    "servicio_instant_id": "uuid|null",
    "precio_final": "dec2",
    "comision_plataforma": "dec2|null",
    "monto_liberado": "dec2|null",
    "estado_escrow": "enum:EstadoEscrow",
    "mercadopago_payment_id": "string|null",
    "fecha_creacion": "datetime",
    "fecha_actualizacion": "datetime",
}

TRABAJO_FINALIZAR = {"trabajo": TRABAJO, "payout_id": "string", "mensaje": "string"}
TRABAJO_CANCELAR = {"trabajo": TRABAJO, "refund_id": "string", "mensaje": "string"}

RESENA = {
    "id": "uuid",
    "trabajo_id": "uuid",
    "cliente_id": "id:user",
    "profesional_id": "id:professional",  # § 1.9: the professional id, unlike the trabajo's
    "rating": "integer",
    "texto_resena": "string|null",
    "fecha_creacion": "datetime",
    "fecha_actualizacion": "datetime",
}

RESENA_CREATE = {
    "resena": RESENA,
    "profesional_rating_promedio": "number",
    "profesional_total_resenas": "integer",
    "mensaje": "string",
}

RESENA_PUBLIC = {
    "id": "uuid",
    "rating": "integer",
    "texto_resena": "string|null",
    "nombre_cliente": "string",
    "fecha_creacion": "datetime",
}

PUBLIC_PROFILE = {
    "id": "id:professional",
    "nombre": "string",
    "apellido": "string",
    "avatar_url": "url|null",
    "nivel": "enum:ProfessionalLevel",
    "radio_cobertura_km": "integer",
    "acepta_instant": "boolean",
    "tarifa_por_hora": "dec2|null",
    "rating_promedio": "number",
    "total_resenas": "integer",
    "oficios": [OFICIO],
    "portfolio": [PORTFOLIO_ITEM],
    "resenas": [RESENA_PUBLIC],
}

PENDING_REVIEW = {
    "id": "id:professional",
    "email": "string",
    "nombre": "string",
    "apellido": "string",
    "fecha_creacion": "datetime",
    "estado_verificacion": "enum:VerificationStatus",
}

USER_SEARCH = {
    "id": "id:user",
    "email": "string",
    "nombre": "string",
    "apellido": "string",
    "rol": "enum:UserRole",
    "is_active": "boolean",
    "fecha_creacion": "datetime",
}

USER_BAN = {"user_id": "id:user", "email": "string", "is_active": "boolean", "mensaje": "string"}

FINANCIAL_METRICS = {"total_facturado": "number", "comision_total": "number", "trabajos_completados": "integer"}

USER_METRICS = {
    "total_clientes": "integer",
    "total_profesionales": "integer",
    "total_pro_pendientes_kyc": "integer",
    "total_pro_aprobados": "integer",
}

CHAT = {
    "id": "string",
    "cliente_id": "string",
    "profesional_id": "string",
    "cliente_nombre": "string|null",
    "profesional_nombre": "string|null",
    "last_message": "string|null",
    "last_message_time": "integer|null",
    "unread_count": "integer",
}

MESSAGE = {
    "id": "string",
    "chat_id": "string",
    "sender_id": "string",
    "sender_nombre": "string|null",
    "text": "string",
    "timestamp": "integer",
    "read": "boolean",
}

CHAT_INFRACTION = {
    "user_id": "id:user",
    "infracciones_chat": "integer",
    "is_chat_banned": "boolean",
    "message": "string",
}

HEALTH = {
    "status": "string",
    "app_name": "string",
    "version": "string",
    "database": "string",
    "postgis": {"status": "enum:PostgisStatus", "version": "string|null"},
}

WELCOME = {"status": "string", "message": "string", "version": "string", "docs": "string|null", "security": "string"}

# --- the routes (§ 3.0) ------------------------------------------------------------------------------
# guard: public | auth (any role) | prof (PROFESIONAL with profile) | admin | api_key
# body: the response schema; a list `[X]` is a bare JSON array of X; None = empty body (204).

ROUTES: list[dict] = [
    {"n": 1, "method": "GET", "path": "/", "guard": "public", "status": 200, "body": WELCOME},
    {"n": 2, "method": "GET", "path": "/api/v1/health", "guard": "public", "status": 200, "body": HEALTH},
    {"n": 3, "method": "POST", "path": "/api/v1/auth/register", "guard": "public", "status": 201, "body": USER_READ},
    {"n": 4, "method": "POST", "path": "/api/v1/auth/login", "guard": "public", "status": 200, "body": TOKEN},
    {
        "n": 5,
        "method": "POST",
        "path": "/api/v1/auth/forgot-password",
        "guard": "public",
        "status": 200,
        "body": PASSWORD_RESET,
    },
    {
        "n": 6,
        "method": "POST",
        "path": "/api/v1/auth/reset-password",
        "guard": "public",
        "status": 200,
        "body": PASSWORD_RESET,
    },
    {"n": 7, "method": "GET", "path": "/api/v1/users/me", "guard": "auth", "status": 200, "body": USER_READ},
    {"n": 8, "method": "PUT", "path": "/api/v1/users/me", "guard": "auth", "status": 200, "body": USER_READ},
    {"n": 9, "method": "POST", "path": "/api/v1/users/me/avatar", "guard": "auth", "status": 200, "body": USER_READ},
    {
        # v1 answered 500 (§ 5 D1); the intended answer is served
        "n": 10,
        "method": "POST",
        "path": "/api/v1/users/me/change-password",
        "guard": "auth",
        "status": 200,
        "body": PASSWORD_RESET,
    },
    {
        "n": 11,
        "method": "GET",
        "path": "/api/v1/professional/me",
        "guard": "prof",
        "status": 200,
        "body": PROFESSIONAL_PROFILE,
        "aliases": {
            "kyc_status": "enum:VerificationStatus",
            "rating_promedio": "number",
            "total_resenas": "integer",
            "tarifa_hora": "number|null",
            "puntos_xp": "integer",
            "comision_porcentaje": "number",
            "latitud": "number|null",
            "longitud": "number|null",
        },
    },
    {
        "n": 12,
        "method": "PUT",
        "path": "/api/v1/professional/profile",
        "guard": "prof",
        "status": 200,
        "body": PROFESSIONAL_PROFILE,
    },
    {
        "n": 13,
        "method": "POST",
        "path": "/api/v1/professional/kyc/upload",
        "guard": "prof",
        "status": 200,
        "body": {"status": "enum:Ok", "message": "string"},
    },
    {
        "n": 14,
        "method": "PUT",
        "path": "/api/v1/professional/profile/oficios",
        "guard": "prof",
        "status": 200,
        "body": [OFICIO],
    },
    {
        "n": 15,
        "method": "PUT",
        "path": "/api/v1/professional/profile/servicios-instant",
        "guard": "prof",
        "status": 200,
        "body": [SERVICIO],
    },
    {
        "n": 16,
        "method": "PUT",
        "path": "/api/v1/professional/profile/location",
        "guard": "prof",
        "status": 200,
        "body": PROFESSIONAL_PROFILE,
    },
    {
        "n": 17,
        "method": "PUT",
        "path": "/api/v1/professional/payout-info",
        "guard": "prof",
        "status": 200,
        "body": {"status": "enum:Ok", "message": "string", "payout_account": "string"},
    },
    {
        "n": 18,
        "method": "GET",
        "path": "/api/v1/professional/portfolio",
        "guard": "prof",
        "status": 200,
        "body": [PORTFOLIO_ITEM],
        "aliases": {"imagenes_urls": ["url"]},
    },
    {
        "n": 19,
        "method": "PUT",
        "path": "/api/v1/professional/portfolio/{item_id}",
        "guard": "prof",
        "status": 200,
        "body": PORTFOLIO_ITEM,
    },
    {
        "n": 20,
        "method": "POST",
        "path": "/api/v1/professional/portfolio",
        "guard": "prof",
        "status": 201,
        "body": PORTFOLIO_ITEM,
    },
    {
        "n": 21,
        "method": "POST",
        "path": "/api/v1/professional/portfolio/{item_id}/image",
        "guard": "prof",
        "status": 200,
        "body": PORTFOLIO_ITEM,
    },
    {
        "n": 22,
        "method": "DELETE",
        "path": "/api/v1/professional/portfolio/{item_id}",
        "guard": "prof",
        "status": 204,
        "body": None,
    },
    {
        "n": 23,
        "method": "DELETE",
        "path": "/api/v1/professional/portfolio/{item_id}/image/{image_id}",
        "guard": "prof",
        "status": 204,
        "body": None,
    },
    {
        "n": 24,
        "method": "POST",
        "path": "/api/v1/professional/ofertas",
        "guard": "prof",
        "status": 201,
        "body": OFERTA,
    },
    {
        "n": 25,
        "method": "GET",
        "path": "/api/v1/professional/ofertas",
        "guard": "prof",
        "status": 200,
        "body": [OFERTA],
        "aliases": {"created_at": "datetime", "precio": "number", "cliente_nombre": "string|null"},
    },
    {
        "n": 26,
        "method": "GET",
        "path": "/api/v1/cliente/ofertas",
        "guard": "auth",
        "status": 200,
        "body": [OFERTA],
        "aliases": {
            "created_at": "datetime",
            "precio": "number",
            "profesional_nombre": "string|null",
            "profesional_apellido": "string|null",
            "profesional_avatar_url": "url|null",
            "profesional_rating": "number",
        },
    },
    {
        "n": 27,
        "method": "POST",
        "path": "/api/v1/cliente/ofertas/{oferta_id}/accept",
        "guard": "auth",
        "status": 200,
        "body": OFERTA_ACCEPT,
    },
    {
        "n": 28,
        "method": "POST",
        "path": "/api/v1/cliente/ofertas/{oferta_id}/reject",
        "guard": "auth",
        "status": 200,
        "body": OFERTA,
    },
    {
        "n": 29,
        "method": "GET",
        "path": "/api/v1/cliente/ofertas/{oferta_id}",
        "guard": "auth",
        "status": 200,
        "body": OFERTA,
    },
    {
        "n": 30,
        "method": "GET",
        "path": "/api/v1/cliente/trabajos",
        "guard": "auth",
        "status": 200,
        "body": [TRABAJO],
        "aliases": {
            "estado": "string",
            "descripcion": "string",
            "profesional_nombre": "string|null",
            "created_at": "datetime",
            "monto": "number",
        },
    },
    {
        "n": 31,
        "method": "GET",
        "path": "/api/v1/cliente/trabajo/{trabajo_id}",
        "guard": "auth",
        "status": 200,
        "body": TRABAJO,
    },
    {
        "n": 32,
        "method": "POST",
        "path": "/api/v1/cliente/trabajo/{trabajo_id}/finalizar",
        "guard": "auth",
        "status": 200,
        "body": TRABAJO_FINALIZAR,
    },
    {
        "n": 33,
        "method": "POST",
        "path": "/api/v1/cliente/trabajo/{trabajo_id}/cancelar",
        "guard": "auth",
        "status": 200,
        "body": TRABAJO_CANCELAR,
    },
    {
        "n": 34,
        "method": "POST",
        "path": "/api/v1/cliente/trabajo/{trabajo_id}/resena",
        "guard": "auth",
        "status": 201,
        "body": RESENA_CREATE,
    },
    {
        "n": 35,
        "method": "GET",
        "path": "/api/v1/admin/kyc/pendientes",
        "guard": "admin",
        "status": 200,
        "body": [PENDING_REVIEW],
    },
    {
        "n": 36,
        "method": "POST",
        "path": "/api/v1/admin/kyc/approve/{profesional_id}",
        "guard": "admin",
        "status": 200,
        "body": {"status": "enum:KycDecision", "profesional_id": "id:professional"},
    },
    {
        "n": 37,
        "method": "POST",
        "path": "/api/v1/admin/kyc/reject/{profesional_id}",
        "guard": "admin",
        "status": 200,
        "body": {"status": "enum:KycDecision", "profesional_id": "id:professional"},
    },
    {"n": 38, "method": "POST", "path": "/api/v1/admin/oficios", "guard": "admin", "status": 201, "body": OFICIO},
    {"n": 39, "method": "GET", "path": "/api/v1/admin/oficios", "guard": "auth", "status": 200, "body": [OFICIO]},
    {
        "n": 40,
        "method": "POST",
        "path": "/api/v1/admin/servicios-instant",
        "guard": "admin",
        "status": 201,
        "body": SERVICIO,
    },
    {
        "n": 41,
        "method": "GET",
        "path": "/api/v1/admin/oficios/{oficio_id}/servicios-instant",
        "guard": "auth",
        "status": 200,
        "body": [SERVICIO],
    },
    {
        "n": 42,
        "method": "POST",
        "path": "/api/v1/admin/trabajo/{trabajo_id}/cancelar",
        "guard": "admin",
        "status": 200,
        "body": TRABAJO_CANCELAR,
    },
    {
        "n": 43,
        "method": "GET",
        "path": "/api/v1/admin/trabajos",
        "guard": "admin",
        "status": 200,
        "body": [TRABAJO],
        "aliases": {"estado": "string"},
    },
    {
        "n": 44,
        "method": "POST",
        "path": "/api/v1/admin/trabajo/{trabajo_id}/simular-pago",
        "guard": "admin",
        "status": 200,
        "body": TRABAJO,
    },
    {
        "n": 45,
        "method": "GET",
        "path": "/api/v1/admin/users",
        "guard": "admin",
        "status": 200,
        "body": {
            "users": [USER_SEARCH],
            "total": "integer",
            "page": "integer",
            "limit": "integer",
            "totalPages": "integer",
        },
        "aliases": {"users": [{"avatar_url": "url|null"}]},  # § 4.3: the admin users page shows avatars
    },
    {
        "n": 46,
        "method": "GET",
        "path": "/api/v1/admin/users/search",
        "guard": "admin",
        "status": 200,
        "body": [USER_SEARCH],
    },
    {
        "n": 47,
        "method": "POST",
        "path": "/api/v1/admin/users/{user_id}/ban",
        "guard": "admin",
        "status": 200,
        "body": USER_BAN,
    },
    {
        "n": 48,
        "method": "POST",
        "path": "/api/v1/admin/users/{user_id}/unban",
        "guard": "admin",
        "status": 200,
        "body": USER_BAN,
    },
    {
        "n": 49,
        "method": "GET",
        "path": "/api/v1/admin/metrics/financials",
        "guard": "admin",
        "status": 200,
        "body": FINANCIAL_METRICS,
    },
    {
        "n": 50,
        "method": "GET",
        "path": "/api/v1/admin/metrics/users",
        "guard": "admin",
        "status": 200,
        "body": USER_METRICS,
    },
    {"n": 51, "method": "GET", "path": "/api/v1/public/oficios", "guard": "public", "status": 200, "body": [OFICIO]},
    {
        "n": 52,
        "method": "GET",
        "path": "/api/v1/public/professional/{prof_id}/portfolio",
        "guard": "public",
        "status": 200,
        "body": [PORTFOLIO_ITEM],
        "aliases": {"imagenes_urls": ["url"]},
    },
    {
        "n": 53,
        "method": "GET",
        "path": "/api/v1/public/professional/{profesional_id}",
        "guard": "public",
        "status": 200,
        "body": PUBLIC_PROFILE,
        # what the frontend's public profile page reads (§ 4.3)
        "aliases": {
            "nombre_completo": "string",
            "kyc_estado": "enum:VerificationStatus",
            "trabajos_completados": "integer",
            "created_at": "datetime",
            "servicios_instantaneos": [SERVICIO],
            "resenas": [{"cliente_nombre": "string", "comentario": "string|null", "created_at": "datetime"}],
        },
    },
    {
        "n": 54,
        "method": "GET",
        "path": "/api/v1/search/professionals",
        "guard": "public",
        "status": 200,
        "body": [SEARCH_RESULT],
        # what the frontend's result cards read (§ 4.3): ProfessionalCard (browse) and explorar, whose
        # `user_id` link needs the professional id; no distance when searched without a point (§ 4.2)
        "aliases": {
            "oficio": "string|null",
            "calificacion_promedio": "number",
            "cantidad_resenas": "integer",
            "nivel_profesional": "enum:ProfessionalLevel",
            "avatar_url": "url|null",
            "distancia_km": "number|null",
            "puntos_experiencia": "integer",
            "user_id": "id:professional",
            "nombre_completo": "string",
            "kyc_estado": "enum:VerificationStatus",
            "rating_promedio": "number",
            "total_resenas": "integer",
            "oficios": [{"id": "uuid", "nombre": "string"}],
        },
    },
    {
        "n": 55,
        "method": "POST",
        "path": "/api/v1/webhook/chat/infraction",
        "guard": "api_key",
        "status": 200,
        "body": CHAT_INFRACTION,
    },
    {
        "n": 56,
        "method": "POST",
        "path": "/api/v1/webhook/mercadopago",
        "guard": "public",
        "status": 200,
        "body": {"status": "enum:WebhookStatus", "message": "string"},
    },
    {"n": 57, "method": "POST", "path": "/api/v1/chat/create", "guard": "auth", "status": 201, "body": CHAT},
    {
        "n": 58,
        "method": "GET",
        "path": "/api/v1/chat/my-chats",
        "guard": "auth",
        "status": 200,
        "body": {"chats": [CHAT], "total_unread": "integer"},
    },
    {"n": 59, "method": "POST", "path": "/api/v1/chat/send-message", "guard": "auth", "status": 201, "body": MESSAGE},
    {
        "n": 60,
        "method": "GET",
        "path": "/api/v1/chat/messages/{chat_id}",
        "guard": "auth",
        "status": 200,
        "body": [MESSAGE],
    },
    {
        "n": 61,
        "method": "POST",
        "path": "/api/v1/chat/mark-read/{chat_id}",
        "guard": "auth",
        "status": 204,
        "body": None,
    },
    {
        "n": 62,
        "method": "GET",
        "path": "/api/v1/chat/unread-count",
        "guard": "auth",
        "status": 200,
        "body": {"unread_count": "integer"},
    },
    {
        # not in v1 (§ 4.1): the frontend calls it, this project serves it with TrabajoRead items
        "n": 63,
        "method": "GET",
        "path": "/api/v1/professional/trabajos",
        "guard": "prof",
        "status": 200,
        "body": [TRABAJO],
        "aliases": {
            "estado": "string",
            "monto": "number",
            "cliente_nombre": "string|null",
            "descripcion": "string",
        },
    },
]


def route(method: str, path: str) -> dict:
    """The row of `method path` (path as written in the table, with its `{placeholders}`)."""
    return next(r for r in ROUTES if r["method"] == method and r["path"] == path)


if __name__ == "__main__":
    import json
    import sys

    sys.stdout.write(json.dumps({"enums": ENUMS, "routes": ROUTES}, indent=2, ensure_ascii=False) + "\n")
