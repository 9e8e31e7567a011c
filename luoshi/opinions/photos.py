"""Photos sent with opinions: checked by content (core.files), then decoded and re-encoded with
Pillow as a plain JPEG, which drops EXIF (location, camera, time) and anything hidden after the
image data. Pixel counts are bounded before decoding."""

import io
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from PIL import Image, ImageOps, UnidentifiedImageError

from luoshi.core.files import UploadRefused, check_upload

MAX_PHOTOS = 3
MAX_PHOTO_BYTES = 8 * 1024 * 1024
MAX_PIXELS = 40_000_000
LONG_SIDE = 1600


@dataclass
class CleanPhoto:
    data: bytes
    width: int
    height: int


def clean_photo(upload) -> CleanPhoto:
    """The photo as a fresh JPEG without metadata; UploadRefused with a reason otherwise."""
    if upload.size > MAX_PHOTO_BYTES:
        raise UploadRefused(f"照片不能超过 {MAX_PHOTO_BYTES // (1024 * 1024)} MB")
    checked = check_upload(upload)
    if checked.kind not in ("jpg", "png"):
        raise UploadRefused("只能上传 JPG 或 PNG 照片")
    upload.seek(0)
    try:
        with Image.open(upload) as image:
            if image.width * image.height > MAX_PIXELS:
                raise UploadRefused("照片尺寸过大")
            image = ImageOps.exif_transpose(image)
            image = image.convert("RGB")
            image.thumbnail((LONG_SIDE, LONG_SIDE))
            out = io.BytesIO()
            image.save(out, "JPEG", quality=85, optimize=True)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise UploadRefused("照片已损坏，无法识别") from exc
    return CleanPhoto(out.getvalue(), image.width, image.height)


def photo_root() -> Path:
    return Path(settings.MEDIA_ROOT) / "opinions"


def store_photo(photo: CleanPhoto) -> str:
    name = f"{uuid.uuid4().hex}.jpg"
    target = photo_path(name)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(photo.data)
    return name


def photo_path(stored_name: str) -> Path:
    return photo_root() / stored_name[:2] / stored_name
