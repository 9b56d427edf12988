"""Writes of relocation follow-up (易地搬迁后续扶持, docs/domain.md §11 and §24): a site's facts, the registry
households relocated to it (搬迁户), the problems found at it in the special rectification and their
resolution with evidence, and the funds projects that spent the special money on it.

Every service is keyword-only, takes `actor=`, needs RELOCATION_EDIT, runs in one transaction and raises
`ValidationError` with a Chinese message that says what is wrong and what to do; nothing is half-written (a
list of 户编号 is linked whole or not at all). A record outside the actor's subtree is "not found", never
"forbidden" (docs/security.md). Every write is kept in the change log (entity `relocation_*`; a household's
link also on the household's history).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone

from dixian.accounts.capabilities import Capability, user_can
from dixian.common.access import code_in_scope
from dixian.common.attachments import attachment_content_type
from dixian.common.audit import change_record, diff_fields
from dixian.common.models import ChangeLog
from dixian.common.uploads import ATTACHMENT_MAX_BYTES, UploadRefused, attachment_clean
from dixian.domain import employment as e
from dixian.funds.models import Project
from dixian.regions.models import Region
from dixian.registry.models import Household
from dixian.registry.signals import moved_rows, moves_by_region

from .models import RelocationSite, SiteHousehold, SiteProblem, SiteProject

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile

    from dixian.accounts.models import User

NOT_FOUND = "该记录不存在或不在您的管辖范围内"
# A site is built in a village (or 社区), a township (集镇) or at the county itself (城区).
SITE_LEVELS = (Region.Level.COUNTY, Region.Level.TOWNSHIP, Region.Level.VILLAGE)
# At most this many 户编号 in one submission (a big site is linked in a few goes).
LINK_MAX = 500
# Reasons listed in one refusal; the rest are counted.
REASONS_SHOWN = 20
# 户编号 in a textarea: separated by blanks, commas (either width), 、 or semicolons.
SEPARATORS = re.compile(r"[\s,，、;；]+")
# A mobile (11 digits from 1) or a fixed line with its area code (0xx(x)-xxxxxxx(x), the dash optional).
PHONE = re.compile(r"^(?:1[0-9]{10}|0[0-9]{2,3}-?[0-9]{7,8})$")  # ASCII digits only (\d takes any script's)
SITE_FIELDS = (
    "name",
    "kind",
    "address",
    "built_year",
    "households_planned",
    "persons_planned",
    "chief_name",
    "chief_phone",
    "service_window",
    "industry_base",
    "facilities",
)


def _need(actor: User) -> None:
    if not user_can(actor, Capability.RELOCATION_EDIT):
        raise PermissionDenied(f"您的账号没有“{Capability.RELOCATION_EDIT.label}”的权限")


def _in_scope(actor: User, code: str) -> None:
    if not code_in_scope(actor, code):
        raise ValidationError(NOT_FOUND)


def _today() -> dt.date:
    return timezone.localdate()


def _log(
    actor: User,
    entity: str,
    pk: int,
    action: str,
    summary: str,
    *,
    household_id: int | None = None,
    changes: dict[str, list[Any]] | None = None,
) -> None:
    change_record(
        actor=actor,
        source=ChangeLog.Source.WEB,
        entity=entity,
        entity_id=pk,
        household_id=household_id,
        action=action,
        changes=changes or {},
        summary=summary,
    )


# ---- validators (pure; property-tested in tests/test_validators.py) ----------------------------------------


def phone_clean(value: str) -> str:
    """点长电话 as stored: blanks and full-width digits folded; "" stays ""; anything but a mobile or a fixed
    line with its area code is refused."""
    text = re.sub(r"[\s()()]", "", unicodedata.normalize("NFKC", value or ""))
    text = text.replace("—", "-").replace("－", "-")
    if not text:
        return ""
    if not PHONE.match(text):
        raise ValidationError(
            {
                "chief_phone": f"「{value.strip()[:30]}」不是有效的电话号码,请填写11位手机号或带区号的固定电话(如 0792-1234567)"
            }
        )
    return text


def household_numbers(text: str) -> list[str]:
    """The 户编号 of a textarea (or one field), in the order typed, each once."""
    seen: dict[str, None] = {}
    for raw in SEPARATORS.split(text or ""):
        value = raw.strip()
        if value:
            seen.setdefault(value, None)
    return list(seen)


def _county_of(region: Region) -> Region:
    if region.level == Region.Level.COUNTY:
        return region
    county = Region.objects.filter(code=region.code[:6] + "000000", level=Region.Level.COUNTY).first()
    if county is None:
        raise ValidationError(
            {"region": f"找不到「{region.name}」所属的县(市、区),请联系管理员核对区划代码表"}
        )
    return county


# ---- sites ----------------------------------------------------------------------------------------------


def site_save(
    *, actor: User, data: Mapping[str, Any], region: Region, site: RelocationSite | None = None
) -> RelocationSite:
    """Create a site (site=None) or change one: its place must be a county, township or village inside the
    actor's subtree; its county is the county of that place; its name is unique within the county."""
    _need(actor)
    if site is not None:
        _in_scope(actor, site.region_code)
    errors: dict[str, list[str]] = {}
    if region.level not in SITE_LEVELS:
        errors.setdefault("region", []).append("安置点所在地须为县(市、区)、乡镇或村(社区),请重新选择")
    elif not code_in_scope(actor, region.code):
        errors.setdefault("region", []).append("所选地点不在您的管辖范围内,请重新选择")
    values = {name: data.get(name) for name in SITE_FIELDS}
    values["name"] = (values["name"] or "").strip()
    for text in ("address", "chief_name", "industry_base", "facilities"):
        values[text] = (values[text] or "").strip()
    values["service_window"] = bool(values["service_window"])
    values["households_planned"] = values["households_planned"] or 0
    values["persons_planned"] = values["persons_planned"] or 0
    if not values["name"]:
        errors.setdefault("name", []).append("请填写安置点名称")
    if values["kind"] not in RelocationSite.Kind.values:
        errors.setdefault("kind", []).append("请从选项中选择安置方式")
    year = values["built_year"]
    if year is not None and not 1990 <= year <= _today().year:
        errors.setdefault("built_year", []).append(f"建成年度须在1990年至{_today().year}年之间")
    if values["households_planned"] and values["persons_planned"] < values["households_planned"]:
        errors.setdefault("persons_planned", []).append(
            "安置人数不能少于安置户数(每户至少1人),请核对建设规模"
        )
    try:
        values["chief_phone"] = phone_clean(values["chief_phone"] or "")
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    county = _county_of(region)
    same_name = RelocationSite.objects.filter(county=county, name=values["name"])
    if site is not None:
        same_name = same_name.exclude(pk=site.pk)
        if county.pk != site.county_id and SiteProject.objects.filter(site=site).exists():
            raise ValidationError(
                {"region": "该安置点已关联后续扶持项目,项目须在安置点所在县;请先取消关联项目再改到其他县"}
            )
    if same_name.exists():
        raise ValidationError(
            {"name": f"{county.name}已有名为「{values['name']}」的安置点,请换一个名称或编辑已有的安置点"}
        )
    try:
        with transaction.atomic():
            if site is None:
                site = RelocationSite.objects.create(
                    county=county, region=region, region_code=region.code, **values
                )
                _log(actor, "relocation_site", site.pk, ChangeLog.Action.CREATE, f"新建安置点:{site.name}")
            else:
                before = {name: getattr(site, name) for name in SITE_FIELDS}
                before["region_code"] = site.region_code
                for name, value in values.items():
                    setattr(site, name, value)
                site.county, site.region, site.region_code = county, region, region.code
                site.save()
                # A site's problems and project links carry its village (scoping, docs/domain.md §24): they
                # move with it, so the new township can resolve and unlink them.
                SiteProblem.objects.filter(site=site).update(region_code=region.code)
                SiteProject.objects.filter(site=site).update(region_code=region.code)
                changes = diff_fields(
                    before, {**values, "region_code": region.code}, [*SITE_FIELDS, "region_code"]
                )
                if changes:
                    # The phone is personal data: the log says it changed, never what to.
                    if "chief_phone" in changes:
                        changes["chief_phone"] = ["***", "***"]
                    _log(
                        actor,
                        "relocation_site",
                        site.pk,
                        ChangeLog.Action.UPDATE,
                        f"修改安置点:{site.name}",
                        changes=changes,
                    )
    except IntegrityError:  # the same name saved meanwhile by someone else
        raise ValidationError(
            {"name": f"{county.name}已有名为「{values['name']}」的安置点,请换一个名称或编辑已有的安置点"}
        ) from None
    return site


# ---- relocated households -------------------------------------------------------------------------------


def households_link(
    *, actor: User, site: RelocationSite, numbers: str | list[str], moved_in: dt.date | None = None
) -> list[SiteHousehold]:
    """Link the registry households named by 户编号 to `site`, all or none: each must be inside the actor's
    subtree and not linked to a site already. The refusal lists every reason (the first REASONS_SHOWN)."""
    _need(actor)
    _in_scope(actor, site.region_code)
    wanted = household_numbers(numbers) if isinstance(numbers, str) else household_numbers(" ".join(numbers))
    if not wanted:
        raise ValidationError({"household_nos": "请填写要登记的户编号(每行一个,或用逗号、空格分隔)"})
    if len(wanted) > LINK_MAX:
        raise ValidationError(
            {"household_nos": f"一次最多登记 {LINK_MAX} 户,本次填写了 {len(wanted)} 户,请分批登记"}
        )
    if moved_in is not None and moved_in > _today():
        raise ValidationError({"moved_in": "入住日期不能晚于今天,请核对;不清楚可以不填"})
    found = {
        h.household_no: h
        for h in Household.objects.filter(household_no__in=wanted).only(
            "pk", "household_no", "head_name", "region_code"
        )
    }
    linked = {
        link.household_id: link.site
        for link in SiteHousehold.objects.filter(
            household_id__in=[h.pk for h in found.values()]
        ).select_related("site")
    }
    reasons: list[str] = []
    for number in wanted:
        household = found.get(number)
        if household is None or not code_in_scope(actor, household.region_code):
            reasons.append(f"户编号「{number}」在您辖区的农户信息库中不存在,请核对")
            continue
        other = linked.get(household.pk)
        if other is not None and other.pk == site.pk:
            reasons.append(f"户编号「{number}」({household.head_name}户)已登记在本安置点,无需重复登记")
        elif other is not None:
            where = other.name if code_in_scope(actor, other.region_code) else "其他安置点"
            reasons.append(
                f"户编号「{number}」({household.head_name}户)已登记在安置点「{where}」,一户只能登记在一个安置点;"
                "如登记有误,请先在原安置点取消登记"
            )
    if reasons:
        shown = reasons[:REASONS_SHOWN]
        if len(reasons) > REASONS_SHOWN:
            shown.append(f"……另有 {len(reasons) - REASONS_SHOWN} 个户编号有误")
        shown.append(f"本次填写的 {len(wanted)} 户均未登记,请改正后重新提交")
        raise ValidationError({"household_nos": shown})
    links = [
        SiteHousehold(
            site=site,
            household=found[n],
            region_code=found[n].region_code,
            moved_in=moved_in,
            linked_by=actor,
        )
        for n in wanted
    ]
    try:
        with transaction.atomic():
            made = SiteHousehold.objects.bulk_create(links)
            ChangeLog.objects.bulk_create(
                [
                    ChangeLog(
                        at=timezone.now(),
                        actor=actor,
                        actor_name=actor.get_full_name() or actor.username,
                        source=ChangeLog.Source.WEB,
                        entity="site_household",
                        entity_id=site.pk,
                        household_id=link.household_id,
                        action=ChangeLog.Action.CREATE,
                        summary=f"登记为易地搬迁户:安置点「{site.name}」"[:200],
                        changes={"site": ["", site.name], "moved_in": ["", str(moved_in or "")]},
                    )
                    for link in links
                ]
            )
            # A bulk write sends no model signal: saving the site tells whoever follows it (the leaders'
            # figures, reports/triggers.py) that its households changed.
            site.save(update_fields=["updated_at"])
    except IntegrityError:  # one of them linked meanwhile by someone else
        raise ValidationError(
            {"household_nos": "其中有农户刚刚被他人登记到安置点,本次均未登记,请刷新页面后重新提交"}
        ) from None
    return made


def household_unlink(*, actor: User, link: SiteHousehold) -> None:
    """Take a household off its site (registered by mistake): both the site and the household must be in
    the actor's subtree."""
    _need(actor)
    _in_scope(actor, link.site.region_code)
    _in_scope(actor, link.region_code)
    with transaction.atomic():
        _log(
            actor,
            "site_household",
            link.site_id,
            ChangeLog.Action.DELETE,
            f"取消易地搬迁户登记:安置点「{link.site.name}」",
            household_id=link.household_id,
            changes={"site": [link.site.name, ""]},
        )
        link.delete()


def relocation_follow_households(
    *, moves: Mapping[int, Region], **_: object
) -> dict[int, dict[str, list[int]]]:
    """A moved household's link to its site takes its new code, so the site's household list and findings are
    scoped by where it lives now (docs/security.md §4). Connected to registry's `household_moved` (apps.py),
    in the move's transaction."""
    moved: dict[int, dict[str, list[int]]] = {}
    for region, pks in moves_by_region(moves):
        for i in range(0, len(pks), 500):
            links = SiteHousehold.objects.filter(household_id__in=pks[i : i + 500])
            rows = list(links.order_by().values_list("pk", "household_id"))
            links.update(region_code=region.code)
            for owner, found in moved_rows(rows, str(SiteHousehold._meta.verbose_name)).items():
                moved.setdefault(owner, {}).update(found)
    return moved


# ---- problems -------------------------------------------------------------------------------------------


def problem_add(
    *,
    actor: User,
    site: RelocationSite,
    category: str,
    description: str,
    found_on: dt.date,
    owner: str,
    deadline: dt.date,
) -> SiteProblem:
    """A problem found at the site: found not in the future, due on or after it was found, owned by someone."""
    _need(actor)
    _in_scope(actor, site.region_code)
    errors: dict[str, str] = {}
    if category not in dict(e.choices("site_problem_category")):
        errors["category"] = "请从选项中选择问题类别"
    description, owner = (description or "").strip(), (owner or "").strip()
    if not description:
        errors["description"] = "请填写问题描述"
    if not owner:
        errors["owner"] = "请填写整改责任单位或责任人"
    if found_on > _today():
        errors["found_on"] = "发现日期不能晚于今天,请核对"
    if deadline < found_on:
        errors["deadline"] = f"整改时限({deadline:%Y-%m-%d})不能早于发现日期({found_on:%Y-%m-%d}),请核对"
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        problem = SiteProblem.objects.create(
            site=site,
            region_code=site.region_code,
            category=category,
            description=description,
            found_on=found_on,
            owner=owner,
            deadline=deadline,
            recorded_by=actor,
        )
        _log(
            actor,
            "site_problem",
            problem.pk,
            ChangeLog.Action.CREATE,
            f"安置点「{site.name}」登记问题:{description}",
            changes={"deadline": ["", str(deadline)]},
        )
    return problem


def problem_resolve(
    *,
    actor: User,
    problem: SiteProblem,
    resolution: str,
    resolved_on: dt.date,
    evidence: UploadedFile[bytes] | None,
) -> SiteProblem:
    """销号: the resolution, its date (not before the problem was found, not in the future) and an evidence file
    (a photo or a scanned PDF, checked by its content: dixian/common/uploads.py), stored under MEDIA_ROOT
    (inside DATA_DIR) at relocation/problems/<pk>/<sha256>.<ext> and served only to accounts that see the
    site (views.problem_evidence)."""
    _need(actor)
    _in_scope(actor, problem.region_code)
    if problem.resolved_on is not None:
        raise ValidationError(f"该问题已于 {problem.resolved_on:%Y-%m-%d} 整改销号,无需重复办理")
    errors: dict[str, str] = {}
    resolution = (resolution or "").strip()
    if not resolution:
        errors["resolution"] = "请填写整改情况"
    if resolved_on > _today():
        errors["resolved_on"] = "整改完成日期不能晚于今天,请核对"
    elif resolved_on < problem.found_on:
        errors["resolved_on"] = f"整改完成日期不能早于发现日期({problem.found_on:%Y-%m-%d}),请核对"
    if evidence is None:
        errors["evidence"] = "请上传整改佐证材料(照片或扫描的PDF文件)"
    if errors:
        raise ValidationError(errors)
    assert evidence is not None  # noqa: S101 - checked above
    name = (evidence.name or "佐证材料").replace("/", "_")[-200:]
    if evidence.size is not None and evidence.size > ATTACHMENT_MAX_BYTES:
        raise ValidationError({"evidence": f"文件「{name}」超过 10 MB,请压缩后再上传"})
    try:
        clean = attachment_clean(evidence.read(ATTACHMENT_MAX_BYTES + 1), name)
    except UploadRefused as exc:
        raise ValidationError({"evidence": exc.message}) from None
    sha = hashlib.sha256(clean.content).hexdigest()
    path = f"relocation/problems/{problem.pk}/{sha}.{clean.extension}"
    written = False
    if not default_storage.exists(path):
        stored = default_storage.save(path, ContentFile(clean.content))
        if stored != path:  # the same file saved meanwhile by a second submission: keep one copy
            default_storage.delete(stored)
        written = stored == path
    try:
        with transaction.atomic():
            # Locked and re-read: a second submission of the same form finds it resolved and writes nothing.
            locked = SiteProblem.objects.select_for_update().get(pk=problem.pk)
            if locked.resolved_on is not None:
                raise ValidationError(f"该问题已于 {locked.resolved_on:%Y-%m-%d} 整改销号,无需重复办理")
            locked.resolution, locked.resolved_on, locked.evidence = resolution, resolved_on, path
            locked.resolved_by = actor
            locked.save(update_fields=["resolution", "resolved_on", "evidence", "resolved_by", "updated_at"])
            _log(
                actor,
                "site_problem",
                locked.pk,
                ChangeLog.Action.UPDATE,
                f"安置点问题整改销号:{locked.description}",
                changes={"resolved_on": ["", str(resolved_on)]},
            )
    except BaseException:
        if written:
            default_storage.delete(path)
        raise
    return locked


def evidence_content_type(problem: SiteProblem) -> str:
    return attachment_content_type(problem.evidence)


# ---- special funds: funds projects linked to a site ----------------------------------------------------------


def project_link(*, actor: User, site: RelocationSite, code: str) -> SiteProject:
    """Link the funds project with this 项目编号: it must be in the actor's subtree and the site's county, and
    linked to no other site (its money is counted at one site)."""
    _need(actor)
    _in_scope(actor, site.region_code)
    code = (code or "").strip()
    if not code:
        raise ValidationError({"project_code": "请填写项目编号"})
    project = Project.objects.filter(code=code).first()
    if project is None or not code_in_scope(actor, project.region_code):
        raise ValidationError({"project_code": f"项目编号「{code[:40]}」在您辖区的项目库中不存在,请核对"})
    county_prefix = site.region_code[:6]
    if not project.region_code.startswith(county_prefix):
        raise ValidationError({"project_code": f"项目「{project.name}」不在安置点所在县,只能关联本县的项目"})
    other = SiteProject.objects.filter(project=project).select_related("site").first()
    if other is not None:
        where = "本安置点" if other.site_id == site.pk else f"安置点「{other.site.name}」"
        raise ValidationError(
            {
                "project_code": f"项目「{project.name}」已关联到{where},一个项目只能计入一个安置点的后续扶持资金"
            }
        )
    try:
        with transaction.atomic():
            link = SiteProject.objects.create(
                site=site, project=project, region_code=site.region_code, linked_by=actor
            )
            _log(
                actor,
                "site_project",
                link.pk,
                ChangeLog.Action.CREATE,
                f"安置点「{site.name}」关联后续扶持项目:{project.code} {project.name}",
            )
    except IntegrityError:
        raise ValidationError(
            {"project_code": f"项目「{project.name}」刚刚被关联到其他安置点,请刷新页面查看"}
        ) from None
    return link


def project_unlink(*, actor: User, link: SiteProject) -> None:
    _need(actor)
    _in_scope(actor, link.region_code)
    # The project too must be the actor's (as for linking, docs/domain.md §24): a township account does not
    # unlink the county's project from a site of its township.
    _in_scope(actor, link.project.region_code)
    with transaction.atomic():
        _log(
            actor,
            "site_project",
            link.pk,
            ChangeLog.Action.DELETE,
            f"安置点「{link.site.name}」取消关联项目:{link.project.code} {link.project.name}",
        )
        link.delete()
