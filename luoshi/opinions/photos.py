"""Photos sent with opinions: checked by content (core.files), then decoded and re-encoded with
Pillow as a plain JPEG, which drops EXIF (location, camera, time) and anything hidden after the
image data. Pixel counts are bounded before decoding."""

import io
import uuid
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
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


def photo_key(stored_name: str) -> str:
    """Where a photo lives in the file storage (settings.STORAGES["default"]: the filesystem under
    MEDIA_ROOT or an S3-compatible bucket), so every host serves it and the backup carries it."""
    return f"opinions/{stored_name[:2]}/{stored_name}"


def store_photo(photo: CleanPhoto) -> str:
    """Write the photo under a generated name; returns that name (see photo_key)."""
    name = f"{uuid.uuid4().hex}.jpg"
    saved = default_storage.save(photo_key(name), ContentFile(photo.data))
    if saved != photo_key(name):  # a generated name never collides; refuse if it did
        default_storage.delete(saved)
        raise UploadRefused("照片保存失败，请重试")
    return name


def open_photo(stored_name: str):
    """The stored photo opened for reading, or None when it is missing."""
    key = photo_key(stored_name)
    if not default_storage.exists(key):
        return None
    return default_storage.open(key, "rb")


def delete_photo(stored_name: str) -> None:
    default_storage.delete(photo_key(stored_name))
