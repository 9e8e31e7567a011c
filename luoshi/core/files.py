"""Checks on uploaded files: by content, not by name; bounded before anything is parsed.

`check_upload` returns the detected kind or raises UploadRefused with a reason a user can read.
Allowed: pdf, jpg, png, docx, xlsx, ofd. Office files and OFD are zip archives: the entry count,
the declared uncompressed size and the compression ratio are limited before anything inside is
read (`zip_entries`); a file that will be parsed (a ledger) is also inflated once, bounded, to
check the sizes it really has (`inflate_entries`), since the declared ones can lie."""

import copy
import hashlib
import io
import re
import unicodedata
import uuid
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.core.files.storage import default_storage

MAX_ZIP_ENTRIES = 2000
MAX_ZIP_UNCOMPRESSED = 200 * 1024 * 1024
# Text (XML) compresses 5-30 times; far more is a file built to expand. Checked on entries that
# are big once inflated, where it matters.
MAX_ZIP_RATIO = 150
RATIO_FROM_BYTES = 4 * 1024 * 1024
INFLATE_CHUNK = 1024 * 1024
EXTENSIONS = {
    "pdf": {"pdf"},
    "jpg": {"jpg", "jpeg"},
    "png": {"png"},
    "docx": {"docx"},
    "xlsx": {"xlsx"},
    "ofd": {"ofd"},
}
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "jpg": "image/jpeg",
    "png": "image/png",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ofd": "application/ofd",
}


class UploadRefused(ValueError):
    pass


@dataclass
class CheckedFile:
    kind: str
    original_name: str
    size: int
    sha256: str


def max_upload_bytes() -> int:
    return getattr(settings, "LUOSHI_MAX_UPLOAD_BYTES", 20 * 1024 * 1024)


def clean_name(name: str) -> str:
    """A display name without folders, control or bidirectional-override characters."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c) not in {"Cc", "Cf"})
    name = re.sub(r"\s+", " ", name).strip(" .")
    return name[:200] or "未命名文件"


def _mb(n: int) -> int:
    return n // (1024 * 1024)


def zip_entries(
    archive: zipfile.ZipFile, *, name: str, max_entries: int, max_uncompressed: int
) -> list[zipfile.ZipInfo]:
    """The archive's entries, refused (UploadRefused, naming the file and the limit) when there
    are too many, their declared total is over `max_uncompressed`, one is compressed suspiciously
    well, encrypted, or compressed by a method an office file never uses."""
    infos = archive.infolist()
    if len(infos) > max_entries:
        raise UploadRefused(f"文件“{name}”内部条目超过 {max_entries} 个，不像正常的办公文件")
    if sum(i.file_size for i in infos) > max_uncompressed:
        raise UploadRefused(_too_big(name, max_uncompressed))
    for info in infos:
        if info.flag_bits & 0x1:
            raise UploadRefused(f"文件“{name}”已加密，请去掉密码后再上传")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise UploadRefused(f"文件“{name}”的压缩方式不受支持，请用 Excel 或 WPS 另存后再上传")
        if info.file_size > RATIO_FROM_BYTES and info.file_size > MAX_ZIP_RATIO * max(
            info.compress_size, 1
        ):
            raise UploadRefused(_ratio(name))
    return infos


def _ratio(name: str) -> str:
    return f"文件“{name}”的压缩比异常（解压后膨胀超过 {MAX_ZIP_RATIO} 倍），已拒绝"


def _too_big(name: str, limit: int) -> str:
    return (
        f"文件“{name}”解压后过大：超过 {_mb(limit)} MB 的上限（Excel、Word 等办公文件是压缩包，"
        f"解压后的内容不能超过 {_mb(limit)} MB），已拒绝。请删除多余的内容或图片后重试"
    )


def inflate_entries(archive: zipfile.ZipFile, infos, *, name: str, max_uncompressed: int):
    """Inflate every entry once, chunk by chunk, counting the bytes it really gives (not the size
    it declares): yields (info, chunk) and stops with UploadRefused as soon as the total passes
    `max_uncompressed` or an entry expands past the ratio. At most one chunk is held at a time.
    A damaged entry (bad CRC, truncated) raises zipfile.BadZipFile."""
    total = 0
    for info in infos:
        # Read past the declared size if the data goes on: the limit, not the header, decides
        # (the count below stops long before this size would).
        probe = copy.copy(info)
        probe.file_size = 2 * max_uncompressed + INFLATE_CHUNK
        produced = 0
        with archive.open(probe) as entry:
            while chunk := entry.read(INFLATE_CHUNK):
                produced += len(chunk)
                total += len(chunk)
                if total > max_uncompressed:
                    raise UploadRefused(_too_big(name, max_uncompressed))
                if produced > RATIO_FROM_BYTES and produced > MAX_ZIP_RATIO * max(
                    info.compress_size, 1
                ):
                    raise UploadRefused(_ratio(name))
                yield info, chunk
        if produced != info.file_size:
            raise zipfile.BadZipFile(f"{info.filename}: size {produced} != {info.file_size}")


def _zip_kind(upload) -> str | None:
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            infos = zip_entries(
                archive,
                name=clean_name(upload.name or ""),
                max_entries=MAX_ZIP_ENTRIES,
                max_uncompressed=MAX_ZIP_UNCOMPRESSED,
            )
            names = {i.filename for i in infos}
    except zipfile.BadZipFile as exc:
        raise UploadRefused("文件已损坏，无法识别") from exc
    finally:
        upload.seek(0)
    if "[Content_Types].xml" in names:
        if any(n.startswith("word/") for n in names):
            return "docx"
        if any(n.startswith("xl/") for n in names):
            return "xlsx"
    if "OFD.xml" in names:
        return "ofd"
    return None


def detect_kind(upload) -> str | None:
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(upload)
    return None


def check_upload(upload) -> CheckedFile:
    name = clean_name(upload.name or "")
    if upload.size > max_upload_bytes():
        raise UploadRefused(f"文件“{name}”超过 {max_upload_bytes() // (1024 * 1024)} MB 的上限")
    if upload.size == 0:
        raise UploadRefused(f"文件“{name}”是空文件")
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    kind = detect_kind(upload)
    if kind is None:
        raise UploadRefused(f"文件“{name}”的内容不是允许的类型（PDF、JPG、PNG、DOCX、XLSX、OFD）")
    if ext not in EXTENSIONS[kind]:
        raise UploadRefused(f"文件“{name}”的扩展名与内容不符（内容为 {kind.upper()}）")
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return CheckedFile(kind=kind, original_name=name, size=upload.size, sha256=digest.hexdigest())


def evidence_key(stored_name: str) -> str:
    """Where an evidence file lives in the file storage (the filesystem under MEDIA_ROOT, or an
    S3-compatible bucket: settings.STORAGES["default"])."""
    return f"evidence/{stored_name[:2]}/{stored_name}"


def store_upload(upload, checked: CheckedFile) -> str:
    """Write the file under a generated name; returns that name (see evidence_key)."""
    stored = f"{uuid.uuid4().hex}.{checked.kind}"
    upload.seek(0)
    saved = default_storage.save(evidence_key(stored), upload)
    if saved != evidence_key(stored):  # a generated name never collides; refuse if it did
        default_storage.delete(saved)
        raise UploadRefused("文件保存失败，请重试")
    return stored


def open_evidence(stored_name: str):
    """The stored file opened for reading, or None when it is missing."""
    key = evidence_key(stored_name)
    if not default_storage.exists(key):
        return None
    return default_storage.open(key, "rb")


def delete_evidence(stored_name: str) -> None:
    """The stored file and its thumbnail, if it has one."""
    default_storage.delete(evidence_key(stored_name))
    default_storage.delete(thumbnail_key(stored_name))


# --- thumbnails of photos ----------------------------------------------------------------------
# A photo of evidence is shown as a small JPEG (a phone's photo is 3-8 MB: a page of them would
# not load on a village connection); tapping it opens the file itself.
IMAGE_KINDS = frozenset({"jpg", "png"})
THUMBNAIL_SIDE = 480  # px, the long side: sharp at 160 css px on a 3x phone screen
THUMBNAIL_MAX_PIXELS = 40_000_000  # decoded before scaling: bounded like the opinions' photos


def thumbnail_key(stored_name: str) -> str:
    """Where the thumbnail of an evidence photo lives, beside the files (see evidence_key)."""
    stem = stored_name.rsplit(".", 1)[0]
    return f"evidence/thumbs/{stored_name[:2]}/{stem}.jpg"


def make_thumbnail(upload) -> bytes | None:
    """A small JPEG of a checked photo (upright, without its EXIF), or None when the image
    cannot be decoded: the file is still kept as evidence and shown by its name."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    upload.seek(0)
    try:
        with Image.open(upload) as image:
            if image.width * image.height > THUMBNAIL_MAX_PIXELS:
                return None
            # a JPEG is decoded at the smallest scale still above the thumbnail (8x fewer
            # pixels for a phone's photo): most of the time is the decoding
            image.draft("RGB", (THUMBNAIL_SIDE, THUMBNAIL_SIDE))
            small = ImageOps.exif_transpose(image).convert("RGB")
            small.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
            out = io.BytesIO()
            small.save(out, "JPEG", quality=80, optimize=True)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None
    finally:
        upload.seek(0)
    return out.getvalue()


def store_thumbnail(stored_name: str, data: bytes) -> None:
    from django.core.files.base import ContentFile

    key = thumbnail_key(stored_name)
    saved = default_storage.save(key, ContentFile(data))
    if saved != key:  # the name follows the file's generated one: never taken
        default_storage.delete(saved)
        raise UploadRefused("文件保存失败，请重试")


def thumbnail_response(stored_name: str):
    """The thumbnail of an evidence photo, shown in the page (404 when it has none). The
    caller has fetched the row that names it through the scoping check."""
    from django.http import FileResponse, Http404

    key = thumbnail_key(stored_name)
    if not stored_name or not default_storage.exists(key):
        raise Http404
    response = FileResponse(default_storage.open(key, "rb"), content_type="image/jpeg")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response


def evidence_download(stored_name: str, filename: str, kind: str):
    """A stored file under its original name (404 when it is missing): a photo shown in the
    browser (its kind was checked by content), any other file as an attachment. The caller has
    already fetched the row that names it through the scoping check."""
    from django.http import FileResponse, Http404

    stored = open_evidence(stored_name) if stored_name else None
    if stored is None:
        raise Http404
    response = FileResponse(
        stored,
        as_attachment=kind not in IMAGE_KINDS,
        filename=filename,
        content_type=CONTENT_TYPES.get(kind),
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
