"""The registry in the admin. Saves of households, persons and incomes go through services.py, so an admin
edit leaves the same ChangeLog rows (source 后台) and derived fields as an edit on the household page.

The forms call the services' validators in `clean()`, so a broken rule shows as a form error, not a 500.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet, model_to_dict
from django.http import HttpRequest, HttpResponse

from dixian.common.audit import change_record
from dixian.common.models import ChangeLog

from . import choices as c
from . import services
from .models import Finding, HelperAssignment, Household, HouseholdIncome, ImportBatch, IncomeLine, Person

if TYPE_CHECKING:
    from dixian.accounts.models import User

ADMIN = ChangeLog.Source.ADMIN


def _staff(request: HttpRequest) -> User:
    """The signed-in staff account: the admin site lets no one else in (AdminSite.has_permission)."""
    return cast("User", request.user)


def _adopt(obj: Any, saved: Any) -> None:
    """Make the admin's in-memory object the record a service saved (admin logs and redirects with it)."""
    obj.pk = saved.pk
    obj.refresh_from_db()
    obj._state.adding = False


# --- households and members -----------------------------------------------------------------------------


class HouseholdAdminForm(forms.ModelForm):
    class Meta:
        model = Household
        fields = ("household_no", "region", *services.HOUSEHOLD_EDITABLE)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data  # what BaseForm.clean() returns; its stub says dict | None
        values = {**model_to_dict(self.instance, fields=services.HOUSEHOLD_EDITABLE), **data}
        services.household_validate(values)
        if data.get("region") is not None:
            services.region_validate(data["region"])
        return data


class PersonAdminForm(forms.ModelForm):
    class Meta:
        model = Person
        fields = ("household", *services.PERSON_EDITABLE)

    check_head = True

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data  # what BaseForm.clean() returns; its stub says dict | None
        household = data.get("household") or getattr(self.instance, "household", None)
        if household is None or self.errors:
            return data
        values = {name: data.get(name, getattr(self.instance, name)) for name in services.PERSON_EDITABLE}
        checked = services.person_validate(
            values, person_pk=self.instance.pk, household=household, check_head=self.check_head
        )
        data["id_number"] = checked["id_number"]
        return data


class InlinePersonForm(PersonAdminForm):
    check_head = False  # the formset sees every member and checks the one-head rule itself


class MembersFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        kept = [f for f in self.forms if f.has_changed() or f.instance.pk]
        kept = [f for f in kept if not (self.can_delete and self._should_delete_form(f))]  # type: ignore[attr-defined]  # BaseFormSet's own test, missing from django-stubs
        heads = [f for f in kept if f.cleaned_data.get("relation") == c.Relation.HEAD]
        if len(heads) > 1:
            raise ValidationError("一户只能有一位户主,请把其他成员的“与户主关系”改为相应关系。")


class PersonInline(admin.StackedInline):
    model = Person
    form = InlinePersonForm
    formset = MembersFormSet
    fields = (*services.PERSON_EDITABLE, "sex", "birth_date")
    readonly_fields = ("sex", "birth_date")
    extra = 0
    show_change_link = True


@admin.register(Household)
class HouseholdAdmin(admin.ModelAdmin):
    form = HouseholdAdminForm
    inlines = (PersonInline,)
    list_display = (
        "household_no",
        "head_name",
        "region",
        "kind",
        "monitoring_category",
        "member_count",
        "education_ok",
        "medical_ok",
        "housing_ok",
        "water_ok",
    )
    list_filter = ("kind", "monitoring_category", "housing_grade", "education_ok", "medical_ok", "housing_ok")
    search_fields = ("=household_no", "head_name")
    autocomplete_fields = ("region",)
    list_select_related = ("region",)
    readonly_fields = ("region_code", *services.HOUSEHOLD_DERIVED, "created_at", "updated_at")
    ordering = ("region_code", "id")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        fields = tuple(super().get_readonly_fields(request, obj))
        return (*fields, "household_no") if obj is not None else fields

    def save_model(self, request: HttpRequest, obj: Household, form: forms.ModelForm, change: bool) -> None:
        data = {name: form.cleaned_data[name] for name in services.HOUSEHOLD_EDITABLE}
        if change:
            changed = {name: data[name] for name in form.changed_data if name in data}
            region = form.cleaned_data["region"] if "region" in form.changed_data else None
            saved = services.household_update(
                actor=_staff(request), household=obj, data=changed, region=region, source=ADMIN
            )
        else:
            saved = services.household_create(
                actor=_staff(request),
                region=form.cleaned_data["region"],
                household_no=form.cleaned_data["household_no"],
                data=data,
                source=ADMIN,
            )
        _adopt(obj, saved)

    def save_formset(self, request: HttpRequest, form: forms.ModelForm, formset: Any, change: bool) -> None:
        if formset.model is not Person:
            super().save_formset(request, form, formset, change)
            return
        formset.save(commit=False)  # fills deleted_objects / changed_objects / new_objects without saving
        household = form.instance
        for person in formset.deleted_objects:
            services.person_delete(actor=_staff(request), person=person, source=ADMIN)
        # Whoever stops being head is saved first, so that a head swap never sees two heads at once.
        changed = sorted(formset.changed_objects, key=lambda pair: pair[0].relation == c.Relation.HEAD)
        for person, fields in changed:
            data = {name: getattr(person, name) for name in fields if name in services.PERSON_EDITABLE}
            services.person_update(actor=_staff(request), person=person, data=data, source=ADMIN)
        for person in formset.new_objects:
            data = {name: getattr(person, name) for name in services.PERSON_EDITABLE}
            _adopt(
                person,
                services.person_create(actor=_staff(request), household=household, data=data, source=ADMIN),
            )

    def delete_model(self, request: HttpRequest, obj: Household) -> None:
        _household_deleted(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Household]) -> None:
        for household in queryset:
            _household_deleted(request, household)


def _household_deleted(request: HttpRequest, household: Household) -> None:
    with transaction.atomic():
        change_record(
            actor=_staff(request),
            source=ADMIN,
            entity="household",
            entity_id=household.pk,
            household_id=household.pk,
            action=ChangeLog.Action.DELETE,
            summary=f"删除农户 {household.household_no}",
        )
        household.delete()


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    form = PersonAdminForm
    list_display = (
        "name",
        "household",
        "relation",
        "sex",
        "birth_date",
        "health_status",
        "medical_insurance",
    )
    list_filter = ("relation", "sex", "health_status", "student_status", "labour_skill", "medical_insurance")
    search_fields = ("=id_number", "name", "=household__household_no")
    raw_id_fields = ("household",)
    list_select_related = ("household",)
    readonly_fields = ("sex", "birth_date", "region_code", "created_at", "updated_at")

    def save_model(self, request: HttpRequest, obj: Person, form: forms.ModelForm, change: bool) -> None:
        data = {
            name: form.cleaned_data[name] for name in services.PERSON_EDITABLE if name in form.cleaned_data
        }
        household = form.cleaned_data["household"]
        if not change:
            _adopt(
                obj,
                services.person_create(actor=_staff(request), household=household, data=data, source=ADMIN),
            )
            return
        stored = Person.objects.select_related("household").get(pk=obj.pk)
        if household.pk != stored.household_id:
            stored = services.person_move(
                actor=_staff(request),
                person=stored,
                to_household=household,
                relation=data.get("relation"),
                source=ADMIN,
            )
        changed = {name: data[name] for name in form.changed_data if name in data}
        if changed:
            services.person_update(actor=_staff(request), person=stored, data=changed, source=ADMIN)
        _adopt(obj, stored)

    def delete_model(self, request: HttpRequest, obj: Person) -> None:
        services.person_delete(actor=_staff(request), person=obj, source=ADMIN)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Person]) -> None:
        for person in queryset.select_related("household"):
            services.person_delete(actor=_staff(request), person=person, source=ADMIN)


# --- income, income lines, helpers, imports -------------------------------------------------------------


class IncomeAdminForm(forms.ModelForm):
    class Meta:
        model = HouseholdIncome
        fields = ("household", "year", *services.INCOME_COMPONENTS, "members")

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data  # what BaseForm.clean() returns; its stub says dict | None
        year = data.get("year", self.instance.year)
        members = data.get("members", self.instance.members)
        if year is not None and members is not None:
            services.income_validate(
                year=year, members=members, components={n: data.get(n) for n in services.INCOME_COMPONENTS}
            )
        return data


@admin.register(HouseholdIncome)
class HouseholdIncomeAdmin(admin.ModelAdmin):
    form = IncomeAdminForm
    list_display = ("household", "year", "net_income", "members", "net_income_per_capita")
    list_filter = ("year",)
    search_fields = ("=household__household_no", "household__head_name")
    raw_id_fields = ("household",)
    list_select_related = ("household",)
    readonly_fields = ("net_income", "net_income_per_capita")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        fields = tuple(super().get_readonly_fields(request, obj))
        # A year's record is keyed by household and year; another year is another record.
        return (*fields, "household", "year") if obj is not None else fields

    def save_model(
        self, request: HttpRequest, obj: HouseholdIncome, form: forms.ModelForm, change: bool
    ) -> None:
        saved = services.income_upsert(
            actor=_staff(request),
            household=obj.household,
            year=obj.year,
            members=obj.members,
            source=ADMIN,
            **{name: getattr(obj, name) for name in services.INCOME_COMPONENTS},
        )
        _adopt(obj, saved)


@admin.register(IncomeLine)
class IncomeLineAdmin(admin.ModelAdmin):
    """Read only: the line is edited as R12's parameter on the rules page (筛查规则 → R12), where every
    change makes a new rule version and screening uses the version's line; that writes this table."""

    list_display = ("year", "region_label", "amount", "is_example", "updated_at")
    list_filter = ("is_example", "year")
    list_select_related = ("region",)
    ordering = ("-year",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: IncomeLine | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: IncomeLine | None = None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        self.message_user(
            request, "收入监测线在「筛查规则 → R12 人均纯收入低于监测线」中修改,每次修改生成新的规则版本。"
        )
        return super().changelist_view(request, extra_context)

    @admin.display(description="适用区划", ordering="region__code")
    def region_label(self, obj: IncomeLine) -> str:
        return str(obj.region) if obj.region_id else "全市(默认)"


@admin.register(HelperAssignment)
class HelperAssignmentAdmin(admin.ModelAdmin):
    list_display = ("helper", "household", "unit", "start_date", "end_date")
    list_filter = ("end_date",)
    search_fields = (
        "helper__username",
        "helper__first_name",
        "helper__last_name",
        "=household__household_no",
        "household__head_name",
        "unit",
    )
    raw_id_fields = ("household",)
    autocomplete_fields = ("helper",)
    list_select_related = ("helper", "household")


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    """Import batches are written by the importer; the admin shows them and may correct the note only."""

    list_display = (
        "file_name",
        "region",
        "status",
        "uploaded_by",
        "rows_total",
        "error_count",
        "households_created",
        "households_updated",
        "created_at",
    )
    list_filter = ("status",)
    search_fields = ("file_name", "checksum", "uploaded_by__username")
    list_select_related = ("region", "uploaded_by")
    readonly_fields = tuple(
        f.name for f in ImportBatch._meta.get_fields() if f.concrete and f.name not in ("id", "message")
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Finding)
class FindingAdmin(admin.ModelAdmin):
    """Findings are opened and resolved by the writes that check them (registry.findings): read only here."""

    list_display = ("household", "person", "code", "message", "source", "created_at", "resolved_at")
    list_filter = ("code", "source")
    search_fields = ("household__household_no", "code")
    list_select_related = ("household", "person")
    raw_id_fields = ("household", "person", "batch", "resolved_by")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
