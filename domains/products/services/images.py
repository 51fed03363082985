"""Product images: where an image is stored, and adding and removing them in order."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from domains.kit.auth import Viewer
from domains.kit.cache import mark_stale
from domains.kit.errors import InputErrors, quoted
from domains.products import cache as keys
from domains.products.media import media_base_url
from domains.products.models import ProductImage
from domains.products.repositories.catalog import product_repository
from domains.products.repositories.images import image_repository
from domains.products.services.actors import catalog_editor, ensure_can_edit, product_to_edit
from domains.products.services.validation import Code, Errors, clean_text

_STORAGE_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*\.(?:jpe?g|png|webp|avif|gif)$", re.I)

MAX_IMAGES_PER_PRODUCT = 20
MAX_ALT_TEXT_LENGTH = 300


def storage_key_of(raw: str, base: str) -> str:
    """The media-store path of an image given as a path or as a URL under the media base."""
    value = raw.strip()
    if value.startswith(base + "/"):
        value = value[len(base) + 1 :]
    elif "://" in value or value.startswith("//"):
        raise InputErrors.single(
            "url",
            Code.INVALID_IMAGE,
            f"Images are served from {base}; upload the file there and pass its path.",
        )
    parts = value.split("/")
    if (
        len(value) > 500
        or not _STORAGE_KEY.match(value)
        or any(part in ("", ".", "..") for part in parts)
    ):
        raise InputErrors.single(
            "url",
            Code.INVALID_IMAGE,
            "An image path looks like products/<id>/front.jpg (jpg, png, webp, avif or gif; "
            f"no '..') (got {quoted(raw)}).",
        )
    return value


class ImageService:
    async def add(
        self,
        session: AsyncSession,
        viewer: Viewer,
        product_id: uuid.UUID,
        *,
        url: str,
        alt_text: str | None,
        position: int | None,
    ) -> ProductImage:
        _, product = await product_to_edit(session, viewer, product_id, field="productId")
        errors = Errors()
        key = errors.check(lambda: storage_key_of(url, media_base_url()))
        alt = errors.check(
            lambda: clean_text(
                alt_text or "", "altText", max_length=MAX_ALT_TEXT_LENGTH, required=False
            )
        )
        if position is not None and position < 0:
            errors.add(
                "position", Code.INVALID, f"`position` must not be negative (got {position})."
            )
        errors.raise_if_any()
        count = await image_repository.count_for_product(session, product.id)
        if count >= MAX_IMAGES_PER_PRODUCT:
            raise InputErrors.single(
                None,
                Code.TOO_MANY_IMAGES,
                f"A product has at most {MAX_IMAGES_PER_PRODUCT} images.",
            )
        at = count if position is None else min(position, count)
        if at < count:
            await image_repository.make_room(session, product.id, at)
        image = ProductImage(
            product_id=product.id, storage_key=key, alt_text=alt or "", position=at
        )
        await image_repository.add(session, image)
        mark_stale(session, keys.images_of(product.id))
        return image

    async def remove(
        self, session: AsyncSession, viewer: Viewer, image_id: uuid.UUID
    ) -> ProductImage:
        actor = await catalog_editor(session, viewer)
        found = await image_repository.get_for_update(session, image_id)
        if found is None:
            raise InputErrors.single("id", Code.NOT_FOUND, "No such image.")
        product = await product_repository.get_for_update(session, found.product_id)
        assert product is not None  # the image's foreign key cascades
        ensure_can_edit(actor, product)
        await image_repository.delete(session, found.id)
        await image_repository.close_gap(session, product.id, found.position)
        mark_stale(session, keys.images_of(product.id))
        return found

    async def of_products(
        self, session: AsyncSession, product_ids: Sequence[uuid.UUID]
    ) -> Sequence[ProductImage]:
        """The products' images in order, for the GraphQL loaders."""
        return await image_repository.list_by_product_ids(session, product_ids)


images = ImageService()
