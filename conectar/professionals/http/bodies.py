"""Response bodies shared by the professionals routes (API.md field names)."""

from __future__ import annotations

from conectar.professionals.gamification import level_for, next_level
from conectar.professionals.models import Professional
from conectar.professionals.payout import mask
from conectar.shared.money import format_money


def money(value) -> str | None:
    return format_money(value) if value is not None else None


def oficios_body(professional: Professional) -> list[dict]:
    return [{"id": str(o.pk), "nombre": o.nombre} for o in professional.oficios.all()]


def own_profile_body(professional: Professional, *, email: str | None) -> dict:
    location = professional.location
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
        "tasa_comision_actual": str(professional.tasa_comision_actual),
        "radio_cobertura_km": professional.radio_cobertura_km,
        "acepta_instant": professional.acepta_instant,
        "tarifa_por_hora": money(professional.tarifa_por_hora),
        "payout_account": mask(professional.payout_account) or None,
        "latitude": location.y if location else None,
        "longitude": location.x if location else None,
        "oficios": oficios_body(professional),
        "servicios_instant": [
            {"id": str(s.pk), "nombre": s.nombre, "oficio_id": str(s.oficio_id), "precio_fijo": money(s.precio_fijo)}
            for s in professional.servicios.all()
        ],
        "rating_promedio": str(professional.rating_promedio),
        "total_resenas": professional.total_resenas,
        "puede_recibir_trabajos": professional.matchable,
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
