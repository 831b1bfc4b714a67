"""Writes of the professional's portfolio: items (titulo, descripcion, orden) and their images.

Ownership is part of every query (`professional_id=` the caller's professional), so another
professional's item or image is a 404, exactly like an unknown id.

Images are judged by their content (`conectar.platform.uploads`), re-encoded without metadata and
stored in the public default storage under `portfolio/<professional_id>/<uuid>.<ext>`. Files are
written before the transaction that records them (no row lock held during storage I/O) and deleted
if that transaction fails; files of deleted rows are removed only once the deletion is committed.

An item holds at most `MAX_IMAGES_PER_ITEM` images. One more is a 400 Conflict (`code:
portfolio_image_limit`), not a 422: nothing in the request is malformed, the item is full in its
current state and deleting an image makes the same request succeed. The limit is checked under a
lock on the item's row, so simultaneous uploads cannot overshoot it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from uuid import UUID

import structlog
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Max

from conectar.platform.databases import alias_for
from conectar.platform.uploads import clean_image, read_limited
from conectar.professionals.models import PortfolioImage, PortfolioItem
from conectar.professionals.selectors.portfolio import (
    PortfolioImageNotFound,
    PortfolioItemNotFound,
    item_body,
    own_item,
)
from conectar.shared.errors import Conflict, InvalidInput

log = structlog.get_logger(__name__)

DB = alias_for("professionals")
TITULO_MAX = 150
DESCRIPCION_MAX = 2000
ORDEN_MAX = 10_000
MAX_IMAGES_PER_ITEM = 10
IMAGE_MAX_SIDE = 2048  # pixels; larger photos are scaled down when re-encoded
EDITABLE = frozenset({"titulo", "descripcion", "orden"})


class PortfolioImageLimit(Conflict):
    code = "portfolio_image_limit"
    default_detail = (
        f"Cada trabajo del portfolio admite hasta {MAX_IMAGES_PER_ITEM} imágenes; borrá alguna para agregar otra."
    )


# --- items ------------------------------------------------------------------------------------------


def portfolio_item_create(
    *, professional_id: UUID, titulo: str | None, descripcion: str | None = None, orden: int | None = None
) -> dict:
    """Add an item; without `orden` it goes after the professional's last item."""
    fields = _validated({"titulo": titulo, "descripcion": descripcion, "orden": orden}, creating=True)
    with transaction.atomic(using=DB):
        if fields.get("orden") is None:
            fields["orden"] = _next_orden(PortfolioItem.objects.filter(professional_id=professional_id))
        item = PortfolioItem.objects.create(professional_id=professional_id, **fields)
    return item_body(item)


def portfolio_item_update(*, professional_id: UUID, item_id: UUID, changes: Mapping[str, object]) -> dict:
    """Partial update: only the fields present in `changes` change."""
    unknown = set(changes) - EDITABLE
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")  # a programming error, not bad input
    fields = _validated(changes, creating=False)
    with transaction.atomic(using=DB):
        item = _locked_item(professional_id, item_id)
        for name, value in fields.items():
            setattr(item, name, value)
        if fields:
            item.save(update_fields=list(fields))
    return own_item(professional_id=professional_id, item_id=item_id)


def portfolio_item_delete(*, professional_id: UUID, item_id: UUID) -> None:
    """Delete the item and its images; their files go once the deletion is committed."""
    with transaction.atomic(using=DB):
        item = _locked_item(professional_id, item_id)
        names = list(item.images.values_list("image", flat=True))
        item.delete()
        _delete_files_on_commit(names)


# --- images -----------------------------------------------------------------------------------------


def portfolio_image_add(*, professional_id: UUID, item_id: UUID, upload) -> dict:
    """Check, clean and store an uploaded image, then append it to the item. Answers the item."""
    # Cheap refusals first, before reading and decoding up to 10 MB; re-checked under the lock.
    item = PortfolioItem.objects.filter(pk=item_id, professional_id=professional_id).first()
    if item is None:
        raise PortfolioItemNotFound
    if item.images.count() >= MAX_IMAGES_PER_ITEM:
        raise PortfolioImageLimit

    image = clean_image(read_limited(upload, max_bytes=settings.PORTFOLIO_IMAGE_MAX_BYTES), max_side=IMAGE_MAX_SIDE)
    name = default_storage.save(
        f"portfolio/{professional_id}/{uuid.uuid4().hex}.{image.extension}", ContentFile(image.content)
    )
    try:
        _append_image(professional_id, item_id, name)
    except BaseException:
        _delete_files([name])  # the row was not written: the file must not outlive it
        raise
    return own_item(professional_id=professional_id, item_id=item_id)


def portfolio_image_delete(*, professional_id: UUID, item_id: UUID, image_id: UUID) -> None:
    with transaction.atomic(using=DB):
        image = (
            PortfolioImage.objects.select_for_update()
            .filter(pk=image_id, item_id=item_id, item__professional_id=professional_id)
            .first()
        )
        if image is None:
            raise PortfolioImageNotFound
        image.delete()
        _delete_files_on_commit([image.image])


# --- helpers ----------------------------------------------------------------------------------------


def _append_image(professional_id: UUID, item_id: UUID, name: str) -> None:
    with transaction.atomic(using=DB):
        item = _locked_item(professional_id, item_id)  # serialises uploads to this item
        images = PortfolioImage.objects.filter(item=item)
        if images.count() >= MAX_IMAGES_PER_ITEM:
            raise PortfolioImageLimit
        PortfolioImage.objects.create(item=item, image=name, orden=_next_orden(images))


def _locked_item(professional_id: UUID, item_id: UUID) -> PortfolioItem:
    item = PortfolioItem.objects.select_for_update().filter(pk=item_id, professional_id=professional_id).first()
    if item is None:
        raise PortfolioItemNotFound
    return item


def _next_orden(queryset) -> int:
    """One past the highest `orden` in `queryset` (0 when empty), never past ORDEN_MAX."""
    highest = queryset.aggregate(highest=Max("orden"))["highest"]
    return 0 if highest is None else min(highest + 1, ORDEN_MAX)


class _Invalid(Exception):
    """One field's problem, in words for the person who sent it."""


def _validated(values: Mapping[str, object], *, creating: bool) -> dict:
    """Normalise and check the editable fields present in `values`; one 422 carrying every field's
    message. On creation `titulo` is required and `orden=None` means "after the last item";
    `descripcion=None` means empty."""
    fields: dict = {}
    errors: dict[str, list[str]] = {}
    checks = {
        "titulo": lambda v: _text(v, label="El título", max_length=TITULO_MAX, required=True),
        "descripcion": lambda v: _text(v, label="La descripción", max_length=DESCRIPCION_MAX),
        "orden": _orden,
    }
    present = {name: values.get(name) for name in checks if name in values}
    if creating:
        present.setdefault("titulo", None)
        if present.get("orden") is None:
            present.pop("orden", None)
    for name, value in present.items():
        try:
            fields[name] = checks[name](value)
        except _Invalid as exc:
            errors[name] = [str(exc)]
    if errors:
        raise InvalidInput(fields=errors)
    return fields


def _text(value: object, *, label: str, max_length: int, required: bool = False) -> str:
    text = "" if value is None else value
    if not isinstance(text, str):
        raise _Invalid(f"{label} tiene que ser un texto.")
    text = text.strip()
    if required and not text:
        raise _Invalid(f"{label} es obligatorio.")
    if len(text) > max_length:
        raise _Invalid(f"{label} admite hasta {max_length} caracteres.")
    if "\x00" in text:  # PostgreSQL cannot store NUL in text: refuse it here, not with a 500
        raise _Invalid(f"{label} contiene caracteres no permitidos.")
    return text


def _orden(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= ORDEN_MAX:
        raise _Invalid(f"El orden tiene que ser un número entero entre 0 y {ORDEN_MAX}.")
    return value


def _delete_files_on_commit(names: Iterable[str]) -> None:
    names = [name for name in names if name]
    if names:
        transaction.on_commit(lambda: _delete_files(names), using=DB, robust=True)


def _delete_files(names: Iterable[str]) -> None:
    """Best effort: a file that cannot be removed now is logged (an orphan, never a broken row)."""
    for name in names:
        try:
            default_storage.delete(name)
        except Exception:
            log.exception("portfolio.file_delete_failed", name=name)
