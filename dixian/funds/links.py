"""联农带农 (docs/domain.md §22): business entities (经营主体) and village industry bases (产业基地), and the
households a project, an entity or a base links in a year — one at a time in a form, or a small workbook of
links per source (户编号, 户主姓名, 联结方式, 年度收益), imported whole or refused whole with a per-row
error report.

Counts such as "带动脱贫户和监测对象 N 户" are never typed: they are distinct households computed from the
links (`selectors_links.linked_households`).
"""

from __future__ import annotations

import io
import tempfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from python_calamine import CalamineWorkbook
from stdnum.cn import uscc
from stdnum.exceptions import ValidationError as StdnumError

from dixian.accounts.capabilities import Capability, user_can
from dixian.common.access import code_in_scope, region_range_q, user_prefix
from dixian.common.spreadsheets import ErrorReport
from dixian.domain import funds as fd
from dixian.registry.models import Household
from dixian.registry.parsing import ParseError, parse_amount, text

from .assets import household_in_scope
from .models import BenefitLink, BusinessEntity, IndustryBase, Project

if TYPE_CHECKING:
    from dixian.accounts.models import User
    from dixian.regions.models import Region

Source = Project | BusinessEntity | IndustryBase
SOURCE_KINDS: dict[str, str] = {"project": "项目", "entity": "经营主体", "base": "产业基地"}
# The import's sheet: header → field, with the spellings seen in county workbooks.
HEADERS: dict[str, tuple[str, ...]] = {
    "household_no": ("户编号", "农户编号", "户码"),
    "head_name": ("户主姓名", "户主", "姓名"),
    "form": ("联结方式", "带动方式", "利益联结方式"),
    "benefit": ("年度收益", "带动收益", "年度带动收益", "收益(元)", "年度收益(元)"),
}
REQUIRED = ("household_no", "head_name", "form")
MAX_ROWS = 20_000
MAX_BYTES = 5 * 1024 * 1024
FORM_BY_LABEL = {label: code for code, label in fd.LINK_FORMS.items()} | {
    "就业": "employment",
    "务工": "employment",
    "分红": "dividend",
    "入股": "dividend",
    "订单": "order",
    "流转": "land_transfer",
    "托管": "trusteeship",
    "资产收益分红": "asset_income",
}


def _need(actor: User) -> None:
    if not user_can(actor, Capability.PROJECTS_EDIT):
        raise PermissionDenied(f"您的账号没有“{Capability.PROJECTS_EDIT.label}”的权限")


def credit_code_clean(raw: str) -> str:
    """The 统一社会信用代码 in its 18 characters, or a ValidationError saying what is wrong with it."""
    value = text(raw).upper().replace(" ", "").replace("-", "")
    if not value:
        raise ValidationError({"credit_code": "请填写统一社会信用代码(18位)"})
    try:
        return str(uscc.validate(value))
    except StdnumError:
        raise ValidationError(
            {"credit_code": f"统一社会信用代码“{value[:30]}”无效:应为18位,且末位校验码正确,请核对营业执照"}
        ) from None


def _region_ok(actor: User, region: Region) -> None:
    if not code_in_scope(actor, region.code):
        raise ValidationError({"region": "所选地区不在您的管辖范围内"})


def entity_create(*, actor: User, name: str, kind: str, credit_code: str, region: Region) -> BusinessEntity:
    _need(actor)
    _region_ok(actor, region)
    if not name.strip():
        raise ValidationError({"name": "请填写主体名称"})
    if kind not in fd.ENTITY_KINDS:
        raise ValidationError({"kind": "请选择主体类型"})
    code = credit_code_clean(credit_code)
    with transaction.atomic():
        duplicate = ValidationError({"credit_code": f"统一社会信用代码 {code} 的经营主体已登记,无需重复登记"})
        if BusinessEntity.objects.filter(credit_code=code).exists():
            raise duplicate
        try:
            # Two saves at once both pass the check; the unique constraint refuses the second, in a savepoint.
            with transaction.atomic():
                return BusinessEntity.objects.create(
                    name=name.strip(), kind=kind, credit_code=code, region=region, region_code=region.code
                )
        except IntegrityError:
            raise duplicate from None


def base_create(
    *, actor: User, name: str, region: Region, industry: str = "", area_mu: Decimal | None = None
) -> IndustryBase:
    _need(actor)
    _region_ok(actor, region)
    if not name.strip():
        raise ValidationError({"name": "请填写基地名称"})
    if area_mu is not None and area_mu <= 0:
        raise ValidationError({"area_mu": "面积必须大于0"})
    with transaction.atomic():
        return IndustryBase.objects.create(
            name=name.strip(),
            industry=industry.strip(),
            region=region,
            region_code=region.code,
            area_mu=area_mu,
        )


def source_kind(source: Source) -> str:
    return {Project: "project", BusinessEntity: "entity", IndustryBase: "base"}[type(source)]


def _source_fields(source: Source) -> dict[str, Any]:
    return {source_kind(source): source}


def _link_problems(year: int, form: str, benefit: Decimal) -> dict[str, str]:
    problems: dict[str, str] = {}
    if not 2000 <= year <= 2100:
        problems["year"] = f"年度 {year} 不在有效范围内"
    if form not in fd.LINK_FORMS:
        problems["form"] = "联结方式须为:" + "、".join(fd.LINK_FORMS.values())
    if benefit < 0:
        problems["benefit"] = "年度收益不能为负数"
    elif benefit != benefit.quantize(fd.FEN):
        problems["benefit"] = f"年度收益 {benefit} 超出两位小数,请精确到分"
    return problems


def link_record(
    *, actor: User, source: Source, household_no: str, year: int, form: str, benefit: Decimal
) -> BenefitLink:
    """A household linked by a project, an entity or a base in a year (one form of link once a year)."""
    _need(actor)
    if not code_in_scope(actor, source.region_code):
        raise ValidationError("该项目、主体或基地不存在或不在您的管辖范围内")
    problems = _link_problems(year, form, benefit)
    if problems:
        raise ValidationError(problems)
    household = household_in_scope(actor, household_no)
    try:
        with transaction.atomic():
            return BenefitLink.objects.create(
                household=household,
                year=year,
                form=form,
                benefit=benefit,
                region_code=household.region_code,
                **_source_fields(source),
            )
    except IntegrityError:
        raise ValidationError(
            {"household_no": f"该户{year}年已按“{fd.LINK_FORMS[form]}”登记过联结,无需重复登记"}
        ) from None


# ---- the workbook of links of one source ---------------------------------------------------------------


@dataclass
class LinksImported:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class LinksRefused(Exception):
    """The workbook was refused whole: the rows' errors, and the error report (.xlsx bytes)."""

    message: str
    errors: list[tuple[int, str, str]] = field(default_factory=list)  # (row number, column, reason)
    report: bytes = b""


def _sheet_rows(content: bytes) -> list[list[Any]]:
    if len(content) > MAX_BYTES:
        raise LinksRefused(f"文件超过 {MAX_BYTES // 1024 // 1024} MB,请拆分后上传")
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(content))
        rows = book.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except Exception:  # noqa: BLE001 - calamine raises many kinds for a file that is not a workbook
        raise LinksRefused("无法读取该文件,请上传 .xlsx 或 .xls 格式的工作簿") from None
    return [list(r) for r in rows]


def _header_map(header: list[Any]) -> tuple[dict[str, int], list[str]]:
    found: dict[str, int] = {}
    for j, cell in enumerate(header):
        title = "".join(text(cell).split())
        for name, spellings in HEADERS.items():
            if title in spellings and name not in found:
                found[name] = j
    missing = [HEADERS[n][0] for n in REQUIRED if n not in found]
    return found, missing


def _report(header: list[Any], rows: list[list[Any]], errors: dict[int, list[tuple[str, str]]]) -> bytes:
    width = max(1, len(header), *(len(r) for r in rows))
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.xlsx"
        report = ErrorReport(out)
        report.sheet("错误报告", width, column_width=14)
        report.header(0, header)
        for i, row in enumerate(rows, start=1):
            problems = errors.get(i + 1, [])
            bad = {c for c, _ in problems}
            heads = [text(h) for h in header]
            for j, value in enumerate(row):
                report.cell(i, j, value, bad=j < len(heads) and heads[j] in bad)
            if problems:
                report.errors(i, i + 1, [c for c, _ in problems], [r for _, r in problems])
        report.freeze(1)
        report.close()
        return out.read_bytes()


def links_import(*, actor: User, source: Source, year: int, content: bytes) -> LinksImported:
    """Import a workbook of the households `source` links in `year`: all rows or none.

    Each row names a household of the registry by its number (inside the account's subtree) and its head's
    name, which must agree with the registry; the form of the link; the year's benefit. A row already
    imported is updated (the same household, year, form and source): importing the same book twice changes
    nothing."""
    _need(actor)
    if not code_in_scope(actor, source.region_code):
        raise ValidationError("该项目、主体或基地不存在或不在您的管辖范围内")
    if not 2000 <= year <= 2100:
        raise ValidationError({"year": f"年度 {year} 不在有效范围内"})
    rows = _sheet_rows(content)
    while rows and not any(text(c) for c in rows[-1]):
        rows.pop()
    if not rows:
        raise LinksRefused("工作簿是空的:第一行应为表头(户编号、户主姓名、联结方式、年度收益)")
    header, body = rows[0], rows[1:]
    columns, missing = _header_map(header)
    if missing:
        raise LinksRefused(f"缺少必填列:{'、'.join(missing)}。表头应为:户编号、户主姓名、联结方式、年度收益")
    if len(body) > MAX_ROWS:
        raise LinksRefused(f"超过 {MAX_ROWS} 行,请拆分后上传")
    headers = {n: text(header[j]) for n, j in columns.items()}

    def cell(row: list[Any], name: str) -> Any:
        j = columns.get(name)
        return row[j] if j is not None and j < len(row) else None

    nos = {"".join(text(cell(r, "household_no")).split()) for r in body}
    prefix = user_prefix(actor) or "~"
    households = {
        h.household_no: h
        for h in Household.objects.filter(region_range_q(prefix), household_no__in=nos - {""})
    }
    errors: dict[int, list[tuple[str, str]]] = {}
    parsed: dict[tuple[int, str], tuple[Household, Decimal, int]] = {}
    for i, row in enumerate(body, start=2):
        if not any(text(c) for c in row):
            continue
        problems: list[tuple[str, str]] = []
        no = "".join(text(cell(row, "household_no")).split())
        household = households.get(no)
        if not no:
            problems.append((headers["household_no"], "户编号为空"))
        elif household is None:
            problems.append((headers["household_no"], f"户编号“{no[:30]}”在您辖区的农户信息库中不存在"))
        head = "".join(text(cell(row, "head_name")).split())
        if household is not None and head != household.head_name:
            problems.append(
                (headers["head_name"], f"户主姓名“{head[:20]}”与农户信息库不一致,请核对户编号和户主姓名")
            )
        form = FORM_BY_LABEL.get("".join(text(cell(row, "form")).split()))
        if form is None:
            problems.append((headers["form"], "联结方式须为:" + "、".join(fd.LINK_FORMS.values())))
        benefit = Decimal("0")
        if "benefit" in columns:
            try:
                benefit = parse_amount(cell(row, "benefit")) or Decimal("0")
            except ParseError as exc:
                problems.append((headers["benefit"], str(exc)))
        if household is not None and form is not None and not problems:
            if (household.pk, form) in parsed:
                first = parsed[(household.pk, form)][2]
                problems.append(("", f"与第{first}行重复:同一户同一联结方式一年只登记一次"))
            else:
                parsed[(household.pk, form)] = (household, benefit, i)
        if problems:
            errors[i] = problems
    if errors:
        flat = [(i, c, r) for i, ps in sorted(errors.items()) for c, r in ps]
        raise LinksRefused(
            f"有 {len(errors)} 行有错误,整份文件未导入;请按错误报告改正后重新上传",
            flat,
            _report(header, body, errors),
        )
    result = LinksImported()
    kind = source_kind(source)
    with transaction.atomic():
        existing = {
            (link.household_id, link.form): link
            for link in BenefitLink.objects.select_for_update().filter(year=year, **{kind: source})
        }
        new: list[BenefitLink] = []
        changed: list[BenefitLink] = []
        for (household_pk, form), (household, benefit, _) in parsed.items():
            link = existing.get((household_pk, form))
            if link is None:
                new.append(
                    BenefitLink(
                        household=household,
                        year=year,
                        form=form,
                        benefit=benefit,
                        region_code=household.region_code,
                        **{kind: source},
                    )
                )
            elif link.benefit != benefit:
                link.benefit = benefit
                changed.append(link)
            else:
                result.unchanged += 1
        BenefitLink.objects.bulk_create(new, batch_size=1000)
        BenefitLink.objects.bulk_update(changed, ["benefit"], batch_size=1000)
        result.created, result.updated = len(new), len(changed)
    return result
