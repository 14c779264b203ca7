"""Routes of the catalogue for B2B ordering (DESIGN sections 14 and 15): the search, a
product with its stock as last heard from inventory and its photo, the photo itself, the
associated products. The catalogue is every reader's whole: no record in it belongs to a
customer, so nothing is scoped but who may call (``api/scope.py``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Response, UploadFile
from oms_kit.auth import allow
from oms_kit.domain import InvalidInput
from oms_kit.http import Paging

from oms_orders.api.models import (
    AssociatedListPublic,
    AssociatedProductPublic,
    AssociatedUpdate,
    CatalogueItemPublic,
    CatalogueListPublic,
    ProductPublic,
)
from oms_orders.api.routes import product_public
from oms_orders.api.scope import BACK_OFFICE_ONLY, CATALOGUE_READERS
from oms_orders.application import OrdersApplication
from oms_orders.domain.product import Product
from oms_orders.projections.catalogue import CatalogueFilter, CatalogueView


def image_url(sku: str) -> str:
    return f"/products/{sku}/image"


def catalogue_product(app: OrdersApplication, product: Product) -> ProductPublic:
    """The product with its photo's address and its stock as last heard."""
    public = product_public(product)
    public.image_url = image_url(product.sku) if product.image_id else None
    level = app.stock_level(product.sku)
    if level is not None:
        public.on_hand, public.reserved, public.available = (
            level.on_hand,
            level.reserved,
            level.available,
        )
    return public


def associated_public(product: Product) -> AssociatedProductPublic:
    return AssociatedProductPublic(
        sku=product.sku, name=product.name, unit_price=product.unit_price, currency=product.currency
    )


def build_catalogue_router(app: OrdersApplication, catalogue: CatalogueView) -> APIRouter:
    router = APIRouter(tags=["catalogue"])
    readers = [allow(*CATALOGUE_READERS)]
    back_office_only = [allow(*BACK_OFFICE_ONLY)]

    @router.get("/products", dependencies=readers)
    def search_products(paging: Paging, q: str | None = None) -> CatalogueListPublic:
        """By name (case aside), then sku; ``q`` is found anywhere in the name or sku."""
        page = catalogue.list_products(CatalogueFilter(search=q), paging)
        return CatalogueListPublic(
            items=[
                CatalogueItemPublic(
                    sku=item.sku,
                    name=item.name,
                    unit_price=item.unit_price,
                    currency=item.currency,
                    image_url=image_url(item.sku) if item.has_image else None,
                    on_hand=item.on_hand,
                    reserved=item.reserved,
                    available=item.available,
                )
                for item in page.items
            ],
            next_cursor=page.next_cursor,
        )

    @router.get("/products/{sku}", dependencies=readers)
    def get_product(sku: str) -> ProductPublic:
        return catalogue_product(app, app.get_product(sku))

    @router.put("/products/{sku}/image", dependencies=back_office_only)
    def change_product_image(
        sku: str, file: Annotated[UploadFile | None, File()] = None
    ) -> ProductPublic:
        """The product's photo: PNG or JPEG by its content (422 naming ``file``
        otherwise), up to the attachments' size limit (413)."""
        app.get_product(sku)  # an unknown product is 404 whatever the body
        if file is None:
            raise InvalidInput("file is required (multipart/form-data)", field="file")
        data = file.file.read(app.attachment_max_bytes + 1)
        product = app.change_product_image(sku, data=data, name=file.filename or sku)
        return catalogue_product(app, product)

    @router.get(
        "/products/{sku}/image",
        dependencies=readers,
        response_class=Response,
        responses={200: {"content": {"image/png": {}, "image/jpeg": {}}}},
    )
    def get_product_image(sku: str) -> Response:
        """The photo's bytes (404 naming ``image`` for a product without one)."""
        stored = app.get_product_image(sku)
        return Response(stored.data, media_type=stored.content_type)

    @router.put("/products/{sku}/associated", dependencies=back_office_only)
    def associate_products(sku: str, body: AssociatedUpdate) -> AssociatedListPublic:
        """Name the products associated with this one (replacing those named before):
        each in the catalogue (422 naming ``skus.<index>``), not this one itself."""
        app.associate_products(sku, body.skus)
        return AssociatedListPublic(
            items=[associated_public(p) for p in app.associated_products(sku)]
        )

    @router.get("/products/{sku}/associated", dependencies=readers)
    def list_associated_products(sku: str) -> AssociatedListPublic:
        return AssociatedListPublic(
            items=[associated_public(p) for p in app.associated_products(sku)]
        )

    return router
