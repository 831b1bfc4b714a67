"""Who the demo professionals are: drawn from `catalogue.py` with a random generator seeded per
person, so every run (and every `--professionals N`, which takes the first N) plans the same people."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from decimal import Decimal

from conectar.devtools.demo import banking
from conectar.devtools.demo.catalogue import (
    APELLIDOS,
    BUENOS_AIRES,
    CITY_CYCLE,
    CORDOBA,
    COVERAGE_KM,
    NOMBRES,
    OFICIOS,
    ROSARIO,
    City,
    OficioDemo,
)
from conectar.devtools.demo.credentials import APPROVED_EMAIL, PENDING_EMAIL

# A professional lives within JITTER_KM of their barrio's point and covers at least
# min(COVERAGE_KM) around home, so searching at the barrio's point always finds them.
JITTER_KM = 2.5
KM_PER_DEGREE = 111.32
CLIENTE_NAME = ("Lucía", "Fernández")
DEFAULT_APPROVED = 200  # scripts/run.sh names their e-mails
DEFAULT_PENDING = 4


@dataclass(frozen=True)
class PortfolioEntry:
    titulo: str
    descripcion: str
    images: int


@dataclass(frozen=True)
class DemoProfessional:
    key: str  # seeds this person's generated images
    email: str
    nombre: str
    apellido: str
    dni: str
    city: str
    barrio: str
    latitude: float
    longitude: float
    radio_cobertura_km: int
    oficios: tuple[str, ...]
    acepta_instant: bool
    tarifa_por_hora: Decimal
    payout_account: str
    portfolio: tuple[PortfolioEntry, ...]
    approved: bool  # False: documents submitted, waiting in the staff KYC queue


def approved_professionals(count: int) -> list[DemoProfessional]:
    return [
        _professional(f"approved/{n}", APPROVED_EMAIL.format(number=n), CITY_CYCLE[(n - 1) % len(CITY_CYCLE)])
        for n in range(1, count + 1)
    ]


def pending_professionals(count: int) -> list[DemoProfessional]:
    cities = (BUENOS_AIRES, CORDOBA, BUENOS_AIRES, ROSARIO)
    return [
        _professional(f"pending/{n}", PENDING_EMAIL.format(number=n), cities[(n - 1) % len(cities)], approved=False)
        for n in range(1, count + 1)
    ]


def featured_professional(email: str) -> DemoProfessional:
    """The one to log in as: a plumber and gas fitter in Palermo with a full portfolio."""
    plomero = _oficio("Plomero")
    return DemoProfessional(
        key="featured",
        email=email,
        nombre="Martín",
        apellido="Sosa",
        dni="28456789",
        city=BUENOS_AIRES.nombre,
        barrio="Palermo",
        latitude=-34.5875,
        longitude=-58.4260,
        radio_cobertura_km=15,
        oficios=("Plomero", "Gasista matriculado"),
        acepta_instant=True,
        tarifa_por_hora=Decimal("28000.00"),
        payout_account="martin.sosa.mp",
        portfolio=tuple(
            PortfolioEntry(titulo, descripcion.format(barrio="Palermo"), images=2)
            for titulo, descripcion in plomero.portfolio
        ),
        approved=True,
    )


def _professional(key: str, email: str, city: City, *, approved: bool = True) -> DemoProfessional:
    rng = random.Random(f"conectar-demo/{key}")  # noqa: S311 - demo data, reproducible on purpose
    nombre, apellido = rng.choice(NOMBRES), rng.choice(APELLIDOS)
    barrio = rng.choice(city.barrios)
    latitude, longitude = _near(rng, barrio.latitude, barrio.longitude)
    oficio = rng.choices(OFICIOS, weights=[o.weight for o in OFICIOS])[0]
    oficios = (oficio.nombre, oficio.also) if oficio.also and rng.random() < 0.4 else (oficio.nombre,)  # noqa: PLR2004
    entries = rng.sample(oficio.portfolio, k=rng.randint(1, len(oficio.portfolio)))
    low, high = oficio.tarifa
    return DemoProfessional(
        key=key,
        email=email,
        nombre=nombre,
        apellido=apellido,
        dni=str(rng.randint(20_000_000, 45_000_000)),
        city=city.nombre,
        barrio=barrio.nombre,
        latitude=latitude,
        longitude=longitude,
        radio_cobertura_km=rng.choice(COVERAGE_KM),
        oficios=oficios,
        acepta_instant=rng.random() < 0.3,  # noqa: PLR2004
        tarifa_por_hora=Decimal(rng.randrange(low, high + 1, 500)).quantize(Decimal("0.01")),
        payout_account=banking.payout_account(rng, nombre, apellido),
        portfolio=tuple(
            PortfolioEntry(titulo, descripcion.format(barrio=barrio.nombre), images=rng.randint(1, 2))
            for titulo, descripcion in entries
        ),
        approved=approved,
    )


def _near(rng: random.Random, latitude: float, longitude: float) -> tuple[float, float]:
    """A point uniformly inside the JITTER_KM disc around (latitude, longitude), 6 decimals."""
    distance = JITTER_KM * math.sqrt(rng.random())
    angle = rng.uniform(0, 2 * math.pi)
    dlat = distance * math.cos(angle) / KM_PER_DEGREE
    dlng = distance * math.sin(angle) / (KM_PER_DEGREE * math.cos(math.radians(latitude)))
    return round(latitude + dlat, 6), round(longitude + dlng, 6)


def _oficio(nombre: str) -> OficioDemo:
    return next(o for o in OFICIOS if o.nombre == nombre)
