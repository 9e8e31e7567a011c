"""Checks on uploaded files: by content, not by name; bounded before anything is parsed.

`check_upload` returns the detected kind or raises UploadRefused with a reason a user can read.
Allowed: pdf, jpg, png, docx, xlsx, ofd. Office files and OFD are zip archives: the entry count
and the declared uncompressed size are limited before anything inside is read."""

import hashlib
import re
import unicodedata
import uuid
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.core.files.storage import default_storage

MAX_ZIP_ENTRIES = 2000
MAX_ZIP_UNCOMPRESSED = 200 * 1024 * 1024
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


def _zip_kind(upload) -> str | None:
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            infos = archive.infolist()
            if len(infos) > MAX_ZIP_ENTRIES:
                raise UploadRefused("压缩包内文件过多")
            if sum(i.file_size for i in infos) > MAX_ZIP_UNCOMPRESSED:
                raise UploadRefused("文件解压后过大")
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
    default_storage.delete(evidence_key(stored_name))


def evidence_download(stored_name: str, filename: str, kind: str):
    """A stored file as an attachment under its original name (404 when it is missing). The
    caller has already fetched the row that names it through the scoping check."""
    from django.http import FileResponse, Http404

    stored = open_evidence(stored_name) if stored_name else None
    if stored is None:
        raise Http404
    response = FileResponse(
        stored, as_attachment=True, filename=filename, content_type=CONTENT_TYPES.get(kind)
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
