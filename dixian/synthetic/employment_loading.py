"""Loading the generated employment and relocation data (employment.py, relocation.py: the `employment_*` and
`relocation_*` Parquet files) with bulk writes, in funds_loading.py's manner.

The rows obey docs/domain.md §23 and §24 by construction (the generator's tests check every rule); here they are
only mapped to the models: ID numbers, household numbers, region codes and funds project codes to their rows,
keys to the ids just written. The survey, the bulk of it (a city: about 120,000 workers × 24 months), goes
straight into its table column by column (`dixian.screening.store.insert_columns`: COPY of Arrow-written CSV
on PostgreSQL, executemany on SQLite); the rest through `bulk_create`. One transaction: a load is whole or absent, and a second run finds the first
record and writes nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone

from dixian.employment.models import Employment, PostHolding, PostPayment, PublicPost
from dixian.employment.signals import survey_changed
from dixian.funds.models import Project
from dixian.regions.models import Region
from dixian.registry.models import Household, Person
from dixian.relocation.models import RelocationSite, SiteHousehold, SiteProblem, SiteProject
from dixian.screening.store import Const, insert_columns

from .employment import EMPLOYMENT_TABLES
from .funds_loading import BATCH, _ids
from .relocation import RELOCATION_TABLES

Say = Callable[[str], None]


@dataclass
class EmploymentLoadResult:
    rows: dict[str, int]
    seconds: float


def employment_frames(directory: Path) -> dict[str, pl.DataFrame]:
    frames = {
        f"employment_{n}": pl.read_parquet(directory / f"employment_{n}.parquet") for n in EMPLOYMENT_TABLES
    }
    frames |= {
        f"relocation_{n}": pl.read_parquet(directory / f"relocation_{n}.parquet") for n in RELOCATION_TABLES
    }
    return frames


def employment_loaded(directory: Path) -> bool:
    """True when the first generated survey record (or, with none, the first site) is in the database."""
    first = pl.read_parquet(directory / "employment_survey.parquet", columns=["id_number", "month"]).head(1)
    if first.height:
        return Employment.objects.filter(
            person__id_number=first["id_number"][0], month=first["month"][0]
        ).exists()
    site = pl.read_parquet(directory / "relocation_sites.parquet", columns=["county_code", "name"]).head(1)
    return (
        site.height == 0
        or RelocationSite.objects.filter(county__code=site["county_code"][0], name=site["name"][0]).exists()
    )


def _at(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(10, 0)))


def evidence_pdf(label: str) -> bytes:
    """A one-page PDF saying it is synthetic evidence (ASCII text only, no font to embed), made here."""
    text = label.encode("ascii", "replace").replace(b"(", b"[").replace(b")", b"]")
    stream = b"BT /F1 14 Tf 72 760 Td (" + text + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += str(number).encode() + b" 0 obj\n" + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 " + str(len(objects) + 1).encode() + b"\n0000000000 65535 f \n"
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size " + str(len(objects) + 1).encode() + b" /Root 1 0 R >>\n"
    out += b"startxref\n" + str(xref).encode() + b"\n%%EOF\n"
    return bytes(out)


def _store_evidence(problems: list[SiteProblem]) -> None:
    """A resolved problem's evidence as the app stores an upload (relocation/services.py problem_resolve:
    relocation/problems/<pk>/<sha256>.pdf in default_storage), so the site page's link opens it (the
    generator writes only that there is evidence)."""
    done = []
    for problem in problems:
        if not problem.evidence:
            continue
        content = evidence_pdf(f"Dixian synthetic evidence - site problem {problem.pk}")
        path = f"relocation/problems/{problem.pk}/{hashlib.sha256(content).hexdigest()}.pdf"
        if not default_storage.exists(path):
            default_storage.save(path, ContentFile(content))
        problem.evidence = path
        done.append(problem)
    SiteProblem.objects.bulk_update(done, ["evidence"], batch_size=BATCH)


def _survey_insert(survey: pl.DataFrame, persons: dict[str, int], households: dict[str, int]) -> None:
    """The generated records as columns of `Employment` (`dixian.screening.store.insert_columns`): no model
    instance per row, no per-value adaptation. Dates and times go as the database's text for them, adapted
    once per distinct value."""
    ops = connection.ops
    text = connection.vendor != "postgresql"

    def day(value: dt.date) -> Any:
        return ops.adapt_datefield_value(value) if text else value.isoformat()

    def moment(value: dt.date) -> Any:
        at = _at(value)
        return ops.adapt_datetimefield_value(at) if text else at.isoformat()

    months = {m: day(m) for m in survey["month"].unique().to_list()}
    recorded = {d: moment(d) for d in survey["recorded_on"].unique().to_list()}
    columns: dict[str, Any] = {
        "person_id": survey["id_number"].replace_strict(persons, return_dtype=pl.Int64).to_list(),
        "household_id": survey["household_no"].replace_strict(households, return_dtype=pl.Int64).to_list(),
        "month": [months[m] for m in survey["month"].to_list()],
        "recorded_at": [recorded[d] for d in survey["recorded_on"].to_list()],
        "note": Const(""),
        "source": Const(Employment.Source.GENERATED.value),
        "batch_id": Const(None),
        "recorded_by_id": Const(None),
    }
    for name in (
        "region_code",
        "working",
        "place_tier",
        "employer",
        "channel",
        "months_worked",
        "wage_band",
        "not_working_reason",
        "willing",
    ):
        columns[name] = survey[name].to_list()
    insert_columns(Employment, survey.height, columns, on_conflict=False)


def employment_load(
    directory: Path, *, notify: bool = True, say: Say | None = None
) -> EmploymentLoadResult | None:
    """Write the generated survey, posts and relocation sites; None when they are in the database already.

    `notify`: send `survey_changed` for the persons and months written (docs/domain.md §23), inside the
    transaction. The demo passes False and runs the key groups' full refresh afterwards instead (one pass over
    the whole roll rather than the signal's per-person recomputation)."""
    say = say or (lambda _msg: None)
    if employment_loaded(directory):
        return None
    started = timezone.now()
    f = employment_frames(directory)
    survey = f["employment_survey"]
    holdings = f["employment_holdings"]
    links = f["relocation_households"]
    persons = _ids(
        Person, "id_number", pl.concat([survey["id_number"], holdings["id_number"]]).unique().to_list()
    )
    numbers = pl.concat([survey["household_no"], holdings["household_no"], links["household_no"]]).unique()
    households = _ids(Household, "household_no", numbers.to_list())
    missing = [x for x in numbers.to_list() if x not in households]
    if missing:
        raise ValueError(f"就业监测数据引用了库中没有的农户:{', '.join(missing[:5])}")
    region_codes = pl.concat(
        [
            f["employment_posts"]["region_code"],
            f["relocation_sites"]["region_code"],
            f["relocation_sites"]["county_code"],
        ]
    ).unique()
    regions = _ids(Region, "code", region_codes.to_list())
    projects = _ids(Project, "code", f["relocation_projects"]["project_code"].to_list())
    rows: dict[str, int] = {}
    with transaction.atomic():
        # The survey, column by column straight into the table (COPY of Arrow-written CSV on PostgreSQL).
        _survey_insert(survey, persons, households)
        rows["survey"] = survey.height
        posts = PublicPost.objects.bulk_create(
            (
                PublicPost(
                    region_id=regions[r["region_code"]],
                    region_code=r["region_code"],
                    name=r["name"],
                    post_type=r["post_type"],
                    funding=r["funding"],
                    monthly_pay=r["monthly_pay"],
                    term_start=r["term_start"],
                    term_end=r["term_end"],
                )
                for r in f["employment_posts"].iter_rows(named=True)
            ),
            batch_size=BATCH,
        )
        post_ids = dict(zip(f["employment_posts"]["key"].to_list(), (p.pk for p in posts), strict=True))
        rows["posts"] = len(posts)
        held = PostHolding.objects.bulk_create(
            (
                PostHolding(
                    post_id=post_ids[r["post_key"]],
                    person_id=persons[r["id_number"]],
                    household_id=households[r["household_no"]],
                    region_code=r["region_code"],
                    start=r["start"],
                    end=r["end"],
                    end_reason=r["end_reason"],
                )
                for r in holdings.iter_rows(named=True)
            ),
            batch_size=BATCH,
        )
        holding_ids = dict(zip(holdings["key"].to_list(), (h.pk for h in held), strict=True))
        rows["holdings"] = len(held)
        rows["payments"] = len(
            PostPayment.objects.bulk_create(
                (
                    PostPayment(
                        holding_id=holding_ids[r["holding_key"]],
                        region_code=r["region_code"],
                        month=r["month"],
                        amount=r["amount"],
                        paid_on=r["paid_on"],
                    )
                    for r in f["employment_payments"].iter_rows(named=True)
                ),
                batch_size=BATCH,
            )
        )
        sites = RelocationSite.objects.bulk_create(
            (
                RelocationSite(
                    name=r["name"],
                    county_id=regions[r["county_code"]],
                    region_id=regions[r["region_code"]],
                    region_code=r["region_code"],
                    kind=r["kind"],
                    address=r["address"],
                    built_year=r["built_year"],
                    households_planned=r["households_planned"],
                    persons_planned=r["persons_planned"],
                    chief_name=r["chief_name"],
                    chief_phone=r["chief_phone"],
                    service_window=r["service_window"],
                    industry_base=r["industry_base"],
                    facilities=r["facilities"],
                )
                for r in f["relocation_sites"].iter_rows(named=True)
            ),
            batch_size=BATCH,
        )
        site_ids = dict(zip(f["relocation_sites"]["key"].to_list(), (s.pk for s in sites), strict=True))
        rows["sites"] = len(sites)
        rows["site_households"] = len(
            SiteHousehold.objects.bulk_create(
                (
                    SiteHousehold(
                        site_id=site_ids[r["site_key"]],
                        household_id=households[r["household_no"]],
                        region_code=r["region_code"],
                        moved_in=r["moved_in"],
                    )
                    for r in links.iter_rows(named=True)
                ),
                batch_size=BATCH,
            )
        )
        problems_made = SiteProblem.objects.bulk_create(
            (
                SiteProblem(
                    site_id=site_ids[r["site_key"]],
                    region_code=r["region_code"],
                    category=r["category"],
                    description=r["description"],
                    found_on=r["found_on"],
                    owner=r["owner"],
                    deadline=r["deadline"],
                    resolved_on=r["resolved_on"],
                    resolution=r["resolution"],
                    evidence=r["evidence"],
                )
                for r in f["relocation_problems"].iter_rows(named=True)
            ),
            batch_size=BATCH,
        )
        rows["site_problems"] = len(problems_made)
        _store_evidence(problems_made)
        # A project the database lacks (funds not loaded) is left unlinked.
        rows["site_projects"] = len(
            SiteProject.objects.bulk_create(
                (
                    SiteProject(
                        site_id=site_ids[r["site_key"]],
                        project_id=projects[r["project_code"]],
                        region_code=r["region_code"],
                    )
                    for r in f["relocation_projects"].iter_rows(named=True)
                    if r["project_code"] in projects
                ),
                batch_size=BATCH,
            )
        )
        if notify and survey.height:
            survey_changed.send(
                sender=Employment,
                person_ids=sorted({persons[x] for x in survey["id_number"].unique().to_list()}),
                months=sorted(survey["month"].unique().to_list()),
            )
    seconds = (timezone.now() - started).total_seconds()
    say(
        f"  就业监测:摸排记录 {rows['survey']:,} 条,公益性岗位 {rows['posts']:,} 个(补贴发放 {rows['payments']:,} 笔);"
        f"易地搬迁:安置点 {rows['sites']} 个,搬迁户 {rows['site_households']:,} 户,问题 {rows['site_problems']} 个;"
        f"用时 {seconds:.1f} 秒"
    )
    return EmploymentLoadResult(rows=rows, seconds=seconds)
