"""Small real images and uploads for the visit tests."""

from __future__ import annotations

import datetime as dt
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from dixian.visits import services
from dixian.visits.models import Visit


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (8, 6), *, exif: bytes | None = None) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", size, (200, 40, 40))
    if exif is not None:
        image.save(out, fmt, exif=exif)
    else:
        image.save(out, fmt)
    return out.getvalue()


def gps_exif() -> bytes:
    """EXIF with a camera make and a GPS position, as a phone writes it."""
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0112] = 1  # Orientation
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (29.0, 1.0, 30.0)
    return exif.tobytes()


def upload(name: str, data: bytes, content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def record(household, actor, *, on: dt.date, risks=(), method="home", notes="", photos=()) -> Visit:
    return services.visit_record(
        household=household,
        visit_date=on,
        method=method,
        risks=list(risks),
        notes=notes,
        photos=list(photos),
        actor=actor,
    )
