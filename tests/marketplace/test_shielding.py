"""The contact masker against the evasions people really use, and the numbers it must leave alone.

The table is the specification of `conectar.marketplace.shielding`: each MASKED case must come out
with its contact detail gone (and `masked` set); each KEPT case must come out unchanged."""

import re

import pytest

from conectar.marketplace.shielding import MASK, shield

# (message, the contact detail that must disappear)
MASKED = [
    # phones with digits
    ("llamame al 1145678901", "1145678901"),
    ("mi cel 11 4567 8901", "11 4567 8901"),
    ("mi cel 11-4567-8901", "4567-8901"),
    ("mi cel 11.4567.8901", "11.4567.8901"),
    ("1 1 4 5 6 7 8 9 0 1 escribime", "1 1 4 5 6 7 8 9 0 1"),
    ("+54 9 11 4567-8901", "+54 9 11 4567-8901"),
    ("+5491145678901", "5491145678901"),
    ("011 15-4567-8901", "15-4567-8901"),
    ("(011) 4567-8901", "4567-8901"),
    ("fijo 4567-8901", "4567-8901"),
    ("tel: 11 / 4567 / 8901", "4567"),
    ("te paso mi número 11 45 67 89 01", "11 45 67 89 01"),
    ("11-12-45-67-89 es mi cel", "11-12-45-67-89"),
    ("$15.000 11 4567 8901", "4567 8901"),
    # phones with words
    ("once cuatro cinco seis siete ocho nueve cero uno", "once cuatro cinco seis siete ocho nueve cero uno"),
    ("mi numero es once cuarenta y cinco sesenta y siete ochenta y nueve cero uno", "cuarenta y cinco"),
    ("11 cuarenta y cinco 67 ochenta y nueve 01", "cuarenta y cinco"),
    ("quince cuatro cinco seis siete ocho nueve cero", "quince cuatro cinco"),
    ("Once Cuatro Cinco Seis, Siete Ocho Nueve Cero", "Once Cuatro"),
    # e-mails
    ("escribime a fulano.perez@gmail.com", "fulano.perez@gmail.com"),
    ("fulano arroba gmail punto com", "fulano arroba gmail"),
    ("fulano(at)gmail(dot)com", "fulano(at)gmail"),
    ("fulano [at] gmail [punto] com", "fulano [at] gmail"),
    ("fulano @ hotmail . com", "fulano @ hotmail"),
    ("mandame a fulano arroba gmail", "fulano arroba gmail"),
    ("fulano{at}yahoo.com.ar", "fulano{at}yahoo"),
    # links
    ("wa.me/5491145678901", "wa.me"),
    ("https://wa.me/5491145678901?text=hola", "wa.me"),
    ("api.whatsapp.com/send?phone=5491145678901", "whatsapp.com"),
    ("t.me/fulano", "t.me/fulano"),
    ("instagram.com/fulano_22", "instagram.com/fulano_22"),
    ("https://www.instagram.com/fulano/", "instagram.com"),
    ("facebook.com/juan.perez.123", "facebook.com"),
    ("m.me/juanperez", "m.me/juanperez"),
    ("linktr.ee/fulano", "linktr.ee"),
    # handles
    ("ig: @fulano", "@fulano"),
    ("ig: fulano", "fulano"),
    ("insta: fulano_22", "fulano_22"),
    ("mi insta es fulano_22", "fulano_22"),
    ("mi insta es fulano", "fulano"),
    ("seguime @fulano.perez", "@fulano.perez"),
    ("telegram: fulano", "fulano"),
    ("tg -> fulanito", "fulanito"),
    ("buscame en instagram como fulano", "fulano"),
    ("agregame al face: juan.perez", "juan.perez"),
    ("instagram fulano_22", "fulano_22"),
    ("mi face es juanperez89", "juanperez89"),
    ("whatsapp: 11 4567 8901", "4567 8901"),
]

KEPT = [
    "El presupuesto es $15.000",
    "te cobro $ 15.000,50 por todo",
    "sale 15000 pesos",
    "entre $1.500.000 y 2.000.000",
    "entre 15.000 y 20.000 pesos",
    "son 250 mil",
    "USD 1200",
    "paso el 12/03/2024 a la mañana",
    "paso el 12-03-24",
    "fecha 2024-03-12",
    "nos vemos el 12/03/2024 18hs",
    "a las 18:30",
    "de 9 a 18 hs",
    "Av. Corrientes 1234, piso 5, depto 8",
    "Av. Corrientes 1234 5to B",
    "necesito 3 enchufes y 2 metros de cable",
    "son 2 o 3 horas de trabajo",
    "tengo tres o cuatro preguntas",
    "uno de los caños pierde, dos canillas también",
    "te mando por whatsapp mañana",
    "el face es mejor para fotos",
    "hola, ¿podés venir el lunes?",
    "el lote mide 10 x 30",
    "mi correo lo ves en la app",
    "vivo en el 4B, timbre 12",
    "el código del portero es 1234",
    "gmail.com no anda",
]


@pytest.mark.parametrize(("message", "contact"), MASKED)
def test_contact_details_are_masked(message, contact):
    result = shield(message)
    assert result.masked, message
    assert contact not in result.text, result.text
    assert MASK in result.text
    digits_left = len(re.findall(r"\d", result.text))
    assert digits_left < 8, result.text  # no phone-length digit string survives


@pytest.mark.parametrize("message", KEPT)
def test_ordinary_numbers_and_words_are_kept(message):
    result = shield(message)
    assert not result.masked, result.text
    assert result.text == message


def test_only_the_contact_is_masked_and_the_kinds_are_reported():
    result = shield("Hola! Sale $15.000, a las 18:30. Mi cel 11 4567 8901 o fulano@gmail.com, ig: @fulano")
    assert result.text == f"Hola! Sale $15.000, a las 18:30. Mi cel {MASK} o {MASK}, ig: {MASK}"
    assert result.kinds == ("email", "handle", "phone")
