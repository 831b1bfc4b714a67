"""Contact shielding: find phone numbers, e-mails and social handles/links in a chat message and
mask them (DOMAIN.md § Chat). Pure Python, no Django: `shield(text)` in, `Shielded` out.

How it works: several detectors each return character spans of `text`; overlapping spans are
merged and each merged span is replaced by `MASK`. The detectors aim at the evasions people really
use ("once cuatro cinco…", "fulano arroba gmail punto com", "ig: @fulano", wa.me links) while
leaving ordinary numbers alone: prices ("$15.000", "15000 pesos"), dates ("12/03/2024"), times
("a las 18:30"), street numbers ("Av. Corrientes 1234") and short quantities. The rule of thumb
for digits: a phone number has at least `MIN_PHONE_DIGITS` digits, once dates and prices are set
aside. The test table in tests/marketplace/test_shielding.py lists every case this is held to.

Unicode: the detectors run on a plain view of the text (`_view`): compatibility forms folded
(full-width digits and at signs, circled, mathematical and superscript digits), every script's
decimal digits (Arabic-Indic, Devanagari, …) read as 0-9, invisible characters dropped (zero-width
space and joiners, word joiner, soft hyphen, BOM, the variation selector and keycap of keycap-emoji
digits, accents), dashes read as "-". The spans found there are mapped back onto the original text, so what is masked is
exactly what the person typed, and what is kept stays byte for byte.

Pieces: a number sent in several consecutive messages ("11 45", then "67 89 01") is caught by
`shield_after`, which reads the new message after the sender's previous few (the caller picks
them: services.chat) and masks the part of the new one that completes a contact detail.

Known limits: letters for digits ("O" for zero, "l" for one), a number sent one or two digits per
message over more messages than the caller's window, or spelled in a way not covered here, passes;
staff can still act on reports (the infraction webhook).
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

MASK = "[oculto]"
MIN_PHONE_DIGITS = 8  # AR local numbers have 8 digits (4567-8901); prices that long carry "$"/"pesos"

_I = re.IGNORECASE


@dataclass(frozen=True)
class Shielded:
    text: str  # the text to store and deliver
    masked: bool  # something was hidden: the sender earns an infraction
    kinds: tuple[str, ...] = ()  # what was found ("phone", "email", "link", "handle")
    across_messages: bool = False  # (part of) it completed a detail begun in the sender's earlier messages


# --- links to contact platforms ----------------------------------------------------------------------
# Any URL (scheme optional) on a messaging/social domain, with whatever path follows. x.com needs a
# path so that a bare mention of the site is not masked.
_LINK = re.compile(
    r"(?:https?://)?(?:www\.|m\.|mobile\.|web\.|api\.|chat\.)?"
    r"(?:"
    r"(?:wa\.me|whatsapp\.com|t\.me|telegram\.(?:me|org|dog)|instagram\.com|instagr\.am|facebook\.com|"
    r"fb\.com|fb\.me|m\.me|messenger\.com|tiktok\.com|twitter\.com|linkedin\.com|snapchat\.com|"
    r"linktr\.ee)(?:/[^\s]*)?"
    r"|x\.com/[^\s]+"
    r")",
    _I,
)

# Every domain of _LINK ends in one of these.
_LINK_NEEDS = re.compile(r"\.(?:me|com|org|dog|am|ee)", _I)

# --- e-mails --------------------------------------------------------------------------------------------
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# Written out: "fulano arroba gmail punto com", "fulano(at)gmail(dot)com", "fulano [at] gmail.com".
_AT = r"(?:\s*@\s*|\s*[\(\[\{]\s*(?:at|arroba)\s*[\)\]\}]\s*|\s+(?:at|arroba)\s+)"
_DOT = r"(?:\s*\.\s*|\s*[\(\[\{]\s*(?:dot|punto)\s*[\)\]\}]\s*|\s+(?:dot|punto)\s+)"
# The local part may be spelled too ("juan punto perez arroba …"), but a plain space never joins it
# to the word before.
_LOCAL_DOT = r"(?:\.|\s+(?:dot|punto)\s+|\s*[\(\[\{]\s*(?:dot|punto)\s*[\)\]\}]\s*)"
_LOCAL = rf"[\w+-]+(?:{_LOCAL_DOT}[\w+-]+)*"
_EMAIL_SPELLED = re.compile(rf"{_LOCAL}{_AT}[\w-]+(?:{_DOT}[\w-]+)+", _I)
# "fulano arroba gmail" with no domain ending, for the big providers.
# Every e-mail pattern needs an "@" or an "at"/"arroba" standing as a word (what _AT accepts).
_AT_NEEDS = re.compile(r"@|\b(?:at|arroba)\b", _I)
_EMAIL_PROVIDER = re.compile(
    rf"{_LOCAL}{_AT}(?:gmail|hotmail|yahoo|outlook|live|icloud|proton(?:mail)?|fibertel|speedy)\b", _I
)

# --- social handles -------------------------------------------------------------------------------------
_NETWORK = (
    r"(?:ig|insta|instagram|face|facebook|fb|telegram|telegra|tg|tiktok|tik\s?tok|twitter|tw|snap|snapchat|"
    r"whatsapp|whats|wsp|wpp|wap|wasap|guasap|linkedin|threads)(?!\w)"  # whole word: "insta" ≠ "instagram"
)
_HANDLE = r"@?[a-z0-9_](?:[a-z0-9_.]{1,29})"
# After a colon, equals sign or arrow: ig colon fulano, insta equals @fulano, telegram arrow fulano.
_HANDLE_AFTER_COLON = re.compile(rf"(?<!\w){_NETWORK}\s*(?::|=|->|→)\s*(?P<h>{_HANDLE})", _I)
# "mi insta es fulano_22", "su face: juan.perez" (a possessive says the next word is theirs)
_HANDLE_POSSESSIVE = re.compile(
    rf"(?<!\w)(?:mi|su|tu|nuestro|nuestra)\s+{_NETWORK}\s+(?:es\s+|=\s*)(?:@\s*)?(?P<h>{_HANDLE})", _I
)
# An invitation: búscame en instagram como fulano / agregame al face: fulano / seguime en ig fulano22.
_HANDLE_INVITE = re.compile(
    rf"(?<!\w)(?:b[uú]scame|buscanos|encontrame|agr[eé]game|seguime|escribime|hablame)\s+(?:en|por|al|a)\s+"
    rf"(?:el\s+|la\s+)?{_NETWORK}\s*(?:como\s+|:\s*)?(?P<h>{_HANDLE})",
    _I,
)
# "instagram fulano_22": no separator, so only a token that looks like a handle (has _ . or digits).
_HANDLE_SHAPED = re.compile(
    rf"(?<!\w){_NETWORK}\s+(?P<h>@?(?=[a-z0-9_.]*[_.\d])(?=[a-z0-9_.]*[a-z])[a-z0-9_][a-z0-9_.]{{2,29}})", _I
)
# "@fulano" anywhere (needs a letter: "@18" is not a handle). E-mails are caught above first.
_AT_HANDLE = re.compile(r"(?<![\w.@])@(?=[\w.]*[^\W\d_])[\w][\w.]{1,29}", re.UNICODE)

# --- numbers that are not phones --------------------------------------------------------------------------
# Neutralised before digits are counted. Each refuses to start or end inside a longer digit run, so
# "11-12-45-67-89" is not "a date and some digits".
_NOT_AFTER_DIGITS = r"(?<!\d)(?<!\d[\s.\-/])"
_DATE = re.compile(
    _NOT_AFTER_DIGITS + r"(?:"
    r"(?:0?[1-9]|[12]\d|3[01])[/.\-](?:0?[1-9]|1[0-2])[/.\-](?:(?:19|20)\d{2}(?![.\-/]?\d)|\d{2}(?![\s.\-/]{0,3}\d))"
    r"|(?:19|20)\d{2}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])(?![.\-/]?\d)"
    r")"
)
_AMOUNT = r"(?:\d{1,3}(?:[.,]\d{3})+(?:,\d{1,2})?|\d{1,7}(?:[.,]\d{1,2})?)"
_CURRENCY_WORD = r"(?:pesos?|ars|usd|u\$s|us\$|d[oó]lares|mil|lucas|k)(?!\w)"
_PRICE = re.compile(
    r"(?:"
    # "$15.000", "$ 1.500.000 - 2.000.000", "ARS 15000"
    rf"(?:\$|ars\s*|usd\s*|u\$s\s*){_AMOUNT}(?:\s*(?:-|a|y|/)\s*\$?\s*{_AMOUNT})?(?![\s.\-/]?\d)"
    # "15000 pesos", "15.000 a 20.000 pesos", "20 mil"
    rf"|{_NOT_AFTER_DIGITS}{_AMOUNT}(?:\s*(?:-|a|y)\s*{_AMOUNT})?\s*{_CURRENCY_WORD}"
    r")",
    _I,
)

# --- phones written with digits ---------------------------------------------------------------------------
# A run of digits joined by short separators: spaces, dots, dashes, slashes, parentheses, brackets.
# "+54 9 11 4567-8901", "(011) 15-4567-8901", "1 1 4 5 6 7 8 9 0 1", "11.4567.8901".
_DIGIT_RUN = re.compile(r"(?:\+\s*|\(\s*)?\d(?:[\s.\-/()\[\]_*]{0,3}\d)+")

# --- phones written with words -----------------------------------------------------------------------------
_UNITS = {
    "cero": 0,
    "uno": 1,
    "dos": 2,
    "tres": 3,
    "cuatro": 4,
    "cinco": 5,
    "seis": 6,
    "siete": 7,
    "ocho": 8,
    "nueve": 9,
}
_TEENS = {
    "diez": 10,
    "once": 11,
    "doce": 12,
    "trece": 13,
    "catorce": 14,
    "quince": 15,
    "dieciseis": 16,
    "diecisiete": 17,
    "dieciocho": 18,
    "diecinueve": 19,
    "veinte": 20,
    "veintiuno": 21,
    "veintidos": 22,
    "veintitres": 23,
    "veinticuatro": 24,
    "veinticinco": 25,
    "veintiseis": 26,
    "veintisiete": 27,
    "veintiocho": 28,
    "veintinueve": 29,
}
_TENS = {
    "treinta": 30,
    "cuarenta": 40,
    "cincuenta": 50,
    "sesenta": 60,
    "setenta": 70,
    "ochenta": 80,
    "noventa": 90,
}
_ACCENTS = str.maketrans("áéíóú", "aeiou")
_UNIT_WORD = r"(?:cero|uno|dos|tres|cuatro|cinco|seis|siete|ocho|nueve)"
_NUMBER_WORD = (
    r"(?:(?:treinta|cuarenta|cincuenta|sesenta|setenta|ochenta|noventa)(?:\s+y\s+" + _UNIT_WORD + r")?"
    r"|dieci(?:s[eé]is|siete|ocho|nueve)|veinti(?:uno|d[oó]s|tr[eé]s|cuatro|cinco|s[eé]is|siete|ocho|nueve)"
    r"|diez|once|doce|trece|catorce|quince|veinte"
    r"|cero|uno|dos|tres|cuatro|cinco|seis|siete|ocho|nueve)"
)
_NUMBER_TOKEN = rf"(?:\d+|{_NUMBER_WORD}(?!\w))"
# At least two tokens in a row ("once cuatro cinco …", "11 cuarenta y cinco 67 …").
_WORD_RUN = re.compile(rf"(?<!\w){_NUMBER_TOKEN}(?:[\s,.\-/]+{_NUMBER_TOKEN})+", _I)
_WORD_IN_RUN = re.compile(rf"\d+|{_NUMBER_WORD}(?!\w)", _I)


def _digits_of_word(word: str) -> int:
    """How many digits a spoken number stands for ("cinco" 1, "quince" 2, "treinta y dos" 2)."""
    word = " ".join(word.lower().translate(_ACCENTS).split())
    if word.isdigit():
        return len(word)
    if word in _UNITS:
        return 1
    return 2  # teens, twenties and tens (with or without "y <unit>") are two digits each


def _word_phone_spans(text: str) -> list[tuple[int, int]]:
    spans = []
    for run in _WORD_RUN.finditer(text):
        tokens = [t.group(0) for t in _WORD_IN_RUN.finditer(run.group(0))]
        has_word = any(not t.isdigit() for t in tokens)
        if has_word and sum(_digits_of_word(t) for t in tokens) >= MIN_PHONE_DIGITS:
            spans.append(run.span())
    return spans


def _digit_phone_spans(text: str, segments: Sequence[tuple[int, int]] = ()) -> list[tuple[int, int]]:
    # Blank out dates and prices (same length, so spans still point into `text`); a blanked char is
    # not a separator, so it also splits runs around it. Each message of a joined text (`segments`)
    # has its own: "$15.000" ending one message is a price even if the next begins with digits.
    work = list(text)
    for seg_start, seg_end in segments or [(0, len(text))]:
        for pattern in (_DATE, _PRICE):
            for match in pattern.finditer(text[seg_start:seg_end]):
                start, end = match.span()
                work[seg_start + start : seg_start + end] = "x" * (end - start)
    blanked = "".join(work)
    spans = []
    for run in _DIGIT_RUN.finditer(blanked):
        if sum(ch.isdigit() for ch in run.group(0)) >= MIN_PHONE_DIGITS:
            spans.append(run.span())
    return spans


def _spans(pattern: re.Pattern, text: str, group: str | int = 0) -> list[tuple[int, int]]:
    return [m.span(group) for m in pattern.finditer(text)]


# --- the plain view the detectors read -----------------------------------------------------------------------
_INVISIBLE = frozenset({"Cf", "Mn", "Me"})  # format chars (zero-width, soft hyphen), combining marks, keycaps
_DOTS = frozenset("·•∙⋅‧")


@lru_cache(maxsize=4096)  # the uneven characters' origins are built from it (the table keeps the rest)
def _plain(ch: str) -> str:
    """What one character reads as: compatibility form, ASCII digit, "-" for a dash, nothing if invisible."""
    out = []
    for part in unicodedata.normalize("NFKD", ch):
        category = unicodedata.category(part)
        if category in _INVISIBLE:
            continue
        if part.isdigit():  # any script's digit, and dingbat ones NFKD leaves alone
            out.append(str(unicodedata.digit(part)))
        elif category == "Pd" or part == "\u2212":  # dashes and the minus sign
            out.append("-")
        elif part in _DOTS:
            out.append(".")
        elif category == "Zs":
            out.append(" ")
        else:
            out.append(part)
    return "".join(out)


class _PlainTable(dict):
    """str.translate's table of `_plain`, filled as characters are met (bounded: past its size a
    character is folded again each time). `uneven` holds every character met that does not fold to
    exactly one, cached or not: _view's 1:1 shortcut must never miss one (the masks would land
    beside the detail); Unicode has only a few thousand such characters."""

    def __init__(self, size: int):
        super().__init__()
        self.size, self.uneven = size, set()

    def __missing__(self, code: int) -> str:
        plain = _plain(chr(code))
        if len(plain) != 1:
            self.uneven.add(chr(code))
        if len(self) < self.size:
            self[code] = plain
        return plain


_PLAIN = _PlainTable(size=8192)


def _view(text: str) -> tuple[str, list[int] | None]:
    """The text as the detectors read it, and for each of its characters the index in `text` it
    came from (None: each character of the view stands where it stood in `text` — ASCII, and the
    common Spanish text whose "ñ" and accents each fold to one letter)."""
    if text.isascii():
        return text, None
    view = text.translate(_PLAIN)
    if len(view) == len(text) and _PLAIN.uneven.isdisjoint(text):
        return view, None
    origin: list[int] = []
    for index, ch in enumerate(text):
        origin.extend([index] * len(_plain(ch)))
    return view, origin


def _original_span(text: str, origin: list[int], start: int, end: int) -> tuple[int, int]:
    first, last = origin[start], origin[end - 1] + 1
    # Invisible characters right after the detail go with it (the keycap of a final 1️⃣).
    while last < len(text) and not _plain(text[last]):
        last += 1
    return first, last


def _find_in_view(view: str, segments: Sequence[tuple[int, int]] = ()) -> list[tuple[int, int, str]]:
    found: list[tuple[int, int, str]] = []
    # The costly patterns run only where what they need is there (most messages have neither).
    if _LINK_NEEDS.search(view):
        found += [(*s, "link") for s in _spans(_LINK, view)]
    emails = (_EMAIL, _EMAIL_SPELLED, _EMAIL_PROVIDER) if _AT_NEEDS.search(view) else ()
    for pattern in emails:
        found += [(*s, "email") for s in _spans(pattern, view)]
    for pattern in (_HANDLE_AFTER_COLON, _HANDLE_POSSESSIVE, _HANDLE_INVITE, _HANDLE_SHAPED):
        found += [(*s, "handle") for s in _spans(pattern, view, "h")]
    found += [(*s, "handle") for s in _spans(_AT_HANDLE, view)]
    found += [(*s, "phone") for s in _digit_phone_spans(view, segments)]
    found += [(*s, "phone") for s in _word_phone_spans(view)]
    return found


def find_contacts(text: str, *, segments: Sequence[tuple[int, int]] = ()) -> list[tuple[int, int, str]]:
    """Every contact detail found, as (start, end, kind) spans of `text`, unmerged. `segments`: the
    messages `text` joins, as spans of it (dates and prices are found per message)."""
    view, origin = _view(text)
    if origin is None:
        return _find_in_view(view, segments)
    in_view = [(bisect_left(origin, start), bisect_left(origin, end)) for start, end in segments]
    found = _find_in_view(view, in_view)
    return [(*_original_span(text, origin, start, end), kind) for start, end, kind in found if end > start]


def _masked(text: str, found: list[tuple[int, int, str]]) -> Shielded:
    found = sorted(found)
    if not found:
        return Shielded(text=text, masked=False)
    merged: list[list[int]] = []
    for start, end, _kind in found:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    pieces, cursor = [], 0
    for start, end in merged:
        pieces += [text[cursor:start], MASK]
        cursor = end
    pieces.append(text[cursor:])
    kinds = tuple(sorted({kind for _s, _e, kind in found}))
    return Shielded(text="".join(pieces), masked=True, kinds=kinds)


def shield(text: str) -> Shielded:
    return _masked(text, find_contacts(text))


# --- details sent in pieces -------------------------------------------------------------------------------------
_JOIN = " "  # earlier messages are read as if sent in one line with the new one
# Could this message continue a detail begun earlier? Digits, "@", spelled numbers and e-mail words, a
# domain-like "a.b", or a lone word (the handle after an earlier "mi insta es"). Anything else — most
# messages — needs no look at the earlier ones.
_MAY_CONTINUE = re.compile(rf"\d|@|\w\.\w|(?<!\w)(?:{_NUMBER_WORD}|arroba|punto|dot|at)(?!\w)|^\W*[\w.]+\W*$", _I)


def may_continue(text: str) -> bool:
    """Whether `shield_after` could find more in `text` than `shield` does (callers skip fetching the
    earlier messages when not)."""
    return bool(_MAY_CONTINUE.search(_view(text)[0]))


def shield_after(text: str, earlier: Sequence[str]) -> Shielded:
    """Shield `text`, the newest of one sender's consecutive messages, `earlier` being the ones right
    before it (oldest first, as stored, i.e. already shielded). Besides what `text` holds by itself,
    the part of it that completes a detail begun in `earlier` is masked ("11 45", then "67 89 01").
    The earlier messages stay as they are: they were delivered, and without their end they say little."""
    found = find_contacts(text)
    if not earlier:
        return _masked(text, found)
    segments, cursor = [], 0
    for part in [*earlier, text]:
        segments.append((cursor, cursor + len(part)))
        cursor += len(part) + len(_JOIN)
    offset = segments[-1][0]
    joined = _JOIN.join([*earlier, text])
    # What the joined text shows in the new message (a number's end, the handle after "mi insta es")
    # beyond what the new message shows by itself.
    covered = _masked(text, found).text
    across = [
        (max(start, offset) - offset, end - offset, kind)
        for start, end, kind in find_contacts(joined, segments=segments)
        if end > offset
    ]
    result = _masked(text, found + across)
    return Shielded(result.text, result.masked, result.kinds, across_messages=result.text != covered)
