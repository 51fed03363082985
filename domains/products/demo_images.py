"""Pictures for the demo catalog, drawn at seed time into the local media store.

Each seeded image row gets a file at its storage key: a square in the product's colour
with its name and the view number, so a storefront shows one distinct picture per image.
Drawing is deterministic (the same product, the same bytes with the same Pillow) and
cheap (a few milliseconds per picture); a file already there is left alone, so seeding
again draws nothing. Files are written under a temporary name and renamed, so an
interrupted seed leaves no half-written picture behind.
"""

from __future__ import annotations

import colorsys
import os
import textwrap
import zlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage
    from PIL.ImageFont import FreeTypeFont, ImageFont

SIZE = 800
JPEG_QUALITY = 82

# The variant colours of the seed, as paint; other products get a hue from their name.
COLOURS: dict[str, tuple[int, int, int]] = {
    "Black": (38, 38, 42),
    "White": (236, 234, 228),
    "Navy": (36, 52, 94),
    "Olive": (104, 110, 58),
    "Rust": (166, 74, 40),
    "Sand": (214, 193, 152),
    "Charcoal": (64, 66, 70),
    "Forest": (38, 84, 58),
    "Ochre": (196, 140, 44),
    "Slate": (96, 112, 128),
}


@dataclass(frozen=True)
class DemoImage:
    storage_key: str
    title: str
    caption: str
    colour: str | None = None
    view: int = 0  # each view of a product draws another shape


def colour_of(image: DemoImage) -> tuple[int, int, int]:
    if image.colour in COLOURS:
        return COLOURS[image.colour]
    hue = zlib.crc32(image.title.encode()) % 360 / 360
    red, green, blue = colorsys.hls_to_rgb(hue, 0.55, 0.45)
    return round(red * 255), round(green * 255), round(blue * 255)


def write_demo_images(directory: Path, images: list[DemoImage]) -> int:
    """Draw the images missing under `directory`; how many were written."""
    root = directory.resolve()
    written = 0
    for image in images:
        target = (root / image.storage_key).resolve()
        if not target.is_relative_to(root):
            raise ValueError(f"storage key outside the media store: {image.storage_key!r}")
        if target.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.{os.getpid()}.part")
        try:
            _draw(image).save(partial, "JPEG", quality=JPEG_QUALITY)
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
        written += 1
    return written


def _draw(image: DemoImage) -> PILImage:
    from PIL import Image, ImageDraw

    paint = colour_of(image)
    background = _mix(paint, (255, 255, 255), 0.55)
    picture = Image.new("RGB", (SIZE, SIZE), background)
    draw = ImageDraw.Draw(picture)
    # The "product": a shape in its colour, with a shadow and a highlight.
    draw.ellipse((170, 470, 630, 520), fill=_mix(background, (0, 0, 0), 0.18))
    highlight = _mix(paint, (255, 255, 255), 0.3)
    if image.view % 3 == 0:
        draw.rounded_rectangle((200, 110, 600, 490), radius=48, fill=paint)
        draw.rounded_rectangle((236, 146, 360, 200), radius=20, fill=highlight)
    elif image.view % 3 == 1:
        draw.ellipse((210, 100, 590, 480), fill=paint)
        draw.ellipse((280, 160, 370, 250), fill=highlight)
    else:
        draw.rounded_rectangle((290, 70, 510, 490), radius=36, fill=paint)
        draw.rounded_rectangle((320, 100, 360, 300), radius=16, fill=highlight)
    # The label band.
    band = _mix(paint, (0, 0, 0), 0.55)
    draw.rectangle((0, 580, SIZE, SIZE), fill=band)
    ink = (250, 250, 247)
    lines = textwrap.wrap(image.title, width=24)[:2]
    for number, line in enumerate(lines):
        draw.text((SIZE // 2, 640 + number * 54), line, font=_font(44), anchor="mm", fill=ink)
    draw.text(
        (SIZE // 2, 640 + len(lines) * 54 + 10),
        image.caption,
        font=_font(26),
        anchor="mm",
        fill=_mix(ink, band, 0.3),
    )
    return picture


@cache
def _font(size: int) -> FreeTypeFont | ImageFont:
    from PIL import ImageFont

    return ImageFont.load_default(size=size)


def _mix(
    colour: tuple[int, int, int], other: tuple[int, int, int], amount: float
) -> tuple[int, int, int]:
    red, green, blue = (round(a + (b - a) * amount) for a, b in zip(colour, other, strict=True))
    return red, green, blue
