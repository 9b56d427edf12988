"""docs/domain.md says what the code relies on: its glossary names the code's own names, and the numbers
that comments cite it for are the numbers the code uses."""

from __future__ import annotations

import re
from pathlib import Path

from django.apps import apps

from dixian.cases.models import Channel
from dixian.domain import household_facts
from dixian.domain.income import DEMO_INCOME_LINE
from dixian.domain.risks import RISK_TYPES

DOC = Path(__file__).resolve().parents[3] / "docs" / "domain.md"


def _text() -> str:
    return DOC.read_text(encoding="utf-8")


def _section(number: int) -> str:
    parts = re.split(r"^## ", _text(), flags=re.MULTILINE)
    section = next(part for part in parts if part.startswith(f"§{number} "))
    return " ".join(section.replace("**", "").split())


def _glossary() -> str:
    return next(
        part for part in re.split(r"^## ", _text(), flags=re.MULTILINE) if part.startswith("Glossary")
    )


def test_sections_are_numbered_from_one_in_order():
    # New sections are added at the end (§18 national dictionaries, issue 13), so citations keep their text.
    numbers = [int(n) for n in re.findall(r"^## §(\d+) ", _text(), flags=re.MULTILINE)]
    assert numbers == list(range(1, len(numbers) + 1)) and len(numbers) >= 18


def test_the_glossary_names_the_models_the_code_has():
    glossary = _glossary()
    for app, model in (
        ("regions", "Region"),
        ("registry", "Household"),
        ("registry", "Person"),
        ("registry", "HouseholdIncome"),
        ("registry", "IncomeLine"),
        ("registry", "HelperAssignment"),
        ("cases", "Alert"),
        ("cases", "UnmatchedRecord"),
        ("feeds", "FeedDelivery"),
        ("screening", "Rule"),
        ("screening", "RuleVersion"),
        ("screening", "ScreeningRun"),
        ("declarations", "Declaration"),
        ("visits", "Visit"),
    ):
        apps.get_model(app, model)  # the name exists in the code
        assert f"`{model}`" in glossary, model


def test_the_glossary_gives_the_codes_of_kinds_categories_fields_and_channels():
    rows = _glossary().splitlines()

    def has_row(*words: str) -> bool:
        return any(all(word in row for word in words) for row in rows)

    household = apps.get_model("registry", "Household")
    for field in ("kind", "monitoring_category"):
        for value, label in household._meta.get_field(field).choices or ():
            if value:
                assert has_row(str(label), f"`{value}`"), (field, value)
    for field in ("education_ok", "medical_ok", "housing_ok", "water_ok"):
        household._meta.get_field(field)
        assert has_row(f"`{field}`"), field
    income = apps.get_model("registry", "HouseholdIncome")
    for field in ("net_income", "net_income_per_capita"):
        income._meta.get_field(field)
        assert has_row(f"`{field}`"), field
    for channel in Channel:
        assert has_row(channel.label, f"`{channel.value}`"), channel


def test_the_risk_dictionary_of_section_3_is_the_codes():
    section = _section(3)
    for code, risk in RISK_TYPES.items():
        assert f"`{code}`" in section, code
        short = risk.name.split("(", 1)[1].rstrip(")") if len(code) == 4 else risk.name
        assert re.search(rf"`{code}`\s*\|?\s*{re.escape(short)}", section), (code, short)


def test_the_demo_income_line_of_section_2_is_the_seeded_one():
    section = _section(2)
    shown = " · ".join(f"{year}: {amount:,}" for year, amount in sorted(DEMO_INCOME_LINE.items()))
    assert shown in section


def test_the_ages_and_years_the_registry_checks_are_those_of_sections_1_and_8():
    years = household_facts.POVERTY_EXIT_YEARS
    assert f"between {years[0]} and {years[-1]} inclusive" in _section(1)
    ages = household_facts.SCHOOL_AGES
    assert f"aged {ages[0]} to {ages[-1]}" in _section(8)
