"""The professional's portfolio (items with ordered images) and its public view.

Thin routes: parse, call `services.portfolio` / `selectors.portfolio`, answer. Ownership is
enforced by those queries (another professional's item or image is a 404, like an unknown id);
ids in paths use Django's `uuid` converter, so a malformed id is an unknown one (404) as well.
Content rules (lengths, required titulo, orden range) are checked by the service, which answers a
422 with Spanish messages; the schemas below only fix the JSON shape. An image upload answers
the item with its images (200); an 11th image is a 400 `portfolio_image_limit` (see the service).
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from ninja import File, Router, Schema, Status, UploadedFile

from conectar.professionals.http.bodies import portfolio_item_v1
from conectar.professionals.http.deps import ProfessionalBearer, own_professional
from conectar.professionals.selectors import portfolio as selectors
from conectar.professionals.services import portfolio as services

router = Router(tags=["professionals"], auth=ProfessionalBearer())


class PortfolioImageOut(Schema):
    id: UUID
    url: str
    orden: int


class PortfolioImagenV1(Schema):
    id: UUID
    imagen_url: str
    orden: int


class PortfolioItemOut(Schema):
    """The body of an item, for its owner and for the public alike (nothing in it is private):
    this project's keys and v1's (`profesional_id` is the professional id)."""

    id: UUID
    profesional_id: UUID
    titulo: str
    descripcion: str
    orden: int
    created_at: datetime
    fecha_creacion: datetime
    images: list[PortfolioImageOut]
    imagenes: list[PortfolioImagenV1]
    imagenes_urls: list[str]


class PortfolioItemIn(Schema):
    titulo: str | None = None  # required: checked by the service, with a Spanish message
    descripcion: str | None = None
    orden: int | None = None  # omitted: after the last item


class PortfolioItemPatch(Schema):
    """Partial update: only the fields sent change."""

    titulo: str | None = None
    descripcion: str | None = None
    orden: int | None = None


# --- the professional's own portfolio ---------------------------------------------------------------


@router.get("/professional/portfolio", response=list[PortfolioItemOut], summary="My portfolio")
def my_portfolio(request):
    professional = own_professional(request)
    return [
        portfolio_item_v1(request, i, professional_id=professional.pk) for i in selectors.portfolio_for(professional)
    ]


@router.post("/professional/portfolio", response={201: PortfolioItemOut}, summary="Add a portfolio item")
def add_item(request, payload: PortfolioItemIn):
    professional = own_professional(request)
    item = services.portfolio_item_create(professional_id=professional.pk, **payload.model_dump())
    return Status(201, portfolio_item_v1(request, item, professional_id=professional.pk))


@router.put("/professional/portfolio/{uuid:item_id}", response=PortfolioItemOut, summary="Edit a portfolio item")
def edit_item(request, item_id: UUID, payload: PortfolioItemPatch):
    professional = own_professional(request)
    item = services.portfolio_item_update(
        professional_id=professional.pk, item_id=item_id, changes=payload.model_dump(exclude_unset=True)
    )
    return portfolio_item_v1(request, item, professional_id=professional.pk)


@router.delete("/professional/portfolio/{uuid:item_id}", response={204: None}, summary="Delete a portfolio item")
def delete_item(request, item_id: UUID):
    professional = own_professional(request)
    services.portfolio_item_delete(professional_id=professional.pk, item_id=item_id)
    return Status(204, None)


@router.post(
    "/professional/portfolio/{uuid:item_id}/image",
    response=PortfolioItemOut,
    summary="Add an image to a portfolio item (multipart `file`: JPEG, PNG or WebP, at most 10 MB)",
)
def add_image(request, item_id: UUID, file: File[UploadedFile]):
    professional = own_professional(request)
    item = services.portfolio_image_add(professional_id=professional.pk, item_id=item_id, upload=file)
    return portfolio_item_v1(request, item, professional_id=professional.pk)


@router.delete(
    "/professional/portfolio/{uuid:item_id}/image/{uuid:image_id}",
    response={204: None},
    summary="Delete an image of a portfolio item",
)
def delete_image(request, item_id: UUID, image_id: UUID):
    professional = own_professional(request)
    services.portfolio_image_delete(professional_id=professional.pk, item_id=item_id, image_id=image_id)
    return Status(204, None)


# --- public ---------------------------------------------------------------------------------------


@router.get(
    "/public/professional/{uuid:id}/portfolio",
    response=list[PortfolioItemOut],
    auth=None,
    summary="A findable professional's portfolio",
)
def public_portfolio(request, id: UUID):
    return [portfolio_item_v1(request, i, professional_id=id) for i in selectors.public_portfolio(id)]
