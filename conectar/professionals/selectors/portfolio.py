"""Reads of the professionals' portfolios.

The owner and the public see the same item body — `{id, titulo, descripcion, orden, created_at,
images: [{id, url, orden}]}` — because nothing in it is private: no e-mail, no account id, no
client. Every read is scoped by the professional in the query itself, so an item or image of
somebody else is simply not found (404), never "forbidden" (which would reveal that it exists).
"""

from __future__ import annotations

from uuid import UUID

from django.core.files.storage import default_storage
from django.db.models import Prefetch, QuerySet

from conectar.professionals.models import PortfolioImage, PortfolioItem, Professional
from conectar.shared.errors import NotFound

ITEM_ORDER = ("orden", "created_at", "id")  # `id` only makes ties deterministic
IMAGE_ORDER = ("orden", "created_at", "id")


class PortfolioItemNotFound(NotFound):
    default_detail = "No encontramos ese trabajo en tu portfolio."


class PortfolioImageNotFound(NotFound):
    default_detail = "No encontramos esa imagen en ese trabajo de tu portfolio."


class PublicProfessionalNotFound(NotFound):
    default_detail = "No encontramos a ese profesional."


def items_of(professional_id: UUID) -> QuerySet[PortfolioItem]:
    """The professional's items in display order, their images prefetched in display order."""
    images = PortfolioImage.objects.order_by(*IMAGE_ORDER)
    return (
        PortfolioItem.objects.filter(professional_id=professional_id)
        .order_by(*ITEM_ORDER)
        .prefetch_related(Prefetch("images", queryset=images))
    )


def item_titles(professional_id: UUID) -> list[str]:
    return list(PortfolioItem.objects.filter(professional_id=professional_id).values_list("titulo", flat=True))


def image_url(name: str) -> str:
    return default_storage.url(name)


def image_body(image: PortfolioImage) -> dict:
    return {"id": image.pk, "url": image_url(image.image), "orden": image.orden}


def item_body(item: PortfolioItem) -> dict:
    """One item as the API answers it; `item.images` should be prefetched in display order."""
    return {
        "id": item.pk,
        "titulo": item.titulo,
        "descripcion": item.descripcion,
        "orden": item.orden,
        "created_at": item.created_at,
        "images": [image_body(image) for image in item.images.all()],
    }


def portfolio_for(professional: Professional | UUID) -> list[dict]:
    """Every item of `professional` (a Professional or its id), in display order, as public bodies.
    Whether the professional may be shown at all is the caller's decision (see `public_portfolio`)."""
    professional_id = professional.pk if isinstance(professional, Professional) else professional
    return [item_body(item) for item in items_of(professional_id)]


def own_item(*, professional_id: UUID, item_id: UUID) -> dict:
    """One item of the caller's portfolio; 404 when it does not exist or is somebody else's."""
    item = items_of(professional_id).filter(pk=item_id).first()
    if item is None:
        raise PortfolioItemNotFound
    return item_body(item)


def public_portfolio(professional_id: UUID) -> list[dict]:
    """The portfolio shown to anyone: only of a professional who can be found and hired
    (`Professional.matchable`: APROBADO, account active, located); anyone else is a 404."""
    professional = Professional.objects.filter(pk=professional_id).first()
    if professional is None or not professional.matchable:
        raise PublicProfessionalNotFound
    return portfolio_for(professional)
