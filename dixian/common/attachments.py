"""Serving a stored attachment: a photo or a scanned PDF checked on upload by `uploads.attachment_clean` and
stored under its checked kind's extension (rectification evidence, relocation problems' evidence, governance
minutes and documents). The caller has already found that the account may open the record (404 otherwise)."""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404

from .uploads import IMAGE_FORMATS

CONTENT_TYPES = dict(IMAGE_FORMATS.values()) | {"pdf": "application/pdf"}


def attachment_content_type(path: str) -> str:
    return CONTENT_TYPES.get(path.rsplit(".", 1)[-1], "application/octet-stream")


def attachment_response(path: str, *, name: str, missing: str = "附件文件不存在") -> FileResponse:
    """The file at `path` in the default storage as `name`.<extension>: never cached, never sniffed; a PDF is a
    download, an image shown inline. A file gone from the storage answers 404 saying `missing`."""
    try:
        handle = default_storage.open(path, "rb")
    except FileNotFoundError:
        raise Http404(missing) from None
    content_type = attachment_content_type(path)
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    disposition = "attachment" if content_type == "application/pdf" else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{name}.{path.rsplit(".", 1)[-1]}"'
    return response
