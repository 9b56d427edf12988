"""Findings (疑点) of the registry: checked on every write of a household, kept as `Finding` rows.

The rules are domain.finding_rules (which rule is an error and which a finding: docs/domain.md §14).
`findings_check` runs them column-wise over the frames of a write (an import's 200,000 persons, or the
one household a form saved); `findings_apply` brings the stored findings in line, in the caller's
transaction: a finding that appears is opened, an open one that no longer holds is resolved (never
deleted), one that still holds is left as it is (it keeps the date it was first found).

Only what the write checked is brought in line: the persons, households and income years it carried,
and only with the rules whose columns it carried (a book without 务工所在地 neither opens nor resolves
work_place_missing). Rows are matched by household number and ID number, so the import needs no
per-row query: one query reads the open findings of the scope, and the new ones are bulk-created.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl
from django.db.models import QuerySet
from django.utils import timezone

from dixian.common.spreadsheets import Sheet, workbook
from dixian.domain import finding_rules as fr

from .models import Finding, Household, Person

if TYPE_CHECKING:
    from dixian.accounts.models import User

    from .models import ImportBatch

CHUNK = 500
_DTYPES: dict[str, Any] = {
    "birth_date": pl.Date,
    "disability_grade": pl.Int64,
    "months_worked": pl.Int64,
    "year_out_of_poverty": pl.Int64,
    "dibao": pl.Boolean,
    "tekun": pl.Boolean,
}
FINDING_SAMPLE = 20  # findings shown on the import result page (the sheet lists them all)
_KEYS = ["household_no", "id_number", "code", "field", "year", "message"]


@dataclass
class Checked:
    """What one write's check found, and what it covered."""

    findings: pl.DataFrame  # finding_rules.FINDING_COLUMNS
    codes: set[str]  # the rules that ran
    persons: list[str] = field(default_factory=list)  # ID numbers checked
    households: list[str] = field(default_factory=list)  # household numbers checked
    incomes: list[tuple[str, int]] = field(default_factory=list)  # (household number, year) checked

    def counts(self) -> list[tuple[str, str, int]]:
        """(code, Chinese label, count) per rule, most frequent first."""
        if self.findings.height == 0:
            return []
        rows = self.findings.group_by("code").len().sort(["len", "code"], descending=[True, False]).rows()
        return [(code, fr.LABELS.get(code, code), n) for code, n in rows]


@dataclass
class Applied:
    opened: int = 0
    resolved: int = 0


def findings_check(
    *,
    persons: pl.DataFrame | None = None,
    households: pl.DataFrame | None = None,
    incomes: pl.DataFrame | None = None,
    today: dt.date | None = None,
) -> Checked:
    """Run the finding rules on the frames (model field names as columns; see finding_rules)."""
    today = today or timezone.localdate()
    frames: list[pl.DataFrame] = []
    codes: set[str] = set()
    checked = Checked(findings=pl.DataFrame(schema=fr.FINDING_COLUMNS), codes=codes)
    if persons is not None and persons.height:
        rules = fr.applicable(fr.PERSON_RULES, persons.columns)
        frames.append(fr.row_findings(persons, rules, today))
        codes.update(r.code for r in rules)
        checked.persons = persons.get_column("id_number").drop_nulls().to_list()
    if households is not None and households.height:
        rules = fr.applicable(fr.HOUSEHOLD_RULES, households.columns)
        frames.append(fr.row_findings(households, rules, today))
        codes.update(r.code for r in rules)
        checked.households = households.get_column("household_no").drop_nulls().to_list()
    if incomes is not None and incomes.height:
        frames.append(fr.income_findings(incomes))
        codes.update(code for code, _, _ in fr.INCOME_RULES)
        checked.incomes = incomes.select("household_no", pl.col("year").cast(pl.Int64)).rows()
    if frames:
        checked.findings = pl.concat(frames, how="vertical")
    return checked


def completed(frame: pl.DataFrame, *, persons: bool, scope_prefix: str) -> pl.DataFrame:
    """`frame` (an import's persons or households) with the columns the rules read that it lacks, as
    stored: a book without 务工所在地 leaves each person's stored place, which the rule must see. Read
    after the write, in its transaction: one query over the scope, only when a column is missing."""
    rules = fr.PERSON_RULES if persons else fr.HOUSEHOLD_RULES
    key = "id_number" if persons else "household_no"
    needed = sorted({n for r in rules for n in r.needs} - set(frame.columns))
    if not needed or frame.height == 0:
        return frame
    model: Any = Person if persons else Household
    rows = list(model.objects.filter(region_code__startswith=scope_prefix).values_list(key, *needed))
    schema = {key: pl.String, **{n: _DTYPES.get(n, pl.String) for n in needed}}
    stored = pl.DataFrame(rows, schema=schema, orient="row")
    return frame.join(stored, on=key, how="left")


def _keyed(df: pl.DataFrame) -> pl.DataFrame:
    return df.with_columns(pl.col("id_number").fill_null(""), pl.col("year").fill_null(0))


def findings_apply(
    checked: Checked,
    *,
    open_findings: QuerySet[Finding],
    actor: User | None,
    source: str,
    batch: ImportBatch | None = None,
    now: dt.datetime | None = None,
) -> Applied:
    """Open the new findings of `checked`, resolve the open ones (among `open_findings`) it no longer finds.

    `open_findings` must include every open finding of the households the check covered (a wider set is
    fine: only what the check covered is resolved). Call inside the write's transaction.
    """
    now = now or timezone.now()
    rows = list(
        open_findings.filter(resolved_at__isnull=True).values_list(
            "id", "household__household_no", "person__id_number", "code", "field", "year", "message"
        )
    )
    old = pl.DataFrame(
        rows,
        schema={"id": pl.Int64, **fr.FINDING_COLUMNS},
        orient="row",
    )
    new = _keyed(checked.findings.unique(subset=_KEYS, keep="first", maintain_order=True))
    old = _keyed(old)
    to_open = new.join(old.select(_KEYS), on=_KEYS, how="anti")
    gone = old.join(new.select(_KEYS), on=_KEYS, how="anti").filter(pl.col("code").is_in(list(checked.codes)))
    level = pl.col("code").replace_strict(fr.LEVELS, default="")
    covered = ((level == "person") & pl.col("id_number").is_in(checked.persons)) | (
        (level == "household") & pl.col("household_no").is_in(checked.households)
    )
    if checked.incomes:
        income_keys = pl.DataFrame(
            checked.incomes, schema={"household_no": pl.String, "year": pl.Int64}, orient="row"
        )
        gone_income = gone.filter(level == "income").join(
            income_keys, on=["household_no", "year"], how="semi"
        )
    else:
        gone_income = gone.clear()
    resolve = [*gone.filter(covered).get_column("id").to_list(), *gone_income.get_column("id").to_list()]
    for i in range(0, len(resolve), CHUNK):
        Finding.objects.filter(pk__in=resolve[i : i + CHUNK]).update(
            resolved_at=now, resolved_by=actor if actor is not None and actor.is_authenticated else None
        )
    if to_open.height:
        household_ids = _ids(Household, "household_no", to_open.get_column("household_no").unique().to_list())
        person_ids = _ids(
            Person, "id_number", [n for n in to_open.get_column("id_number").unique().to_list() if n]
        )
        Finding.objects.bulk_create(
            [
                Finding(
                    household_id=household_ids[no],
                    person_id=person_ids.get(idn) if idn else None,
                    code=code,
                    field=name,
                    year=year or None,
                    message=message[:300],
                    source=source,
                    batch=batch,
                    created_at=now,
                )
                for no, idn, code, name, year, message in to_open.select(_KEYS).rows()
                if no in household_ids
            ],
            batch_size=1000,
        )
    return Applied(opened=to_open.height, resolved=len(resolve))


def _ids(model: Any, key: str, values: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for i in range(0, len(values), CHUNK):
        found.update(model.objects.filter(**{f"{key}__in": values[i : i + CHUNK]}).values_list(key, "id"))
    return found


# ---- one household, after a form saved it ------------------------------------------------------------------

_PERSON_FIELDS = (
    "id_number",
    "birth_date",
    "labour_skill",
    "student_status",
    "health_status",
    "disability_category",
    "disability_grade",
    "months_worked",
    "work_place",
    "dibao",
    "tekun",
)


def household_findings_refresh(
    households: Iterable[Household],
    *,
    actor: User | None,
    source: str,
    income_years: Iterable[int] = (),
    today: dt.date | None = None,
) -> Applied:
    """Recheck the households a form (or the admin) just wrote, in its transaction: their own fields and
    every member's. `income_years`: years whose income the form re-entered; the income findings of those
    years (figures of an imported book that disagreed) are resolved, the form's figures being the ones kept."""
    households = list(households)
    if not households:
        return Applied()
    numbers = {h.pk: h.household_no for h in households}
    person_rows = list(
        Person.objects.filter(household_id__in=numbers).values_list("household_id", *_PERSON_FIELDS)
    )
    persons = pl.DataFrame(
        [(numbers[r[0]], *r[1:]) for r in person_rows],
        schema={
            "household_no": pl.String,
            "id_number": pl.String,
            "birth_date": pl.Date,
            "labour_skill": pl.String,
            "student_status": pl.String,
            "health_status": pl.String,
            "disability_category": pl.String,
            "disability_grade": pl.Int64,
            "months_worked": pl.Int64,
            "work_place": pl.String,
            "dibao": pl.Boolean,
            "tekun": pl.Boolean,
        },
        orient="row",
    )
    frame = pl.DataFrame(
        [(h.household_no, h.kind, h.year_out_of_poverty, h.monitoring_category) for h in households],
        schema={
            "household_no": pl.String,
            "kind": pl.String,
            "year_out_of_poverty": pl.Int64,
            "monitoring_category": pl.String,
        },
        orient="row",
    )
    checked = findings_check(persons=persons, households=frame, today=today)
    years = sorted(set(income_years))
    if years:
        checked.codes.update(code for code, _, _ in fr.INCOME_RULES)
        checked.incomes = [(no, y) for no in numbers.values() for y in years]
    # Moved-out members keep no finding here: the persons checked are those the household has now, and a
    # person's open finding under another household is resolved by that household's own refresh.
    checked.persons = persons.get_column("id_number").to_list()
    return findings_apply(
        checked,
        open_findings=Finding.objects.filter(household_id__in=list(numbers)),
        actor=actor,
        source=source,
    )


def open_findings_of(household: Household) -> list[Finding]:
    """The household's open findings for its page, members' first by name (one query)."""
    return list(
        Finding.objects.filter(household=household, resolved_at__isnull=True)
        .select_related("person")
        .order_by("person__name", "code", "year", "id")
    )


# ---- the import's report ------------------------------------------------------------------------------------


def findings_with_rows(
    checked: Checked, rows_by_person: dict[str, int], rows_by_household: dict[str, int]
) -> pl.DataFrame:
    """The findings of an import with the row of the file each concerns (the person's row, else the head's)."""
    f = checked.findings
    person_rows = pl.DataFrame(
        list(rows_by_person.items()), schema={"id_number": pl.String, "_prow": pl.Int64}, orient="row"
    )
    household_rows = pl.DataFrame(
        list(rows_by_household.items()), schema={"household_no": pl.String, "_hrow": pl.Int64}, orient="row"
    )
    return (
        f.join(person_rows, on="id_number", how="left")
        .join(household_rows, on="household_no", how="left")
        .with_columns(pl.coalesce("_prow", "_hrow").alias("row"))
        .drop("_prow", "_hrow")
        .sort(["row", "code"], nulls_last=True)
    )


def findings_summary(
    located: pl.DataFrame, headers: dict[str, str], counts: list[tuple[str, str, int]]
) -> dict[str, Any]:
    """What the import result page shows: counts per rule and the first findings with their rows."""
    sample = [
        {
            "row": row,
            "code": code,
            "column": headers.get(name, ""),
            "label": fr.LABELS.get(code, code),
            "reason": message,
        }
        for row, code, name, message in located.head(FINDING_SAMPLE)
        .select("row", "code", "field", "message")
        .rows()
    ]
    return {"counts": [[code, label, n] for code, label, n in counts], "sample": sample}


def write_findings_report(
    located: pl.DataFrame, out: Path, *, headers: dict[str, str], names: dict[str, str]
) -> None:
    """The sheet of every finding of an import: 行号, 户编号, 姓名, 疑点, 列, 说明 (no ID number)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    book = workbook(str(out), streaming=True)
    formats = {
        "header": book.add_format({"bold": True, "bg_color": "#F0F2F4", "border": 1}),
        "money": book.add_format({"num_format": "#,##0.00"}),
        "date": book.add_format({"num_format": "yyyy-mm-dd"}),
    }
    sheet = Sheet(
        book,
        "疑点清单",
        [("行号", 8), ("户编号", 22), ("姓名", 12), ("疑点", 24), ("列", 16), ("收入年度", 10), ("说明", 70)],
        formats,
    )
    for row, no, idn, code, name, year, message in located.select(
        "row", "household_no", "id_number", "code", "field", "year", "message"
    ).rows():
        sheet.write(
            [
                row,
                no,
                names.get(idn or "", ""),
                fr.LABELS.get(code, code),
                headers.get(name, ""),
                year,
                message,
            ]
        )
    sheet.finish()
    book.close()
