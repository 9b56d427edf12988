"""Writes to the registry: every change runs in one transaction and leaves ChangeLog rows behind.

Each service takes `actor=` (the account that asked) and `source=` (web page, admin, import...), locks the
household row so that two editors of one household are serialised, applies the domain rules, writes the
change log with field-level old → new values, and refreshes the household's derived fields.

Rules that need the database or several fields at once (ID number unique, one head per household,
disability category with grade...) live here and raise `ValidationError` keyed by field name, so that a
form can show each message next to its input. Forms only check the shape of the input.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.forms.models import model_to_dict
from django.utils import timezone

from dixian.common.audit import change_record, diff_fields
from dixian.common.locks import RUNS_LOCK, transaction_lock
from dixian.common.models import ChangeLog
from dixian.domain import dictionaries, household_facts, household_rules
from dixian.domain.income import FIRST_INCOME_YEAR

from . import choices as c
from .findings import household_findings_refresh
from .models import (
    HOUSEHOLD_DETAIL_FIELDS,
    PERSON_DETAIL_FIELDS,
    Household,
    HouseholdIncome,
    IncomeDeclared,
    Person,
)
from .parsing import ParseError, parse_id_number
from .signals import household_moved, person_moved

if TYPE_CHECKING:
    from dixian.accounts.models import User
    from dixian.regions.models import Region

Source = ChangeLog.Source

# Fields a service may change. Everything else on the models is derived or a key.
HOUSEHOLD_EDITABLE = HOUSEHOLD_DETAIL_FIELDS
PERSON_EDITABLE = ("id_number", "name", "relation", *PERSON_DETAIL_FIELDS)
# Derived from the ID number, never typed (docs/domain.md §14: sex and birth date come with the ID).
PERSON_FROM_ID = ("sex", "birth_date")
PERSON_LOGGED = PERSON_EDITABLE + PERSON_FROM_ID
HOUSEHOLD_DERIVED = household_facts.FACTS
INCOME_COMPONENTS = (
    "wages",
    "business",
    "property",
    "transfers",
    "production_costs",
    "eligible_out_of_pocket",
    "insurance_payout",
)
INCOME_LOGGED = (*INCOME_COMPONENTS, "members", "declared", "net_income", "net_income_per_capita")

CENT = Decimal("0.01")


# --- ID numbers ----------------------------------------------------------------------------------------


def id_number_normalise(value: str) -> str:
    return "".join(str(value).split()).upper()


def id_number_facts(value: str, *, today: dt.date | None = None) -> tuple[str, str, dt.date]:
    """(normalised number, sex, birth date) of a resident ID number, or ValidationError.

    The same rule as the workbook import (parsing.parse_id_number): 18 digits with a valid check digit, a
    known division code and a real birth date; an old 15-digit number is upgraded. Sex is the parity of
    the 17th digit (odd: male), the birth date digits 7-14: never typed separately.
    """
    try:
        parsed = parse_id_number(id_number_normalise(value), today=today or timezone.localdate())
    except ParseError as exc:
        raise ValidationError(str(exc), code="id_invalid") from None
    return parsed.number, parsed.sex, parsed.birth_date


# --- derived household fields ---------------------------------------------------------------------------


def household_derived_values(
    household: Household, members: Iterable[Person], *, today: dt.date | None = None
) -> dict[str, Any]:
    """The derived fields of a household from its members and housing (pure: no query)."""
    return household_facts.household_facts(
        household.housing_grade, members, today=today or timezone.localdate()
    )


def household_refresh_derived(household: Household, *, today: dt.date | None = None) -> dict[str, list[Any]]:
    """Recompute member_count, head_name, illness/disability flags and 三保障 flags; save what changed.

    Returns the changes ({field: [old, new]}) so that the calling service can log them.
    """
    members = list(Person.objects.filter(household=household))
    new = household_derived_values(household, members, today=today)
    changes = diff_fields(model_to_dict(household, fields=HOUSEHOLD_DERIVED), new, HOUSEHOLD_DERIVED)
    if changes:
        for field in changes:
            setattr(household, field, new[field])
        household.save(update_fields=[*changes, "updated_at"])
    return changes


def _log_derived(
    *,
    actor: User | None,
    source: str,
    household: Household,
    changes: dict[str, list[Any]],
    summary: str = "随成员或住房信息自动更新",
) -> None:
    if changes:
        change_record(
            actor=actor,
            source=source,
            entity="household",
            entity_id=household.pk,
            household_id=household.pk,
            action=ChangeLog.Action.UPDATE,
            changes=changes,
            summary=summary,
        )


def households_refresh_by_age(*, today: dt.date | None = None) -> int:
    """Bring the 义务教育 flag (education_ok) of the households up to `today`: a dropout member's age alone
    moves it (into or out of the compulsory-school ages) with nobody editing the household. Only households
    with a dropout member, or whose flag is still down, can change; each is locked, its flag recomputed and
    a change logged. Returns how many changed."""
    today = today or timezone.localdate()
    candidates = set(
        Person.objects.filter(student_status__in=dictionaries.STAGE_CODES[dictionaries.DROPOUT]).values_list(
            "household_id", flat=True
        )
    ) | set(Household.objects.filter(education_ok=False).values_list("pk", flat=True))
    changed = 0
    for pk in sorted(candidates):
        with transaction.atomic():
            household = Household.objects.select_for_update().filter(pk=pk).first()
            if household is None:
                continue
            # Only the flag the calendar moves: the other derived fields change with edits, logged there.
            members = Person.objects.filter(household=household)
            new = household_derived_values(household, members, today=today)["education_ok"]
            if new == household.education_ok:
                continue
            changes = {"education_ok": [household.education_ok, new]}
            household.education_ok = new
            household.save(update_fields=["education_ok", "updated_at"])
            _log_derived(
                actor=None,
                source=ChangeLog.Source.SYSTEM,
                household=household,
                changes=changes,
                summary="辍学成员年龄变化,义务教育保障状态自动更新",
            )
            changed += 1
    return changed


def _whole(values: Mapping[str, Any], *, removed: bool = False) -> dict[str, list[Any]]:
    """The change-log form of a record created (None → value) or removed (value → None); blanks left out."""
    filled = {k: v for k, v in values.items() if v not in ("", None)}
    changes = diff_fields({}, filled, filled)
    return {k: v[::-1] for k, v in changes.items()} if removed else changes


def _lock(household: Household) -> Household:
    return Household.objects.select_for_update().get(pk=household.pk)


def _reject_unknown(data: Mapping[str, Any], allowed: Iterable[str]) -> None:
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValueError(f"fields not editable here: {sorted(unknown)}")


# --- households -----------------------------------------------------------------------------------------


def household_validate(values: Mapping[str, Any]) -> None:
    """The household rules over a full set of values (kind, year out of poverty, monitoring category)."""
    problems = household_rules.household_problems(
        values.get("kind"), values.get("year_out_of_poverty"), values.get("monitoring_category")
    )
    errors = {field: f"{message}。" for field, message in problems}
    if errors:
        raise ValidationError(errors)


def region_validate(region: Region) -> None:
    if region.level not in ("village", "group"):
        raise ValidationError({"region": "农户只能归属到村或村民小组,请选择村(组)。"})
    if region.retired_on is not None:  # docs/domain.md §19: households leave a retired unit, none join it
        raise ValidationError(
            {
                "region": f"「{region.full_name or region.name}」已撤销,不能再登记或迁入农户。请选择使用中的村(组)。"
            }
        )


def household_create(
    *,
    actor: User | None,
    region: Region,
    household_no: str,
    data: Mapping[str, Any],
    source: str = Source.WEB,
) -> Household:
    _reject_unknown(data, HOUSEHOLD_EDITABLE)
    household_no = household_no.strip()
    if Household.objects.filter(household_no=household_no).exists():
        raise ValidationError({"household_no": "该户编号已登记,请核对后再填写。"})
    region_validate(region)
    household_validate(data)
    with transaction.atomic():
        household = Household(household_no=household_no, region=region, region_code=region.code, **data)
        household.save()
        household_refresh_derived(household)
        household_findings_refresh([household], actor=actor, source=source)
        change_record(
            actor=actor,
            source=source,
            entity="household",
            entity_id=household.pk,
            household_id=household.pk,
            action=ChangeLog.Action.CREATE,
            summary=f"新增农户 {household_no}",
            changes=_whole(model_to_dict(household, fields=HOUSEHOLD_EDITABLE)),
        )
    return household


def household_update(
    *,
    actor: User | None,
    household: Household,
    data: Mapping[str, Any],
    source: str = Source.WEB,
    region: Region | None = None,
) -> Household:
    """Change household fields. `region` moves the household to another village (or group), and with it
    its members and every record of the apps above that is scoped by a copy of its code: alerts, their
    evidence, visits, declarations, link candidates (docs/security.md §4). All in one transaction; the move
    is one change-log row (action 迁移) that names what moved, other field changes another (修改)."""
    _reject_unknown(data, HOUSEHOLD_EDITABLE)
    with transaction.atomic():
        if region is not None:
            # Before the household's row lock: a screening run holds this while it stores (inserting
            # evidence of this household), and must not wait for us while we wait for it.
            transaction_lock(RUNS_LOCK)
        locked = _lock(household)
        old = model_to_dict(locked, fields=HOUSEHOLD_EDITABLE)
        old_code = locked.region_code
        household_validate({**old, **data})
        for field, value in data.items():
            setattr(locked, field, value)
        moving = region is not None and region.code != locked.region_code
        if region is not None and moving:
            region_validate(region)
            locked.region, locked.region_code = region, region.code
            Person.objects.filter(household=locked).update(region_code=region.code)
        locked.save()
        changes = diff_fields(old, model_to_dict(locked, fields=HOUSEHOLD_EDITABLE), HOUSEHOLD_EDITABLE)
        changes.update(household_refresh_derived(locked))
        household_findings_refresh([locked], actor=actor, source=source)
        if changes:
            change_record(
                actor=actor,
                source=source,
                entity="household",
                entity_id=locked.pk,
                household_id=locked.pk,
                action=ChangeLog.Action.UPDATE,
                changes=changes,
                summary=f"修改农户 {locked.household_no}",
            )
        if region is not None and moving:
            moved = household_followers_move({locked.pk: region})[locked.pk]
            change_record(
                actor=actor,
                source=source,
                entity="household",
                entity_id=locked.pk,
                household_id=locked.pk,
                action=ChangeLog.Action.MOVE,
                changes=household_move_changes(old_code, region.code, moved),
                summary=household_move_summary(locked.household_no, region, moved),
            )
    return locked


def household_followers_move(moves: Mapping[int, Region]) -> dict[int, dict[str, list[int]]]:
    """Move the records of the apps above that copy the households' region (docs/security.md §4).

    Call inside the transaction that moves the households. Returns, per household, what moved
    ({label: [pks]}) for its change-log row. A receiver that fails raises, and the caller's transaction
    rolls the whole move back.
    """
    moved: dict[int, dict[str, list[int]]] = {pk: {} for pk in moves}
    if not moves:
        return moved
    for _receiver, response in household_moved.send(sender=Household, moves=moves):
        answer: Mapping[int, Mapping[str, list[int]]] = response or {}  # type: ignore[assignment]  # Signal.send is typed loosely; receivers answer this shape (signals.py)
        for pk, rows in answer.items():
            for label, pks in rows.items():
                moved.setdefault(pk, {}).setdefault(label, []).extend(pks)
    return moved


MOVED_IDS_SHOWN = 20  # a record kind with more rows than this is named by its count alone


def household_moved_text(moved: Mapping[str, list[int]]) -> str:
    """What moved with a household, as the history reads it: 预警线索 2 条(#3、#4)、走访记录 1 条(#9)."""
    parts = []
    for label, pks in moved.items():
        if not pks:
            continue
        ids = sorted(pks)
        shown = f"(#{'、#'.join(str(pk) for pk in ids)})" if len(ids) <= MOVED_IDS_SHOWN else ""
        parts.append(f"{label} {len(ids)} 条{shown}")
    return "、".join(parts) or "无其他记录"


def household_move_changes(
    old_code: str, new_code: str, moved: Mapping[str, list[int]]
) -> dict[str, list[Any]]:
    return {"region_code": [old_code, new_code], "moved_with": ["", household_moved_text(moved)]}


def household_move_summary(household_no: str, region: Region, moved: Mapping[str, list[int]]) -> str:
    counts = "、".join(f"{label} {len(pks)} 条" for label, pks in moved.items() if pks) or "无其他记录"
    return f"农户 {household_no} 迁至 {region.full_name or region.name},随户迁移:{counts}"


# --- persons --------------------------------------------------------------------------------------------


def person_validate(
    values: dict[str, Any], *, person_pk: int | None, household: Household, check_head: bool = True
) -> dict[str, Any]:
    """Apply the person rules to the full set of values; return them with sex/birth date from the ID.

    `check_head=False` leaves the one-head rule to a caller that sees all members at once (admin inline).
    """
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if not str(values.get("name") or "").strip():
        add("name", "请填写姓名。")
    if not values.get("relation"):
        add("relation", "请选择与户主关系。")
    if not values.get("labour_skill"):
        add("labour_skill", "请选择劳动技能。")
    try:
        values["id_number"], values["sex"], values["birth_date"] = id_number_facts(
            values.get("id_number") or ""
        )
    except ValidationError as exc:
        add("id_number", exc.messages[0])
    else:
        # Say only that the number exists: naming the other household could reveal a record out of scope.
        if Person.objects.filter(id_number=values["id_number"]).exclude(pk=person_pk).exists():  # type: ignore[misc]  # pk=None (a new person) is `pk IS NULL`: excludes no one, as meant
            add(
                "id_number",
                "该证件号码已在系统中登记,同一人只能属于一户。若此人已迁入本户,请在原户办理迁移。",
            )
    if check_head and household.pk is not None and values.get("relation") == c.Relation.HEAD:
        other_head = Person.objects.filter(household=household, relation=c.Relation.HEAD).exclude(
            pk=person_pk  # type: ignore[misc]  # pk=None (a new person) is `pk IS NULL`: excludes no one, as meant
        )
        if other_head.exists():
            add("relation", "本户已有户主,请先把原户主的“与户主关系”改为其他关系。")
    months = values.get("months_worked")
    if months is not None and not 0 <= months <= 12:
        add("months_worked", "务工时间应在0到12个月之间。")
    # The person rules that only flag an inconsistency (疑点) do not block saving: the service that saves
    # rechecks the household's findings (registry.findings, docs/domain.md §14).
    if errors:
        raise ValidationError(errors)
    return values


def person_create(
    *, actor: User | None, household: Household, data: Mapping[str, Any], source: str = Source.WEB
) -> Person:
    _reject_unknown(data, PERSON_EDITABLE)
    with transaction.atomic():
        locked = _lock(household)
        defaults = model_to_dict(Person(), fields=PERSON_EDITABLE)
        values = person_validate({**defaults, **data}, person_pk=None, household=locked)
        person = Person.objects.create(household=locked, region_code=locked.region_code, **values)
        change_record(
            actor=actor,
            source=source,
            entity="person",
            entity_id=person.pk,
            household_id=locked.pk,
            action=ChangeLog.Action.CREATE,
            summary=f"新增成员 {person.name}",
            changes=_whole(model_to_dict(person, fields=PERSON_LOGGED)),
        )
        _log_derived(actor=actor, source=source, household=locked, changes=household_refresh_derived(locked))
        household_findings_refresh([locked], actor=actor, source=source)
    return person


def person_update(
    *, actor: User | None, person: Person, data: Mapping[str, Any], source: str = Source.WEB
) -> Person:
    _reject_unknown(data, PERSON_EDITABLE)
    with transaction.atomic():
        household = _lock(person.household)
        locked = Person.objects.get(pk=person.pk)
        old = model_to_dict(locked, fields=PERSON_LOGGED)
        values = person_validate({**old, **data}, person_pk=locked.pk, household=household)
        changes = diff_fields(old, values, PERSON_LOGGED)
        if changes:
            for field in changes:
                setattr(locked, field, values[field])
            locked.save()
            change_record(
                actor=actor,
                source=source,
                entity="person",
                entity_id=locked.pk,
                household_id=household.pk,
                action=ChangeLog.Action.UPDATE,
                changes=changes,
                summary=f"修改成员 {locked.name}",
            )
            _log_derived(
                actor=actor, source=source, household=household, changes=household_refresh_derived(household)
            )
            household_findings_refresh([household], actor=actor, source=source)
    return locked


def person_delete(*, actor: User | None, person: Person, source: str = Source.WEB) -> None:
    """Remove a person recorded by mistake (a person who left is moved, not deleted)."""
    with transaction.atomic():
        household = _lock(person.household)
        locked = Person.objects.get(pk=person.pk)
        change_record(
            actor=actor,
            source=source,
            entity="person",
            entity_id=locked.pk,
            household_id=household.pk,
            action=ChangeLog.Action.DELETE,
            summary=f"删除成员 {locked.name}",
            changes=_whole(model_to_dict(locked, fields=PERSON_LOGGED), removed=True),
        )
        locked.delete()
        _log_derived(
            actor=actor, source=source, household=household, changes=household_refresh_derived(household)
        )
        household_findings_refresh([household], actor=actor, source=source)


def person_move(
    *,
    actor: User | None,
    person: Person,
    to_household: Household,
    relation: str | None = None,
    source: str = Source.WEB,
) -> Person:
    """Move a person to another household (分户、合户、婚迁): a person belongs to one household at a time.

    Both households get a history row and have their derived fields refreshed. The head of a household
    that keeps other members cannot leave until another member is made head.
    """
    if to_household.pk == person.household_id:
        raise ValidationError({"household_no": "此人已在该户,无需迁移。"})
    with transaction.atomic():
        # Lock both rows in primary-key order so that two opposite moves cannot deadlock.
        locked = {
            h.pk: h
            for h in Household.objects.select_for_update()
            .filter(pk__in=[person.household_id, to_household.pk])
            .order_by("pk")
        }
        source_household, target = locked[person.household_id], locked[to_household.pk]
        moving = Person.objects.get(pk=person.pk)
        new_relation = relation or moving.relation
        if (
            moving.relation == c.Relation.HEAD
            and Person.objects.filter(household=source_household).count() > 1
        ):
            raise ValidationError(
                {"relation": "此人是原户户主,原户还有其他成员:请先为原户指定新户主,再办理迁移。"}
            )
        if (
            new_relation == c.Relation.HEAD
            and Person.objects.filter(household=target, relation=c.Relation.HEAD).exists()
        ):
            raise ValidationError({"relation": "迁入户已有户主,请选择此人与迁入户户主的关系。"})
        old_relation, old_code = moving.relation, moving.region_code
        moving.household, moving.region_code, moving.relation = target, target.region_code, new_relation
        moving.save()
        if old_code != target.region_code:
            # Records kept per person follow the person (docs/security.md §4).
            person_moved.send(
                sender=Person, moves={moving.pk: target.region_code}, left={moving.pk: source_household.pk}
            )
        changes: dict[str, list[Any]] = {"household": [source_household.pk, target.pk]}
        if old_relation != new_relation:
            changes["relation"] = [old_relation, new_relation]
        for household_id, summary in (
            (source_household.pk, f"成员 {moving.name} 迁出"),
            (target.pk, f"成员 {moving.name} 迁入"),
        ):
            change_record(
                actor=actor,
                source=source,
                entity="person",
                entity_id=moving.pk,
                household_id=household_id,
                action=ChangeLog.Action.MOVE,
                changes=changes,
                summary=summary,
            )
        for household in (source_household, target):
            _log_derived(
                actor=actor, source=source, household=household, changes=household_refresh_derived(household)
            )
        household_findings_refresh([source_household, target], actor=actor, source=source)
    return moving


# --- income ---------------------------------------------------------------------------------------------


def income_validate(*, year: int, members: int, components: Mapping[str, Decimal | None]) -> None:
    errors: dict[str, str] = {
        name: "金额不能为负数。"
        for name, value in components.items()
        if value is not None and Decimal(value) < 0
    }
    this_year = timezone.localdate().year
    if not FIRST_INCOME_YEAR <= year <= this_year:
        errors["year"] = f"收入年度应在{FIRST_INCOME_YEAR}年至{this_year}年之间。"
    if members < 1:
        errors["members"] = "计算人口数至少为1;本户还没有成员时,请先登记成员。"
    if errors:
        raise ValidationError(errors)


def income_upsert(
    *,
    actor: User | None,
    household: Household,
    year: int,
    wages: Decimal = Decimal(0),
    business: Decimal = Decimal(0),
    property: Decimal = Decimal(0),
    transfers: Decimal = Decimal(0),  # noqa: A002
    production_costs: Decimal = Decimal(0),
    eligible_out_of_pocket: Decimal = Decimal(0),
    insurance_payout: Decimal = Decimal(0),
    members: int | None = None,
    source: str = Source.WEB,
) -> HouseholdIncome:
    """Record one year's income of a household; net and per-capita income follow docs/domain.md §2.

    `members` is the household size the income is divided by; by default the current member count.
    """
    components = {
        "wages": wages,
        "business": business,
        "property": property,
        "transfers": transfers,
        "production_costs": production_costs,
        "eligible_out_of_pocket": eligible_out_of_pocket,
        "insurance_payout": insurance_payout,
    }
    with transaction.atomic():
        locked = _lock(household)
        members = locked.member_count if members is None else members
        income_validate(year=year, members=members, components=components)
        income = HouseholdIncome.objects.filter(household=locked, year=year).first()
        created = income is None
        if income is None:
            income = HouseholdIncome(household=locked, year=year)
        old = {} if created else model_to_dict(income, fields=INCOME_LOGGED)
        for name, value in components.items():
            # Stored with two decimals: quantise first so that 10000 and 10000.00 compare equal in the log.
            setattr(income, name, Decimal(value).quantize(CENT))
        income.members = members
        # The form enters the components: the net income is computed from them again (docs/domain.md §2),
        # unless the year's net was declared as a whole and the form leaves every component at 0 (saving
        # the members alone must not wipe the declared figure).
        if any(Decimal(v) for v in components.values()) or not income.declared:
            income.declared = IncomeDeclared.COMPUTED
        income.recompute()
        changes = diff_fields(old, model_to_dict(income, fields=INCOME_LOGGED), INCOME_LOGGED)
        if changes:
            income.save()
            change_record(
                actor=actor,
                source=source,
                entity="income",
                entity_id=income.pk,
                household_id=locked.pk,
                action=ChangeLog.Action.CREATE if created else ChangeLog.Action.UPDATE,
                changes=changes,
                summary=f"{year}年收入",
            )
        household_findings_refresh([locked], actor=actor, source=source, income_years=[year])
    return income
