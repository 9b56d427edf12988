"""Visit photos: checked by content, re-encoded without EXIF, stored privately, served only in scope."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from PIL import Image

from dixian.visits.models import Visit, VisitPhoto
from dixian.visits.services import MAX_PHOTO_BYTES

from .helpers import gps_exif, image_bytes, record, upload

pytestmark = pytest.mark.django_db


def post_photos(client, household, files):
    return client.post(
        reverse("visits:new"),
        {"household": household.pk, "visit_date": "2026-11-18", "method": "home", "photos": files},
    )


def form_errors(response) -> str:
    assert response.status_code == 200
    return " ".join(str(e) for e in response.context["form"].errors.get("photos", []))


def test_a_real_small_png_is_accepted_and_stored_under_media_root(client, world, people, today):
    client.force_login(people["village_officer"])
    response = post_photos(client, world.home, [upload("门口.png", image_bytes("PNG"))])
    assert response.status_code == 302
    photo = VisitPhoto.objects.get()
    path = Path(photo.image.path)
    assert path.is_relative_to(Path(settings.MEDIA_ROOT)) and path.suffix == ".png"
    assert "门口" not in photo.image.name  # the original name is not kept
    with Image.open(path) as stored:
        assert stored.format == "PNG" and stored.size == (8, 6)


def test_a_text_file_named_jpg_is_refused(client, world, people, today):
    client.force_login(people["village_officer"])
    response = post_photos(
        client, world.home, [upload("照片.jpg", b"not an image at all\n" * 10, "image/jpeg")]
    )
    assert "文件「照片.jpg」不是 JPEG、PNG 或 WebP 格式的图片,请选择照片文件" in form_errors(response)
    assert not Visit.objects.exists() and not VisitPhoto.objects.exists()


def test_an_image_of_another_format_is_refused_whatever_its_name(client, world, people, today):
    client.force_login(people["village_officer"])
    gif = image_bytes("GIF")
    assert "不是 JPEG、PNG 或 WebP" in form_errors(post_photos(client, world.home, [upload("a.png", gif)]))


def test_more_than_six_photos_are_refused(client, world, people, today):
    client.force_login(people["village_officer"])
    files = [upload(f"{i}.png", image_bytes("PNG")) for i in range(7)]
    assert "最多上传 6 张照片,您选择了 7 张" in form_errors(post_photos(client, world.home, files))
    assert not Visit.objects.exists()


def test_six_photos_of_the_three_formats_are_accepted(client, world, people, today):
    client.force_login(people["village_officer"])
    files = [upload(f"{i}.bin", image_bytes(fmt)) for i, fmt in enumerate(["PNG", "JPEG", "WEBP"] * 2)]
    assert post_photos(client, world.home, files).status_code == 302
    assert (
        sorted(Path(p.image.name or "").suffix for p in VisitPhoto.objects.all())
        == [".jpg"] * 2 + [".png"] * 2 + [".webp"] * 2
    )


def test_a_photo_over_ten_megabytes_is_refused(client, world, people, today):
    client.force_login(people["village_officer"])
    big = image_bytes("PNG") + b"\0" * MAX_PHOTO_BYTES
    assert "超过 10 MB" in form_errors(post_photos(client, world.home, [upload("big.png", big)]))


def test_exif_and_gps_are_stripped_when_the_photo_is_stored(world, people, today):
    jpeg = image_bytes("JPEG", (40, 30), exif=gps_exif())
    with Image.open(io.BytesIO(jpeg)) as original:
        assert original.getexif().get(0x010F) == "PhoneMaker"
    visit = record(
        world.home, people["village_officer"], on=today, photos=[upload("p.jpg", jpeg, "image/jpeg")]
    )
    with visit.photos.get().image.open("rb") as handle:
        data = handle.read()
    assert b"PhoneMaker" not in data
    with Image.open(io.BytesIO(data)) as stored:
        assert not stored.getexif() and stored.size == (40, 30)


def test_photos_are_served_only_through_the_scoped_view(client, world, people, today):
    visit = record(world.home, people["village_officer"], on=today, photos=[upload("p.png", image_bytes())])
    photo = visit.photos.get()
    url = reverse("visits:photo", args=[visit.pk, photo.pk])

    client.force_login(people["village_officer"])
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert "private" in response["Cache-Control"]
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    # No public URL reaches the file.
    assert client.get(f"{settings.MEDIA_URL}{photo.image.name}").status_code == 404

    for persona in ("other_county_reviewer", "department_uploader"):
        client.force_login(people[persona])
        assert client.get(url).status_code == 404, persona

    client.force_login(people["helper"])  # assigned to the household
    assert client.get(url).status_code == 200


def test_a_photo_is_only_found_under_its_own_visit(client, world, people, today):
    officer = people["village_officer"]
    first = record(world.home, officer, on=today, photos=[upload("p.png", image_bytes())])
    second = record(world.home, officer, on=today, notes="第二次", photos=[])
    client.force_login(officer)
    url = reverse("visits:photo", args=[second.pk, first.photos.get().pk])
    assert client.get(url).status_code == 404


def test_photo_files_no_visit_names_are_removed_once_a_day_old(world, people, today):
    """An outer rollback or a crash can leave a written photo behind: the daily sweep removes it once it
    is a day old (a newer one may belong to a transaction still open); a visit's own photos stay."""
    import datetime as dt
    import os

    from django.db import transaction
    from django.utils import timezone

    from dixian.visits.jobs import orphan_photos_remove

    class OuterRollback(Exception):
        pass

    with pytest.raises(OuterRollback), transaction.atomic():
        record(world.home, people["village_officer"], on=today, photos=[upload("a.png", image_bytes("PNG"))])
        raise OuterRollback  # the caller's transaction fails after the visit was recorded
    assert not VisitPhoto.objects.exists()
    (left_behind,) = [p for p in (Path(settings.MEDIA_ROOT) / "visits").rglob("*") if p.is_file()]

    kept = record(
        world.home, people["village_officer"], on=today, photos=[upload("b.png", image_bytes("PNG"))]
    )
    kept_path = Path(kept.photos.get().image.path)
    now = timezone.now()
    two_days_ago = (now - dt.timedelta(days=2)).timestamp()
    os.utime(kept_path, (two_days_ago, two_days_ago))
    minutes_ago = (now - dt.timedelta(minutes=5)).timestamp()  # `now` may be frozen: files keep real times
    os.utime(left_behind, (minutes_ago, minutes_ago))

    assert orphan_photos_remove(now) == []  # the orphan is only minutes old
    os.utime(left_behind, (two_days_ago, two_days_ago))
    assert orphan_photos_remove(now) == [left_behind.relative_to(settings.MEDIA_ROOT).as_posix()]
    assert not left_behind.exists() and kept_path.is_file()


def test_the_photo_sweep_runs_once_a_day_whichever_worker_asks(monkeypatch):
    import datetime as dt

    from django.utils import timezone

    from dixian.visits import jobs

    runs = []
    monkeypatch.setattr(jobs, "orphan_photos_remove", lambda now: runs.append(now) or [])  # type: ignore[func-returns-value]  # records the call, then returns no paths
    now = timezone.now()
    jobs.orphan_photos_schedule(now)
    jobs.orphan_photos_schedule(now + dt.timedelta(hours=23))
    jobs.orphan_photos_schedule(now + dt.timedelta(hours=25))
    assert runs == [now, now + dt.timedelta(hours=25)]
