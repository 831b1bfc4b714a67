"""Response bodies shared by the professionals routes (API.md field names)."""

from __future__ import annotations

from conectar.platform.media import absolute_url
from conectar.professionals.gamification import level_for, next_level
from conectar.professionals.models import Oficio, Professional, ServicioInstant
from conectar.professionals.payout import mask
from conectar.shared.money import format_money


def money(value) -> str | None:
    return format_money(value) if value is not None else None


def rate(value) -> str:
    """A commission rate as v1 returned it: a fraction with the column's two places ("0.20")."""
    return format_money(value)


def number(value) -> float | None:
    """A decimal the v1 frontend does arithmetic or `.toFixed` on: a JSON number (V1-CONTRACT § 4.3)."""
    return float(value) if value is not None else None


def oficio_body(oficio: Oficio) -> dict:
    """v1's OficioRead, plus `fecha_creacion` (the frontend's admin page reads it)."""
    return {
        "id": str(oficio.pk),
        "nombre": oficio.nombre,
        "descripcion": oficio.descripcion,
        "fecha_creacion": oficio.created_at.isoformat(),
    }


def servicio_body(servicio: ServicioInstant) -> dict:
    """v1's ServicioInstantaneoRead, plus the fixed price."""
    return {
        "id": str(servicio.pk),
        "nombre": servicio.nombre,
        "descripcion": servicio.descripcion,
        "oficio_id": str(servicio.oficio_id),
        "precio_fijo": money(servicio.precio_fijo),
        "fecha_creacion": servicio.created_at.isoformat(),
    }


def oficios_body(professional: Professional) -> list[dict]:
    return [oficio_body(o) for o in professional.oficios.all()]


def own_profile_body(professional: Professional, *, email: str | None) -> dict:
    location = professional.location
    latitude, longitude = (location.y, location.x) if location else (None, None)
    return {
        "id": str(professional.pk),
        "usuario_id": str(professional.usuario_id),
        "nombre": professional.nombre,
        "apellido": professional.apellido,
        "email": email,
        "avatar_url": professional.avatar_url or None,
        "estado_verificacion": professional.estado_verificacion,
        "kyc_motivo_rechazo": professional.kyc_motivo_rechazo or None,
        "nivel": professional.nivel,
        "puntos_experiencia": professional.puntos_experiencia,
        "tasa_comision_actual": rate(professional.tasa_comision_actual),
        "radio_cobertura_km": professional.radio_cobertura_km,
        "acepta_instant": professional.acepta_instant,
        "tarifa_por_hora": money(professional.tarifa_por_hora),
        "payout_account": mask(professional.payout_account) or None,
        "latitude": latitude,
        "longitude": longitude,
        "oficios": oficios_body(professional),
        "servicios_instant": [
            {"id": str(s.pk), "nombre": s.nombre, "oficio_id": str(s.oficio_id), "precio_fijo": money(s.precio_fijo)}
            for s in professional.servicios.all()
        ],
        "rating_promedio": number(professional.rating_promedio),
        "total_resenas": professional.total_resenas,
        "puede_recibir_trabajos": professional.matchable,
        # what the v1 frontend's dashboard and profile pages read (V1-CONTRACT § 4.3), as numbers
        "kyc_status": professional.estado_verificacion,
        "tarifa_hora": number(professional.tarifa_por_hora),
        "puntos_xp": professional.puntos_experiencia,
        "comision_porcentaje": float(professional.tasa_comision_actual * 100),
        "latitud": latitude,
        "longitud": longitude,
    }


def level_body(professional: Professional) -> dict:
    current = level_for(professional.puntos_experiencia)
    upcoming = next_level(professional.puntos_experiencia)
    return {
        "nivel": current.nivel.value,
        "puntos_experiencia": professional.puntos_experiencia,
        "tasa_comision": str(current.commission),
        "siguiente_nivel": upcoming.nivel.value if upcoming else None,
        "puntos_para_siguiente": upcoming.points_from - professional.puntos_experiencia if upcoming else 0,
        "tasa_comision_siguiente": str(upcoming.commission) if upcoming else None,
    }


def portfolio_item_v1(request, item: dict, *, professional_id) -> dict:
    """A portfolio item (selectors.portfolio's body) with absolute image URLs and v1's keys:
    `profesional_id` (the professional id, V1-CONTRACT § 1.9), `fecha_creacion`, `imagenes`
    ({id, imagen_url, orden}) and `imagenes_urls` (what the frontend's pages read)."""
    images = [{**image, "url": absolute_url(request, image["url"])} for image in item["images"]]
    return {
        **item,
        "images": images,
        "profesional_id": str(professional_id),
        "fecha_creacion": item["created_at"],
        "imagenes": [{"id": i["id"], "imagen_url": i["url"], "orden": i["orden"]} for i in images],
        "imagenes_urls": [i["url"] for i in images],
    }


def review_v1(review: dict) -> dict:
    """A published review (selectors.profiles) with v1's keys (ResenaPublicRead) and the frontend's
    aliases next to this project's."""
    return {
        **review,
        "texto_resena": review["texto"],
        "nombre_cliente": review["autor_nombre"],
        "fecha_creacion": review["fecha"],
        "comentario": review["texto"],
        "cliente_nombre": review["autor_nombre"],
        "created_at": review["fecha"],
    }
