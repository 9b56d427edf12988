"""Loading generated data into the database: the region tree, and the registry through the import's
bulk write path (`dixian.registry.bulk.registry_bulk_upsert`), so that demo data is stored exactly as
an imported county workbook would be."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl
from django.db import connection, transaction

from dixian.common.models import ChangeLog
from dixian.regions.models import Region
from dixian.registry import findings
from dixian.registry.bulk import BulkResult, registry_bulk_upsert
from dixian.registry.models import Finding

if TYPE_CHECKING:
    from dixian.accounts.models import User

Say = Callable[[str], None]
LEVELS = ("city", "county", "township", "village", "group")
REGION_COLUMNS = ("code", "name", "level", "parent_code", "is_key_village")
CHUNK_PERSONS = 250_000  # persons per bulk upsert (one transaction each) when loading a whole city


class RegionTreeError(ValueError):
    """The region file cannot be loaded as it is (Chinese message for the console)."""


@dataclass
class RegionLoadResult:
    created: int
    updated: int


def _full_names(frame: pl.DataFrame, known: dict[str, str]) -> dict[str, str]:
    """code → full name (the ancestors' names joined), parents before children."""
    full: dict[str, str] = {}
    for code, name, parent in frame.select("code", "name", "parent_code").iter_rows():
        if parent is None:
            full[code] = name
            continue
        base = full.get(parent, known.get(parent))
        if base is None:
            raise RegionTreeError(f"区划 {code}({name})的上级 {parent} 既不在文件中,也不在系统中")
        full[code] = base + name
    return full


def regions_load(frame: pl.DataFrame, *, say: Say | None = None) -> RegionLoadResult:
    """Insert or update the region tree in `frame` (columns of regions.parquet), level by level.

    Prefix and full name are computed here (bulk writes bypass Region.save); a node's parent may be in
    the frame or already in the database.
    """
    say = say or (lambda _msg: None)
    missing = [c for c in REGION_COLUMNS if c not in frame.columns]
    if missing:
        raise RegionTreeError(f"区划文件缺少列:{'、'.join(missing)}")
    bad_level = frame.filter(~pl.col("level").is_in(LEVELS))
    if bad_level.height:
        raise RegionTreeError(f"区划 {bad_level['code'][0]} 的层级「{bad_level['level'][0]}」无效")
    rank = {lvl: i for i, lvl in enumerate(LEVELS)}
    frame = frame.with_columns(
        pl.col("level").replace_strict(rank, return_dtype=pl.Int8).alias("_rank")
    ).sort(["_rank", "code"])
    if frame["code"].n_unique() != frame.height:
        raise RegionTreeError("区划文件中有重复的区划代码")
    parents = set(frame["parent_code"].drop_nulls().to_list()) - set(frame["code"].to_list())
    known = dict(Region.objects.filter(code__in=parents).values_list("code", "full_name"))
    full = _full_names(frame, known)
    existing = (
        set(Region.objects.filter(code__in=frame["code"].to_list()).values_list("code", flat=True))
        if (frame.height <= 30_000)
        else set(Region.objects.values_list("code", flat=True))
    )
    ids: dict[str, int] = dict(Region.objects.filter(code__in=parents).values_list("code", "id"))
    created = updated = 0
    with transaction.atomic():
        for level in LEVELS:
            rows = frame.filter(pl.col("level") == level)
            if rows.height == 0:
                continue
            length = Region.PREFIX_LENGTH[level]
            objects = [
                Region(
                    code=code,
                    name=name,
                    level=level,
                    parent_id=ids[parent] if parent else None,
                    prefix=code[:length],
                    full_name=full[code],
                    is_key_village=bool(key),
                )
                for code, name, parent, key in rows.select(
                    "code", "name", "parent_code", "is_key_village"
                ).iter_rows()
            ]
            Region.objects.bulk_create(
                objects,
                batch_size=2000,
                update_conflicts=True,
                unique_fields=["code"],
                update_fields=["name", "level", "parent", "prefix", "full_name", "is_key_village"],
            )
            codes = rows["code"].to_list()
            for i in range(0, len(codes), 2000):
                ids.update(Region.objects.filter(code__in=codes[i : i + 2000]).values_list("code", "id"))
            new = sum(1 for c in codes if c not in existing)
            created += new
            updated += len(codes) - new
            say(f"  {Region.Level(level).label}:{len(codes):,} 个")
    return RegionLoadResult(created=created, updated=updated)


def _chunks(households: pl.DataFrame, persons: pl.DataFrame, limit: int) -> list[tuple[str, str]]:
    """Ranges [first, last] of household_no, each holding at most about `limit` persons."""
    sizes = persons.group_by("household_no").len().sort("household_no")
    bounds: list[tuple[str, str]] = []
    start, count = None, 0
    for no, n in sizes.iter_rows():
        if start is None:
            start = no
        count += n
        if count >= limit:
            bounds.append((start, no))
            start, count = None, 0
    if start is not None:
        bounds.append((start, sizes["household_no"][-1]))
    return bounds or [("", "~")]


def registry_load_directory(
    directory: Path,
    *,
    actor: User | None,
    reference: str,
    say: Say | None = None,
    chunk_persons: int = CHUNK_PERSONS,
) -> BulkResult:
    """Load households, persons and incomes of a generated directory (regions must be loaded first)."""
    say = say or (lambda _msg: None)
    households = pl.read_parquet(directory / "households.parquet")
    persons = pl.read_parquet(directory / "persons.parquet")
    incomes = pl.read_parquet(directory / "incomes.parquet")
    total = BulkResult()
    chunks = _chunks(households, persons, chunk_persons)
    for index, (first, last) in enumerate(chunks, start=1):

        def part(frame: pl.DataFrame, first: str = first, last: str = last) -> pl.DataFrame:
            return frame.filter(pl.col("household_no").is_between(pl.lit(first), pl.lit(last)))

        h, p, i = part(households), part(persons), part(incomes)
        label = f"({index}/{len(chunks)})" if len(chunks) > 1 else ""
        last_shown = [-1]

        def progress(done: int, of: int, label: str = label, last_shown: list[int] = last_shown) -> None:
            percent = int(done * 100 / of) if of else 100
            if percent // 20 != last_shown[0] // 20:
                last_shown[0] = percent
                say(f"  写入农户信息{label}:{percent}%")

        with transaction.atomic():
            result = registry_bulk_upsert(
                households=h,
                persons=p,
                incomes=i,
                actor=actor,
                source=ChangeLog.Source.SYSTEM,
                reference=reference,
                progress=progress,
            )
            # The findings (疑点) of what was written, as an import records them (docs/domain.md §14): the
            # demo shows them on its households from the start.
            findings.findings_apply(
                findings.findings_check(persons=p, households=h),
                open_findings=Finding.objects.filter(household__household_no__range=(first, last)),
                actor=actor,
                source=Finding.Source.SYSTEM,
            )
        for field in result.__dataclass_fields__:
            setattr(total, field, getattr(total, field) + getattr(result, field))
    statistics_refresh()
    return total


def statistics_refresh() -> None:
    """Refresh the planner's statistics after a bulk load.

    Without fresh statistics SQLite ignores the partial indexes of the household list, and PostgreSQL
    may plan for empty tables until autovacuum catches up.
    """
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


HELPER_UNIT = "县直单位(演示)"


def _helpers_by_county(codes: set[str]) -> dict[str, int]:
    """One 帮扶干部 account per county for the generated pairings (no password: nobody signs in as it)."""
    from django.contrib.auth.hashers import make_password

    from dixian.accounts.models import Role, User

    counties = {r.code[:6]: r for r in Region.objects.filter(code__in={c[:6] + "000000" for c in codes})}
    ids: dict[str, int] = {}
    for county6, region in counties.items():
        user, created = User.objects.get_or_create(
            username=f"synthetic_helper_{county6}",
            defaults={
                "region": region,
                "roles": [Role.HELPER],
                "first_name": f"{region.name}帮扶联系人(演示)",
                "password": make_password(None),
            },
        )
        ids[county6] = user.pk
    return ids


def lifecycle_load(directory: Path, *, say: Say | None = None) -> int:
    """Write the generated monitoring lifecycle (cases.parquet, measures.parquet) into the database with
    bulk inserts, as the history of a national import: each case with its transitions, its measures and
    its helper, and the household's 监测对象类别 as the case says (docs/domain.md §20). Households that
    already have a case are left alone, so a second run writes nothing. Returns the cases written."""
    import datetime as dt

    from django.utils import timezone

    from dixian.domain import lifecycle as lc
    from dixian.monitoring.models import CaseTransition, Measure, MonitoringCase
    from dixian.registry.models import HelperAssignment, Household

    say = say or (lambda _msg: None)
    cases = pl.read_parquet(directory / "cases.parquet")
    measures = pl.read_parquet(directory / "measures.parquet")
    if cases.height == 0:
        return 0
    numbers = cases["household_no"].to_list()
    households: dict[str, tuple[int, str]] = {}
    for i in range(0, len(numbers), 2000):
        households.update(
            (no, (pk, code))
            for no, pk, code in Household.objects.filter(household_no__in=numbers[i : i + 2000]).values_list(
                "household_no", "id", "region_code"
            )
        )
    have = set(
        MonitoringCase.objects.filter(household_id__in=[pk for pk, _ in households.values()]).values_list(
            "household_id", flat=True
        )
    )
    rows = [
        r
        for r in cases.to_dicts()
        if r["household_no"] in households and households[r["household_no"]][0] not in have
    ]
    if not rows:
        return 0
    villages = dict(
        Region.objects.filter(code__in={households[r["household_no"]][1][:12] for r in rows}).values_list(
            "code", "id"
        )
    )
    helpers = _helpers_by_county({households[r["household_no"]][1] for r in rows})
    now = timezone.now()
    with transaction.atomic():
        objects = []
        for r in rows:
            pk, code = households[r["household_no"]]
            closed = r["state"] in lc.CLOSED
            objects.append(
                MonitoringCase(
                    household_id=pk,
                    region_id=villages[code[:12]],
                    region_code=code,
                    episode=1,
                    state=r["state"],
                    state_since=now,
                    origin=MonitoringCase.Origin.IMPORT
                    if r["identified_on"]
                    else MonitoringCase.Origin.MANUAL,
                    origin_note="" if r["identified_on"] else "干部走访发现(演示)",
                    category=r["category"],
                    risk_codes=list(r["risk_codes"]),
                    first_clue_on=r["first_clue_on"],
                    due_on=r["due_on"],
                    decided_on=r["identified_on"],
                    identified_on=r["identified_on"],
                    eliminated_on=r["eliminated_on"],
                    elimination_method=r["elimination_method"] or "",
                    closed_at=now if closed else None,
                )
            )
        MonitoringCase.objects.bulk_create(objects, batch_size=2000)
        case_ids = dict(
            MonitoringCase.objects.filter(household_id__in=[o.household_id for o in objects]).values_list(
                "household_id", "id"
            )
        )
        by_no = {r["household_no"]: case_ids[households[r["household_no"]][0]] for r in rows}
        transitions = []
        for r in rows:
            case_id = by_no[r["household_no"]]
            if r["identified_on"] is None:
                transitions.append(
                    CaseTransition(
                        case_id=case_id,
                        seq=1,
                        action=CaseTransition.Action.OPEN,
                        to_state=r["state"],
                        on=r["first_clue_on"],
                        at=now,
                        actor_name="系统",
                        reason="干部走访发现(演示)",
                    )
                )
                continue
            transitions.append(
                CaseTransition(
                    case_id=case_id,
                    seq=1,
                    action=CaseTransition.Action.IMPORT,
                    to_state=lc.MONITORING,
                    on=r["identified_on"],
                    at=now,
                    actor_name="系统",
                    reason="全国防返贫监测信息系统导入:已识别为监测对象",
                    data={"category": r["category"], "risk_codes": list(r["risk_codes"])},
                )
            )
            if r["state"] == lc.ELIMINATED:
                transitions.append(
                    CaseTransition(
                        case_id=case_id,
                        seq=2,
                        action=CaseTransition.Action.IMPORT,
                        from_state=lc.MONITORING,
                        to_state=lc.ELIMINATED,
                        on=r["eliminated_on"],
                        at=now,
                        actor_name="系统",
                        reason="全国防返贫监测信息系统导入:风险已消除",
                        data={"method": r["elimination_method"]},
                    )
                )
        CaseTransition.objects.bulk_create(transitions, batch_size=2000)
        MonitoringCase.objects.filter(id__in=list(by_no.values()), state=lc.ELIMINATED).update(seq=2)
        MonitoringCase.objects.filter(id__in=list(by_no.values())).exclude(state=lc.ELIMINATED).update(seq=1)
        Measure.objects.bulk_create(
            (
                Measure(
                    case_id=by_no[m["household_no"]],
                    category=m["category"],
                    item=m["item"],
                    start_on=m["start_on"],
                    deliverer="乡镇人民政府",
                    status=m["status"],
                    applied_on=m["start_on"] if m["status"] in Measure.APPLIED_STATUSES else None,
                )
                for m in measures.to_dicts()
                if m["household_no"] in by_no
            ),
            batch_size=2000,
        )
        HelperAssignment.objects.bulk_create(
            (
                HelperAssignment(
                    household_id=households[r["household_no"]][0],
                    helper_id=helpers[households[r["household_no"]][1][:6]],
                    unit=HELPER_UNIT,
                    start_date=dt.date(2022, 1, 1),
                )
                for r in rows
                if r["helper"]
            ),
            batch_size=2000,
        )
        # Only the case writes the category (docs/domain.md §20): the monitored cases set it (the other
        # cases are of households the registry does not hold as monitored).
        for category in {r["category"] for r in rows if r["state"] in lc.MONITORED_STATES}:
            ids = [
                households[r["household_no"]][0]
                for r in rows
                if r["state"] in lc.MONITORED_STATES and r["category"] == category
            ]
            for i in range(0, len(ids), 2000):
                Household.objects.filter(id__in=ids[i : i + 2000]).update(monitoring_category=category)
    say(f"  监测帮扶档案 {len(rows):,} 份,帮扶措施 {measures.height:,} 条")
    return len(rows)
