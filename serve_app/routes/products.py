"""Products for sellers and admins (ARCHITECTURE §8): create, replace, remove, and an image per
product. A seller changes only their own products; admins change any. Images are checked by
their first bytes, stored under the state directory and served back to everyone."""

import asyncio
import os
import tempfile
from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field

from actors.catalog import CATALOG_KEY, Catalog, Product
from domain.pricing import ProductPricing
from durable import ObjectStub
from serve_app.errors import ApiError
from serve_app.routes.deps import current_user, services
from serve_app.schemas import Responses
from serve_app.strict_json import StrictJsonRoute
from serve_app.tokens import Principal

router = APIRouter(route_class=StrictJsonRoute, prefix="/api/products", tags=["products"])
SKU_IN_PATH = Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
MAX_IMAGE_BYTES = 1_000_000  # the gateway's default body cap
IMAGE_KINDS = {  # first bytes -> (file suffix, media type)
    b"\x89PNG\r\n\x1a\n": (".png", "image/png"),
    b"\xff\xd8\xff": (".jpg", "image/jpeg"),
    b"RIFF": (".webp", "image/webp"),
}
REFUSALS: Responses = {
    401: {"description": "not signed in"},
    403: {"description": "not a seller of this product, nor an admin"},
    404: {"description": "no such product"},
}


class ProductDraft(BaseModel):
    """A product as its seller describes it; the SKU is fixed once created."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=5000)
    category: str = Field(default="general", min_length=1, max_length=64)
    weight_grams: int = Field(default=500, ge=1, le=1_000_000)
    pricing: ProductPricing
    active: bool = True


class NewProduct(ProductDraft):
    sku: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    seller_id: str | None = Field(default=None, max_length=64, description="admins only")


def _catalog(request: Request) -> ObjectStub[Catalog]:
    return services(request).shop(Catalog).get(CATALOG_KEY)


def _seller_or_admin(principal: Principal) -> None:
    if not (principal.has("seller") or principal.has("admin")):
        raise ApiError(403, "forbidden", "sellers and admins only")


async def _editable(request: Request, principal: Principal, sku: str) -> dict[str, Any]:
    _seller_or_admin(principal)
    found = await _catalog(request).call(Catalog.product_record, sku=sku)
    if found["seller_id"] != principal.user_id and not principal.has("admin"):
        raise ApiError(403, "forbidden", "this product belongs to another seller")
    return found


@router.post("", response_model=Product, status_code=201, responses=REFUSALS)
async def create_product(
    body: NewProduct, request: Request, principal: Annotated[Principal, Depends(current_user)]
) -> dict[str, Any]:
    _seller_or_admin(principal)
    if body.seller_id is not None and not principal.has("admin"):
        raise ApiError(403, "forbidden", "only admins name another seller")
    product = {**body.model_dump(mode="json"), "seller_id": body.seller_id or principal.user_id}
    return await _catalog(request).call(Catalog.create_product, product=product)


@router.put("/{sku}", response_model=Product, responses=REFUSALS)
async def replace_product(
    sku: Annotated[str, SKU_IN_PATH],
    body: ProductDraft,
    request: Request,
    principal: Annotated[Principal, Depends(current_user)],
) -> dict[str, Any]:
    found = await _editable(request, principal, sku)
    product = {**body.model_dump(mode="json"), "sku": sku}
    product.update(seller_id=found["seller_id"], image=found["image"])
    return await _catalog(request).call(Catalog.save_product, product=product)


@router.delete("/{sku}", status_code=204, responses=REFUSALS)
async def remove_product(
    sku: Annotated[str, SKU_IN_PATH],
    request: Request,
    principal: Annotated[Principal, Depends(current_user)],
) -> Response:
    """Takes the product off sale; orders keep what they bought."""
    await _editable(request, principal, sku)
    await _catalog(request).call(Catalog.remove_product, sku=sku)
    return Response(status_code=204)


@router.put(
    "/{sku}/image",
    response_model=Product,
    responses={**REFUSALS, 413: {"description": "over 1 MB"}, 415: {"description": "not an image"}},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                m: {"schema": {"type": "string", "format": "binary"}}
                for _, m in IMAGE_KINDS.values()
            },
        }
    },
)
async def upload_image(
    sku: Annotated[str, SKU_IN_PATH],
    request: Request,
    principal: Annotated[Principal, Depends(current_user)],
) -> dict[str, Any]:
    """The raw bytes of a PNG, JPEG or WebP image as the body (not a form)."""
    found = await _editable(request, principal, sku)
    data = await request.body()
    if len(data) > MAX_IMAGE_BYTES:
        raise ApiError(413, "too_large", "an image is at most 1 MB", limit=MAX_IMAGE_BYTES)
    suffix = _image_suffix(data)
    name = f"{sku}{suffix}"
    await asyncio.to_thread(_store, _images_dir(request) / name, data)
    return await _catalog(request).call(Catalog.save_product, product={**found, "image": name})


@router.get(
    "/{sku}/image",
    response_class=FileResponse,
    responses={404: {"description": "no image"}},
)
async def product_image(sku: Annotated[str, SKU_IN_PATH], request: Request) -> FileResponse:
    found = await _catalog(request).call(Catalog.product, sku=sku)
    path = _images_dir(request) / (found["image"] or "")
    if found["image"] is None or not path.is_file():
        raise ApiError(404, "not_found", "this product has no image")
    media_type = next(m for suffix, m in IMAGE_KINDS.values() if path.suffix == suffix)
    return FileResponse(path, media_type=media_type)


def _image_suffix(data: bytes) -> str:
    for magic, (suffix, _) in IMAGE_KINDS.items():
        if data.startswith(magic) and (magic != b"RIFF" or data[8:12] == b"WEBP"):
            return suffix
    raise ApiError(415, "unsupported_media_type", "send a PNG, JPEG or WebP image")


def _images_dir(request: Request) -> FilePath:
    return FilePath(services(request).shop.config.state_dir) / "images"


def _store(path: FilePath, data: bytes) -> None:
    """Writes the whole file or nothing (a temporary file renamed over it, after fsync)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        FilePath(temporary).unlink(missing_ok=True)
        raise
