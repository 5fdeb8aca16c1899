"""Image grids with row labels (PIL only), saved atomically as PNG."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont

from .fileio import atomic_path


def to_pil(images: torch.Tensor, scale: int = 2, pad: int = 2) -> Image.Image:
    """A row of images [N, C, H, W] in [0, 1] as one RGB strip, each image upscaled by `scale`."""
    images = images.detach().float().clamp(0, 1)
    if images.shape[1] == 1:
        images = images.expand(-1, 3, -1, -1)
    n, _, h, w = images.shape
    strip = np.full((h * scale, n * (w * scale + pad) - pad, 3), 255, np.uint8)
    for i, image in enumerate(images):
        tile = (image.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
        tile = tile.repeat(scale, 0).repeat(scale, 1)
        strip[:, i * (w * scale + pad): i * (w * scale + pad) + w * scale] = tile
    return Image.fromarray(strip)


def labelled_grid(rows: list[tuple[str, torch.Tensor]], scale: int = 2, label_width: int = 130,
                  title: str | None = None) -> Image.Image:
    """Stack labelled rows of images (all rows must have images of one size and count)."""
    strips = [(label, to_pil(images, scale)) for label, images in rows]
    font = ImageFont.load_default()
    measure = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    if label_width:  # wide enough for the longest label
        label_width = max(label_width, 12 + max(int(measure.textlength(label, font=font)) for label, _ in strips))
    width = label_width + max(s.width for _, s in strips)
    top = 18 if title else 0
    height = top + sum(s.height + 4 for _, s in strips)
    canvas = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(canvas)
    if title:
        draw.text((4, 2), title, fill="black", font=font)
    y = top
    for label, strip in strips:
        draw.text((4, y + strip.height // 2 - 6), label, fill="black", font=font)
        canvas.paste(strip, (label_width, y))
        y += strip.height + 4
    return canvas


def save_png(image: Image.Image, path: str | Path) -> Path:
    """Write a PNG atomically."""
    path = Path(path)
    with atomic_path(path) as tmp:
        image.save(tmp, format="PNG")
    return path


IMAGE_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG"}


def save_image(image: Image.Image, path: str | Path) -> Path:
    """Write PNG or JPEG (quality 95) atomically, by the file's extension; other extensions are refused."""
    from .errors import InvdriftError

    path = Path(path)
    fmt = IMAGE_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InvdriftError(f"{path}: unknown image extension {path.suffix or '(none)'!r}; use .png or .jpg")
    with atomic_path(path) as tmp:
        image.save(tmp, format=fmt, **({"quality": 95} if fmt == "JPEG" else {}))
    return path


def vstack(images: list[Image.Image], gap: int = 8) -> Image.Image:
    """Stack images vertically on white."""
    width = max(im.width for im in images)
    canvas = Image.new("RGB", (width, sum(im.height for im in images) + gap * (len(images) - 1)), "white")
    y = 0
    for im in images:
        canvas.paste(im, (0, y))
        y += im.height + gap
    return canvas


def hstack(images: list[Image.Image], gap: int = 16) -> Image.Image:
    """Place images side by side on white, top-aligned."""
    canvas = Image.new("RGB", (sum(im.width for im in images) + gap * (len(images) - 1), max(im.height for im in images)),
                       "white")
    x = 0
    for im in images:
        canvas.paste(im, (x, 0))
        x += im.width + gap
    return canvas
