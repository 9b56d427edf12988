"""Excel export of the household list (农户信息导出): exactly the filtered list, scoped again on the server.

The export never trusts what the page showed: it re-reads the query string through `HouseholdFilterForm`
for the exporting account (in the background job: the job's owner, at run time) and selects through
`household_list_for_user`, so a region widened by hand in the URL, or a removed region parameter, never
reaches outside the account's subtree.

Memory stays flat at any size: households are read in keyset chunks of `CHUNK` rows ordered by
(region_code, id) (an index range per chunk, the same on SQLite and PostgreSQL, with no long-lived
cursor), each chunk's members, incomes and heads in one query each, and XlsxWriter runs in
`constant_memory` mode, flushing every row to a temporary file as soon as the next row starts.

Personal data: ID numbers and phones are masked (360424********1234, 138****5678) unless the account may
see them (`may_view_pii`), and such accounts get the age instead of the birth date (which would rebuild
the masked number, docs/security.md §1); health and disability columns are left out for them, as on the
household page.

Formula injection: the workbook and its sheets are dixian/common/spreadsheets.py's, which write text so
that no spreadsheet or CSV reader takes it for a formula, and numbers and dates as numbers and dates.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.db.models import Q, Sum
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone

from dixian.common.access import may_view_pii, user_prefix
from dixian.common.access_log import Action, log_access
from dixian.common.jobs import JobError, job_dir, job_result_rights
from dixian.common.masking import birth_date_label, birth_date_value, id_number_shown, phone_shown
from dixian.common.spreadsheets import Sheet, excel_text, export_workbook

from . import choices as c
from .filters import HouseholdFilterForm, HouseholdFilters
from .models import PERSON_DETAIL_FIELDS, Household, HouseholdIncome, Person
from .selectors import household_list_for_user
from .template import BY_FIELD

if TYPE_CHECKING:
    from dixian.accounts.models import User
    from dixian.common.models import Job

logger = logging.getLogger("dixian.registry.exports")

CHUNK = 2000
JOB_KIND = "registry_export"

Progress = Callable[[int, int], None]


def _label(field: str, fallback: str) -> str:
    # The import template's header where the field is the same, so an export reads like the workbook.
    column = BY_FIELD.get(field)
    return column.header if column else fallback


KIND = dict(c.HouseholdKind.choices)
CATEGORY = dict(c.MonitoringCategory.choices)
HOUSING = dict(c.HousingGrade.choices)
SEX, RELATION, EDUCATION = dict(c.Sex.choices), dict(c.Relation.choices), dict(c.Education.choices)
STUDENT, HEALTH = dict(c.StudentStatus.choices), dict(c.HealthStatus.choices)
DISABILITY, GRADE = dict(c.DisabilityCategory.choices), dict(c.DisabilityGrade.choices)
SKILL, WORK = dict(c.LabourSkill.choices), dict(c.WorkPlace.choices)
MEDICAL, PENSION = dict(c.MedicalInsurance.choices), dict(c.PensionInsurance.choices)

HOUSEHOLD_FIELDS = (
    "id",
    "household_no",
    "head_name",
    "region__full_name",
    "region_code",
    "kind",
    "year_out_of_poverty",
    "monitoring_category",
    "member_count",
    "phone",
    "education_ok",
    "medical_ok",
    "housing_ok",
    "water_ok",
    "housing_grade",
    "has_illness",
    "has_disability",
    "address",
)
PERSON_FIELDS = (
    "household_id",
    "relation",
    "name",
    "id_number",
    "sex",
    "birth_date",
    *PERSON_DETAIL_FIELDS,
    "id",
)


def household_headers(pii: bool) -> list[tuple[str, int]]:
    cols = [
        (_label("household_no", "户编号"), 18),
        ("户主姓名", 10),
        ("户主证件号码", 20),
        ("所在区划", 30),
        (_label("region_code", "行政区划代码"), 15),
        (_label("kind", "户类型"), 10),
        (_label("year_out_of_poverty", "脱贫年度"), 8),
        (_label("monitoring_category", "监测对象类别"), 14),
        ("家庭人口数", 8),
        (_label("phone", "联系电话"), 14),
        ("收入年度", 8),
        ("人均纯收入(元)", 12),
        ("义务教育有保障", 8),
        ("基本医疗有保障", 8),
        ("住房安全有保障", 8),
        (_label("water_ok", "饮水安全"), 8),
        (_label("housing_grade", "住房安全等级"), 8),
    ]
    if pii:
        cols += [("有病患成员", 8), ("有残疾成员", 8)]
    return [*cols, (_label("address", "家庭住址"), 30)]


def person_headers(pii: bool) -> list[tuple[str, int]]:
    cols = [
        (_label("household_no", "户编号"), 18),
        ("所在区划", 30),
        (_label("name", "姓名"), 10),
        (_label("id_number", "证件号码"), 20),
        (_label("sex", "性别"), 5),
        # Without the right the age, never the birth date: it would rebuild the masked ID (docs/security.md §1).
        (birth_date_label(pii=pii, dated=_label("birth_date", "出生日期")), 11),
        (_label("relation", "与户主关系"), 10),
        (_label("ethnicity", "民族"), 8),
        (_label("education", "文化程度"), 10),
        (_label("student_status", "在校生情况"), 10),
    ]
    if pii:
        cols += [
            (_label("health_status", "健康状况"), 10),
            (_label("disability_category", "残疾类别"), 10),
            (_label("disability_grade", "残疾等级"), 8),
        ]
    return [
        *cols,
        (_label("labour_skill", "劳动技能"), 10),
        (_label("work_place", "务工所在地"), 10),
        (_label("months_worked", "务工时间(月)"), 8),
        (_label("medical_insurance", "基本医疗保险"), 14),
        (_label("pension_insurance", "基本养老保险"), 14),
        (_label("dibao", "是否享受低保"), 8),
        (_label("tekun", "是否特困供养"), 8),
        (_label("phone", "联系电话"), 14),
    ]


@dataclass
class ExportResult:
    households: int = 0
    persons: int = 0


def household_export_rows_needed(user: User, filters: HouseholdFilters, *, persons: bool, limit: int) -> int:
    """Rows the export would write (households, or members with the person sheet), counted up to limit + 1.

    The person count is the sum of the denormalised member_count over the first limit + 1 households: one
    bounded query that decides between the in-request export and the background job.
    """
    qs = household_list_for_user(user, filters).order_by()
    if not persons:
        # See views_list.household_list: a searched list is counted by a column outside the region index.
        return qs.values("household_no" if filters.search else "pk")[: limit + 1].count()
    head = qs[: limit + 1]
    return int(head.aggregate(n=Sum("member_count"))["n"] or 0)


def _chunks(user: User, filters: HouseholdFilters) -> Any:
    """Household rows in keyset chunks ordered by (region_code, id)."""
    qs = household_list_for_user(user, filters)
    last: tuple[str, int] | None = None
    while True:
        page = qs
        if last is not None:
            code, pk = last
            # The >= makes each chunk an index range starting at the last row (the OR picks up right after
            # it); it goes first because SQLite seeks with the first range it meets on region_code.
            page = (
                Household.objects.filter(Q(region_code__gte=code) & (Q(region_code__gt=code) | Q(id__gt=pk)))
                & qs
            )
        rows = list(page.values_list(*HOUSEHOLD_FIELDS)[:CHUNK])
        if not rows:
            return
        yield rows
        last = (rows[-1][4], rows[-1][0])
        if len(rows) < CHUNK:
            return


def household_export_write(
    target: IO[bytes] | str,
    *,
    user: User,
    filters: HouseholdFilters,
    persons: bool,
    progress: Progress | None = None,
    total: int = 0,
) -> ExportResult:
    """Write the filtered list to an xlsx workbook: 农户 sheet, optional 人口 sheet, and 导出说明."""
    pii = may_view_pii(user)
    today = timezone.localdate()
    book, formats = export_workbook(target)
    h_sheet = Sheet(book, "农户", household_headers(pii), formats)
    p_sheet = Sheet(book, "人口", person_headers(pii), formats) if persons else None
    notes = book.add_worksheet("导出说明")
    result = ExportResult()
    for rows in _chunks(user, filters):
        ids = [row[0] for row in rows]
        incomes: dict[int, tuple[int, Decimal]] = {}
        for hid, year, per_capita in (
            HouseholdIncome.objects.filter(household_id__in=ids)
            .order_by("household_id", "-year")
            .values_list("household_id", "year", "net_income_per_capita")
        ):
            incomes.setdefault(hid, (year, per_capita))
        members: dict[int, list[tuple[Any, ...]]] = {}
        heads: dict[int, str] = {}
        if p_sheet is not None:
            for p in Person.objects.filter(household_id__in=ids).values_list(*PERSON_FIELDS):
                members.setdefault(p[0], []).append(p)
                if p[1] == c.Relation.HEAD:
                    heads.setdefault(p[0], p[3])
        else:
            heads = dict(
                Person.objects.filter(household_id__in=ids, relation=c.Relation.HEAD)
                .order_by("household_id", "id")
                .values_list("household_id", "id_number")
            )
        for (
            hid,
            no,
            head,
            region_name,
            code,
            kind,
            year_out,
            category,
            size,
            phone,
            edu,
            med,
            house,
            water,
            grade,
            ill,
            disabled,
            address,
        ) in rows:
            income_year, income_per_capita = incomes.get(hid, (None, None))
            values: list[object] = [
                no,
                head,
                id_number_shown(heads.get(hid, ""), pii=pii),
                region_name,
                code,
                KIND.get(kind, kind),
                year_out,
                CATEGORY.get(category, category),
                size,
                phone_shown(phone, pii=pii),
                year,
                per_capita,
                edu,
                med,
                house,
                water,
                HOUSING.get(grade, grade) if grade else "",
            ]
            if pii:
                values += [ill, disabled]
            h_sheet.write([*values, address])
            result.households += 1
            if p_sheet is not None:
                household_members = sorted(
                    members.get(hid, ()), key=lambda p: (p[1] != c.Relation.HEAD, p[5], p[-1])
                )
                for p in household_members:
                    p_sheet.write(_person_values(p, no, region_name, pii, today))
                    result.persons += 1
        if progress is not None:
            progress(result.households, max(total, result.households))
    h_sheet.finish()
    if p_sheet is not None:
        p_sheet.finish()
    _write_notes(notes, formats, user=user, filters=filters, result=result, pii=pii, persons=persons)
    book.close()
    logger.info(
        "registry export by %s: %d households, %d persons", user.username, result.households, result.persons
    )
    return result


def _person_values(
    p: tuple[Any, ...],
    no: str,
    region_name: str,
    pii: bool,
    today: dt.date | None = None,
) -> list[object]:
    (
        _,
        relation,
        name,
        id_number,
        sex,
        birth,
        ethnicity,
        education,
        student,
        health,
        disability,
        grade,
        skill,
        work,
        months,
        medical,
        pension,
        dibao,
        tekun,
        phone,
        _pk,
    ) = p
    values: list[object] = [
        no,
        region_name,
        name,
        id_number_shown(id_number, pii=pii),
        SEX.get(sex, sex),
        birth_date_value(birth, pii=pii, today=today),
        RELATION.get(relation, relation),
        ethnicity,
        EDUCATION.get(education, education) if education else "",
        STUDENT.get(student, student) if student else "",
    ]
    if pii:
        values += [
            HEALTH.get(health, health),
            DISABILITY.get(disability, disability) if disability else "",
            GRADE.get(grade, "") if grade else "",
        ]
    return [
        *values,
        SKILL.get(skill, skill),
        WORK.get(work, work) if work else "",
        months,
        MEDICAL.get(medical, medical) if medical else "",
        PENSION.get(pension, pension) if pension else "",
        dibao,
        tekun,
        phone_shown(phone, pii=pii),
    ]


def _write_notes(
    ws: Any,
    formats: dict[str, Any],
    *,
    user: User,
    filters: HouseholdFilters,
    result: ExportResult,
    pii: bool,
    persons: bool,
) -> None:
    ws.set_column(0, 0, 16)
    ws.set_column(1, 1, 70)
    account_region = (user.region.full_name or user.region.name) if user.region else "未分配区划"
    lines: list[tuple[str, str]] = [
        ("导出时间", timezone.localtime().strftime("%Y-%m-%d %H:%M")),
        ("导出账号", f"{user.get_full_name() or user.username}({account_region})"),
        *filters.describe(),
        ("农户数", f"{result.households:,}"),
    ]
    if persons:
        lines.append(("人数", f"{result.persons:,}"))
    lines.append(
        (
            "个人信息",
            "含完整的证件号码和电话,请妥善保管,不得外传。"
            if pii
            else "证件号码和电话已脱敏;健康状况和残疾信息未导出。",
        )
    )
    lines.append(("说明", "以 = + - @ 等符号开头的文字前加了单引号('),防止在其他软件中被当作公式执行。"))
    for row, (label, text) in enumerate(lines):
        ws.write_string(row, 0, label, formats["header"])
        ws.write_string(row, 1, excel_text(text))


def export_region_code(user: User, filters: HouseholdFilters) -> str:
    """The code prefix of the region an export covers (the filter's region, else the account's)."""
    return filters.region.prefix if filters.region is not None else (user_prefix(user) or "")


def export_logged(
    who: Any, *, user: User, filters: HouseholdFilters, persons: bool, result: ExportResult, path: str = ""
) -> None:
    """Record the export in the access log: one row with its scope and counts, not one per household
    (docs/security.md §5); `who` is the request, or the account in a background job."""
    described = "；".join(f"{label}:{value}" for label, value in filters.describe()) or "本辖区全部农户"
    counts = f"{result.households:,} 户" + (f"、{result.persons:,} 人(含人口表)" if persons else "")
    fields = ["name", "id_number", "phone", "address", "income", "health", "disability"]
    if persons:
        fields.insert(3, "birth_date")
    log_access(
        who,
        action=Action.EXPORT,
        count=result.households + result.persons,
        scope=f"农户信息导出 {counts}；{described}",
        region_code=export_region_code(user, filters),
        fields=fields,
        masked=not may_view_pii(user),
        path=path,
    )


def export_filename(user: User, filters: HouseholdFilters) -> str:
    region = filters.region or (user.region if user.region_id else None)
    where = f"_{region.name}" if region is not None else ""
    return f"农户信息{where}_{timezone.localdate():%Y%m%d}.xlsx"


def export_params(filters: HouseholdFilters, *, persons: bool) -> dict[str, object]:
    """What a background export job stores: the canonical query string, re-read (and re-scoped) at run time."""
    query = urlencode(filters.params())
    again = reverse("registry:household_list") + (f"?{query}" if query else "")
    return {"query": query, "persons": persons, "title": "农户信息导出", "again": again}


def household_export_job(job: Job, progress: Progress) -> None:
    """The `registry_export` job: the owner's scope and permissions as they are when the job runs."""
    owner = job.owner
    if not owner.is_active:
        raise JobError("发起导出的账号已停用,导出已取消。")
    filters = HouseholdFilterForm(QueryDict(str(job.params.get("query", ""))), user=owner).filters()
    persons = bool(job.params.get("persons"))
    total = household_list_for_user(owner, filters).order_by().count()
    progress(0, total)
    name = f"registry-export-{job.pk}.xlsx"
    final = job_dir() / name
    partial = job_dir() / f"{name}.part"
    try:
        with partial.open("wb") as fh:
            result = household_export_write(
                fh, user=owner, filters=filters, persons=persons, progress=progress, total=total
            )
        partial.replace(final)
    finally:
        partial.unlink(missing_ok=True)
    export_logged(owner, user=owner, filters=filters, persons=persons, result=result, path=f"/jobs/{job.pk}/")
    job_result_rights(
        job,
        pii=may_view_pii(owner),
        region_code=export_region_code(owner, filters),
        capability="registry_view",
    )
    job.result_file = name
    job.result_name = export_filename(owner, filters)
    job.message = f"共导出 {result.households:,} 户" + (f"、{result.persons:,} 人" if persons else "") + "。"
