"""Delivery files are stored relative to DATA_DIR (the data directory can move, e.g. a restore on another
machine). Paths under the current DATA_DIR become relative; others are left absolute, as they are read."""

from pathlib import Path

from django.conf import settings
from django.db import migrations

FILE_FIELDS = ("rows_file", "original_file", "report_file")


def _relative(value: str, root: Path) -> str:
    if not value or not Path(value).is_absolute():
        return value
    path = Path(value).resolve()
    return str(path.relative_to(root)) if path.is_relative_to(root) else value


def _absolute(value: str, root: Path) -> str:
    return str(root / value) if value and not Path(value).is_absolute() else value


def _convert(apps, convert) -> None:  # noqa: ANN001 - migration signature
    delivery = apps.get_model("feeds", "FeedDelivery")
    root = Path(settings.DATA_DIR).resolve()
    for row in delivery.objects.values("pk", *FILE_FIELDS).iterator(chunk_size=2000):
        converted = {f: convert(row[f], root) for f in FILE_FIELDS}
        changed = {f: value for f, value in converted.items() if value != row[f]}
        if changed:
            # update(), not save(): the model refuses changes to an accepted delivery's rows_file.
            delivery.objects.filter(pk=row["pk"]).update(**changed)


def forwards(apps, schema_editor) -> None:  # noqa: ANN001 - migration signature
    _convert(apps, _relative)


def backwards(apps, schema_editor) -> None:  # noqa: ANN001 - migration signature
    _convert(apps, _absolute)


class Migration(migrations.Migration):
    dependencies = [("feeds", "0002_delivery_unique_per_period_and_region")]

    operations = [migrations.RunPython(forwards, backwards, elidable=True)]
