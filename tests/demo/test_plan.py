"""The demo's plan and pictures: the same on every run and machine, and valid for the contexts."""

from __future__ import annotations

import io
import math
import subprocess
import sys
from collections import Counter

from PIL import Image

from conectar.devtools.demo import images
from conectar.devtools.demo.catalogue import CITIES, COVERAGE_KM
from conectar.devtools.demo.plan import JITTER_KM, approved_professionals, pending_professionals

PLAN_DIGEST = (
    "import hashlib; from conectar.devtools.demo.plan import approved_professionals as a;"
    "print(hashlib.sha256(repr(a(200)).encode()).hexdigest())"
)


def km_between(lat1, lng1, lat2, lng2) -> float:
    dlat, dlng = math.radians(lat2 - lat1), math.radians(lng2 - lng1)
    h = math.sin(dlat / 2) ** 2 + math.cos(math.radians(lat1)) * math.cos(math.radians(lat2)) * math.sin(dlng / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def test_the_plan_is_the_same_in_another_process_and_for_fewer_people():
    digests = {
        subprocess.run(
            [sys.executable, "-c", PLAN_DIGEST],
            env={"PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2")
    }
    assert len(digests) == 1
    assert approved_professionals(12) == approved_professionals(200)[:12]


def test_everyone_lives_near_a_real_barrio_they_cover():
    barrios = {(city.nombre, b.nombre): b for city in CITIES for b in city.barrios}
    for person in approved_professionals(200) + pending_professionals(4):
        barrio = barrios[(person.city, person.barrio)]
        distance = km_between(person.latitude, person.longitude, barrio.latitude, barrio.longitude)
        assert distance <= JITTER_KM + 0.01
        assert person.radio_cobertura_km >= min(COVERAGE_KM) > JITTER_KM


def test_payout_accounts_vary():
    # that professionals accept them: tests/professionals/test_demo_payout_accounts.py
    accounts = [p.payout_account for p in approved_professionals(200)]
    kinds = Counter("cvu" if a.startswith("0000003") else "cbu" if a.isdigit() else "alias" for a in accounts)
    assert set(kinds) == {"cbu", "cvu", "alias"}
    assert len(set(accounts)) > 150


def test_pictures_are_small_deterministic_jpegs():
    first = images.portfolio_picture("k/0/0", "Reforma de baño")
    assert first == images.portfolio_picture("k/0/0", "Reforma de baño") != images.portfolio_picture("k/0/1", "x")
    document = images.identity_document("k/DNI_FRENTE", "DNI_FRENTE", nombre="Ana", apellido="Núñez", dni="30111222")
    for data in (first, document):
        assert len(data) < 60_000
        with Image.open(io.BytesIO(data)) as picture:
            assert picture.format == "JPEG"
