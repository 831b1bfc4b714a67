"""The JSON every Ninja answer is written in: orjson, with the values Django's encoder gives.

json.dumps was ~10 % of a search request's CPU (~90 µs for a page of 20 professionals); orjson writes
the same page in ~13 µs. Its bytes differ only in form, never in value: compact separators and UTF-8
text instead of `\\u` escapes (as DRF's renderer already writes), floats in their shortest form
(`1e-05` → `1e-5`). What orjson would write differently is handed to Ninja's encoder instead:
datetimes, dates and times (Django's: milliseconds, `Z` for UTC), Decimal (a string), pydantic
models, lazy translations.
"""

from __future__ import annotations

import orjson
from ninja.renderers import BaseRenderer
from ninja.responses import NinjaJSONEncoder

# PASSTHROUGH_DATETIME: datetimes to `default` (orjson keeps microseconds and writes "+00:00").
# NON_STR_KEYS: int, float, bool and None keys as json.dumps writes them (strings).
_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS
_django_default = NinjaJSONEncoder().default


def dumps(data) -> bytes:
    return orjson.dumps(data, default=_django_default, option=_OPTIONS)


class OrjsonRenderer(BaseRenderer):
    media_type = "application/json"

    def render(self, request, data, *, response_status: int) -> bytes:
        return dumps(data)
