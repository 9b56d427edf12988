"""The registry reads, offers and writes the national dictionaries' values (docs/domain.md §18)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from dixian.domain import dictionaries as d
from dixian.registry import exports
from dixian.registry.forms import PersonForm
from dixian.registry.imports import registry_import
from dixian.registry.models import Household, ImportBatch, Person
from dixian.registry.template import BY_FIELD
from dixian.registry.tests.workbooks import person_row, write_workbook

NO = "3604241002010301"


def book(son_status: str) -> list[dict]:
    return [
        person_row(NO, "02", "王大田", dt.date(1975, 3, 1), 301, ethnicity="01", labour_skill="技能劳动力"),
        person_row(
            NO,
            "配偶",
            "刘春花",
            dt.date(1976, 5, 6),
            302,
            labour_skill="弱劳动力或半劳动力 ",
            health_status="患有大病,残疾",
            disability_category="4",
            disability_grade="二级",
        ),
        person_row(
            NO,
            "之子",
            "王小田",
            dt.date(2013, 3, 10),
            303,
            student_status=son_status,
            labour_skill="无劳动力",
            ethnicity="汉",
        ),
    ]


@pytest.mark.django_db
def test_a_book_in_national_spellings_imports_and_grade_level_is_kept(tmp_path: Path, world) -> None:
    batch = registry_import(
        path=write_workbook(tmp_path / "a.xlsx", book("初中一年级")), actor=None, region=world.county
    )
    assert batch.status == ImportBatch.Status.IMPORTED, batch.errors
    head, spouse, son = (Person.objects.get(name=n) for n in ("王大田", "刘春花", "王小田"))
    assert (head.relation, head.ethnicity, head.labour_skill) == ("head", "汉族", "skilled")
    assert (spouse.labour_skill, spouse.health_status) == ("weak", "major_illness")
    assert (spouse.disability_category, spouse.disability_grade) == ("physical", 2)
    assert son.student_status == "grade_7"
    household = Household.objects.get(household_no=NO)
    assert household.education_ok and household.has_illness and household.has_disability

    # The same 13-year-old, now out of school: 义务教育 is not secured, whichever spelling the book uses.
    batch = registry_import(
        path=write_workbook(tmp_path / "b.xlsx", book("辍学")), actor=None, region=world.county
    )
    assert batch.status == ImportBatch.Status.IMPORTED, batch.errors
    assert Person.objects.get(name="王小田").student_status == "dropout"
    assert not Household.objects.get(household_no=NO).education_ok


@pytest.mark.django_db
def test_an_unknown_value_is_a_row_error_listing_the_official_values(tmp_path: Path, world) -> None:
    rows = book("七年级")
    rows[1]["labour_skill"] = "会开拖拉机"
    batch = registry_import(path=write_workbook(tmp_path / "c.xlsx", rows), actor=None, region=world.county)
    assert batch.status != ImportBatch.Status.IMPORTED
    reasons = " | ".join(e["reason"] for e in batch.errors)
    assert "会开拖拉机" in reasons and "弱劳动力或半劳动力" in reasons
    assert not Person.objects.filter(name="刘春花").exists()


def test_the_member_form_offers_grade_level_values_grouped_by_stage() -> None:
    form = PersonForm(may_view_pii=True)
    html = str(form["student_status"])
    assert '<optgroup label="初中">' in html and ">七年级<" in html and ">初中<" in html
    assert form.fields["student_status"].clean("grade_7") == "grade_7"
    assert ">弱劳动力或半劳动力<" in str(form["labour_skill"])


def test_exports_and_the_template_speak_the_official_labels() -> None:
    assert exports.STUDENT["grade_7"] == "七年级"
    assert exports.SKILL["weak"] == "弱劳动力或半劳动力"
    assert exports.HEALTH["major_illness"] == "患有大病"
    for field, dictionary in d.DICTIONARIES.items():
        if field in BY_FIELD and field not in ("student_status", "ethnicity"):
            for value in dictionary.values:
                if value.code not in ("", None):
                    assert value.label in BY_FIELD[field].note, (field, value.label)
    assert "七年级" in BY_FIELD["student_status"].note
