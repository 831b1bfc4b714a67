# ruff: noqa: RUF001 - the look-alike characters are the point of these cases
"""The contact masker against the evasions people really use, and the numbers it must leave alone.

The table is the specification of `conectar.marketplace.shielding`: each MASKED case must come out
with its contact detail gone (and `masked` set); each KEPT case must come out unchanged. UNICODE and
IN_PIECES give the exact text stored for the evasions that hide behind Unicode or spread a detail
over several messages; UNICODE_KEPT and PIECES_KEPT are innocent messages that must not change."""

import re

import pytest

from conectar.marketplace import shielding
from conectar.marketplace.shielding import MASK, may_continue, shield, shield_after

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


# (message, exactly what is stored): the characters people use so that a filter does not see digits.
ZWSP, ZWNJ, ZWJ, WORD_JOINER, SOFT_HYPHEN = "\u200b", "\u200c", "\u200d", "\u2060", "\u00ad"
UNICODE = [
    # full-width digits and signs (Japanese/Chinese keyboards, "aesthetic" text generators)
    ("mi cel ０１１ ４５６７ ８９０１", f"mi cel {MASK}"),
    ("＋５４ ９ １１ ４５６７－８９０１ escribime", f"{MASK} escribime"),
    ("fulano＠gmail．com", MASK),
    ("escribime a fulano ａｒｒｏｂａ gmail punto com", f"escribime a {MASK}"),
    # invisible characters inside the number or the address
    (f"llamame 11{ZWSP}4567{ZWSP}8901", f"llamame {MASK}"),
    (f"11 45{ZWNJ}67 89{ZWJ}01 es mi cel", f"{MASK} es mi cel"),
    (f"1145{WORD_JOINER}678901", MASK),
    (f"11{SOFT_HYPHEN}4567{SOFT_HYPHEN}8901", MASK),
    (f"ful{ZWSP}ano@gm{ZWSP}ail.com", MASK),
    (f"on{ZWSP}ce cua{SOFT_HYPHEN}tro cinco seis siete ocho nueve cero", MASK),
    # keycap emoji digits: digit + VARIATION SELECTOR-16 + COMBINING ENCLOSING KEYCAP
    ("1️⃣1️⃣4️⃣5️⃣6️⃣7️⃣8️⃣9️⃣0️⃣1️⃣ llamame", f"{MASK} llamame"),
    ("mi cel: 1️⃣1️⃣ 4️⃣5️⃣6️⃣7️⃣ 8️⃣9️⃣0️⃣1️⃣", f"mi cel: {MASK}"),
    # other scripts' digits, and digits drawn as symbols
    ("whatsapp ١١٤٥٦٧٨٩٠١", f"whatsapp {MASK}"),  # Arabic-Indic
    ("۱۱ ۴۵۶۷ ۸۹۰۱", MASK),  # Extended Arabic-Indic (Persian)
    ("११४५६७८९०१ llamame", f"{MASK} llamame"),  # Devanagari
    ("𝟏𝟏 𝟒𝟓𝟔𝟕 𝟖𝟗𝟎𝟏", MASK),  # mathematical bold
    ("①① ④⑤⑥⑦ ⑧⑨⓪①", MASK),  # circled
    ("11–4567—8901", MASK),  # en and em dashes as separators
    ("11\u00a04567\u202f8901", MASK),  # no-break spaces
    # numbers in Spanish words, however they are typed
    ("uno uno cuatro cinco seis siete ocho nueve cero uno", MASK),
    ("mi número: uno uno, cuatro cinco, seis siete, ocho nueve", f"mi número: {MASK}"),
    ("ｏｎｃｅ ｃｕａｔｒｏ ｃｉｎｃｏ ｓｅｉｓ ｓｉｅｔｅ ｏｃｈｏ ｎｕｅｖｅ ｃｅｒｏ", MASK),
    ("ONCE CUATRO CINCO SEIS SIETE OCHO NUEVE CERO", MASK),
    # e-mails spelled out, the local part included
    ("juan punto perez arroba hotmail punto com", MASK),
    ("te paso el mail de juan punto perez arroba gmail punto com", f"te paso el mail de {MASK}"),
    ("Hola. fulano@gmail.com", f"Hola. {MASK}"),
]

UNICODE_KEPT = [
    "El presupuesto es ＄１５.０００",
    "sale ١٥٠٠٠ pesos",
    "paso el １２/０３/２０２４ a las １８:３０",
    "👍 gracias, ❤️",
    "1️⃣ primero la cocina, 2️⃣ después el baño",
    "Av. Corrientes 1234 — piso 5",
    "el lote mide 300 m²",
    "nos vemos en Av. Santa Fe 2345, 3º B",
    f"hola{ZWSP}, ¿podés venir el lunes?",
    "¿Cómo va? Te cuento: son dos o tres horas",
]


@pytest.mark.parametrize(("message", "stored"), UNICODE)
def test_unicode_evasions_are_masked(message, stored):
    result = shield(message)
    assert result.text == stored
    assert result.masked


@pytest.mark.parametrize("message", UNICODE_KEPT)
def test_innocent_unicode_is_kept_byte_for_byte(message):
    result = shield(message)
    assert not result.masked, result.text
    assert result.text == message


def test_what_is_masked_does_not_depend_on_the_plain_view_cache(monkeypatch):
    # A full cache of folded characters must still know which ones do not fold to exactly one: a
    # ligature (two letters) and a zero-width space (none) keep the text's length, and taking the
    # view as aligned with the text would put the mask one character beside the number.
    message = f"ﬀ llamame al 11{ZWSP}4567 8901"
    expected = shield(message).text
    assert expected == f"ﬀ llamame al {MASK}"
    monkeypatch.setattr(shielding, "_PLAIN", shielding._PlainTable(size=1))
    shield("ñandú")  # fills the small cache with other characters first
    assert shield(message).text == expected


# (the sender's messages just before, the new one, what is stored for the new one)
IN_PIECES = [
    (["11 45"], "67 89 01", MASK),
    (["mi cel es", "11 45"], "67 89 01", MASK),
    (["11", "45", "67"], "89 01 dale?", f"{MASK} dale?"),
    (["011 15"], "4567-89", MASK),
    (["1️⃣1️⃣ 4️⃣5️⃣"], "6️⃣7️⃣ 8️⃣9️⃣0️⃣1️⃣", MASK),
    (["once cuatro cinco"], "seis siete ocho nueve cero", MASK),
    (["fulano arroba"], "gmail punto com", MASK),
    (["fulano"], "@ hotmail . com", MASK),
    (["mi insta es"], "fulano_22", MASK),
    (["ig:"], "fulano", MASK),
]

PIECES_KEPT = [
    (["te cobro $15.000"], "11 45 y listo"),
    (["el presupuesto: $ 15.000"], "20 mil si hay que cambiar el caño"),
    (["Av. Corrientes 1234"], "piso 5 depto 8"),
    (["paso el 12/03/2024"], "a las 18:30"),
    (["son 2 o 3 horas"], "unos 45 minutos más"),
    (["11 45 67"], "hola"),
    (["te mando por whatsapp"], "mañana"),
    ([], "67 89 01"),
]


@pytest.mark.parametrize(("earlier", "message", "stored"), IN_PIECES)
def test_a_detail_sent_in_pieces_is_masked_in_the_piece_that_completes_it(earlier, message, stored):
    assert not shield(message).masked  # alone, each piece is innocent
    assert may_continue(message)  # the caller does fetch the earlier messages for it
    result = shield_after(message, earlier)
    assert result.text == stored
    assert result.masked
    assert result.across_messages


@pytest.mark.parametrize(("earlier", "message"), PIECES_KEPT)
def test_innocent_consecutive_messages_are_kept(earlier, message):
    result = shield_after(message, earlier)
    assert not result.masked, result.text
    assert result.text == message
    assert not result.across_messages


def test_most_messages_need_no_look_at_the_earlier_ones():
    assert not may_continue("hola, ¿podés venir el lunes a la mañana?")
    assert not may_continue("Perfecto, te espero entonces")
