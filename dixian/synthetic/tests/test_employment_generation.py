"""The generated employment survey, 公益性岗位 and relocation sites (employment.py, relocation.py): every record
obeys docs/domain.md §23, the monthly count stands a little above the base year's, the 人社 feed agrees with the
records but for the planted contradictions, and the sites follow §24. One township, generated once."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from dixian.domain import dictionaries as d
from dixian.domain import employment as e
from dixian.domain.idnumber import normalised_ids
from dixian.synthetic.employment import BASE_YEAR, FALLING_TOWNSHIPS, MISMATCHES, survey_months
from dixian.synthetic.feeds import DEFAULT_PERIOD
from dixian.synthetic.generate import Manifest, generate

SEED = 20261129


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Manifest]:
    out = tmp_path_factory.mktemp("township")
    return out, generate(scale="township", seed=SEED, out=out)


def read(directory: Path, name: str) -> pl.DataFrame:
    return pl.read_parquet(directory / f"{name}.parquet")


def test_every_record_obeys_the_survey_rules(world) -> None:
    directory, manifest = world
    survey = read(directory, "employment_survey")
    assert manifest.employment is not None and survey.height == manifest.employment["survey"] > 1000
    base, current = survey_months(DEFAULT_PERIOD)
    assert set(survey["month"].unique().to_list()) == set(base) | set(current)
    assert survey.select("id_number", "month").is_duplicated().sum() == 0
    codes = {name: {str(v.code) for v in e.DICTIONARIES[name].values} for name in e.DICTIONARIES}
    working, idle = survey.filter("working"), survey.filter(~pl.col("working"))
    # Working ⇒ place tier and channel (and a wage band), no reason; not working ⇒ reason and willingness.
    assert working["place_tier"].is_in(list(codes["place_tier"])).all()
    assert working["channel"].is_in(list(codes["channel"])).all()
    assert working["wage_band"].is_in(list(codes["wage_band"])).all()
    assert (working["not_working_reason"] == "").all() and working["willing"].is_null().all()
    assert idle["not_working_reason"].is_in(list(codes["not_working_reason"])).all()
    assert idle["willing"].is_not_null().all()
    assert (
        (idle["place_tier"] == "").all() and (idle["channel"] == "").all() and (idle["wage_band"] == "").all()
    )
    # Months worked: never more than the months elapsed, and one more exactly when the month is worked.
    assert (survey["months_worked"] <= survey["month"].dt.month()).all()
    steps = (
        survey.sort("id_number", "month")
        .with_columns(
            pl.col("month").shift().over("id_number").alias("prev_month"),
            pl.col("months_worked").shift().over("id_number").alias("prev_worked"),
        )
        .filter(
            (pl.col("prev_month").dt.offset_by("1mo") == pl.col("month")) & (pl.col("month").dt.month() > 1)
        )
    )
    assert steps.height > 1000
    assert (steps["months_worked"] - steps["prev_worked"] == steps["working"].cast(pl.Int16)).all()
    # Recorded in the month, never after the period.
    assert (survey["recorded_on"].dt.truncate("1mo") == survey["month"]).all()
    assert survey["month"].max() == dt.date(2026, 10, 1)


def test_the_records_are_of_the_labour_roll(world) -> None:
    directory, _ = world
    survey = read(directory, "employment_survey")
    people = read(directory, "persons").join(read(directory, "households"), on="household_no")
    rows = survey.join(people, on="id_number")
    assert rows.height == survey.height
    poor = (rows["kind"] == d.EX_POOR) | (rows["monitoring_category"] != "")
    assert poor.all() and rows["labour_skill"].is_in(e.ROLL_SKILLS).all()
    age = rows.select(
        (
            pl.col("month").dt.offset_by("1mo").dt.offset_by("-1d").dt.year()
            - pl.col("birth_date").dt.year()
            - (
                pl.col("month").dt.offset_by("1mo").dt.offset_by("-1d").dt.ordinal_day()
                < pl.col("birth_date").dt.ordinal_day()
            ).cast(pl.Int32)
        ).alias("age")
    )["age"]
    # Day-of-year ages can be a day off around 29 February: allow the bounds' neighbours only there.
    assert age.is_between(e.DEFAULT_AGE_MIN - 1, e.DEFAULT_AGE_MAX + 1).all()
    assert (age.is_between(e.DEFAULT_AGE_MIN, e.DEFAULT_AGE_MAX)).mean() > 0.999


def test_the_count_stands_a_little_above_the_base_year_and_one_township_falls(world) -> None:
    directory, manifest = world
    survey = read(directory, "employment_survey")
    employed = survey.filter("working").group_by("month").len()
    by_month = dict(employed.iter_rows())
    _, current = survey_months(DEFAULT_PERIOD)
    for month in current:
        ratio = by_month[month] / by_month[dt.date(BASE_YEAR, month.month, 1)]
        assert 1.0 <= ratio <= 1.015, (month, ratio)
    # About three in four workers work, in the tiers of the city's reports.
    this_year = survey.filter(pl.col("month") >= current[0])
    assert 0.72 <= this_year["working"].mean() <= 0.84
    tiers = this_year.filter("working")["place_tier"].value_counts(normalize=True)
    share = dict(tiers.iter_rows())
    assert 0.3 <= share[e.IN_COUNTY] <= 0.55 and 0.25 <= share[e.OUT_OF_PROVINCE] <= 0.45
    # The period's month: the planned townships fall from the month before, no other.
    last, before = current[-1], current[-2]
    townships = (
        survey.filter(pl.col("working") & pl.col("month").is_in([before, last]))
        .group_by(pl.col("region_code").str.slice(0, 9).alias("township"))
        .agg((pl.col("month") == last).sum().alias("now"), (pl.col("month") == before).sum().alias("before"))
    )
    falling = townships.filter(pl.col("now") < pl.col("before"))
    assert falling.height == FALLING_TOWNSHIPS["township"] == manifest.employment["falling_townships"]


def test_the_records_agree_with_the_employment_feed_but_for_the_planted_few(world) -> None:
    directory, manifest = world
    survey = read(directory, "employment_survey")
    feed = read(directory, "feeds/employment").rename({"身份证号码": "id_number", "登记类型": "event_type"})
    facts = feed.select(
        normalised_ids(feed["id_number"]).alias("id_number"), "event_type", pl.col("日期").alias("on")
    ).drop_nulls("id_number")
    # The latest row up to each record's month end decides what the record must say (docs/domain.md §23, 比对).
    joined = (
        survey.select("id_number", "month", "working")
        .with_columns(pl.col("month").dt.month_end().alias("end"))
        .join(facts, on="id_number")
        .filter(pl.col("on") <= pl.col("end"))
        .sort("on")
        .group_by("id_number", "month", maintain_order=True)
        .agg(pl.col("working").last(), pl.col("event_type").last())
    )
    assert joined.height > 100
    contradicts = joined.filter(pl.col("working") != (pl.col("event_type") == "就业登记"))
    assert contradicts["month"].unique().to_list() == [dt.date(2026, 10, 1)]
    assert contradicts.height == MISMATCHES["township"] == manifest.employment["mismatches"]


def test_graduates_and_post_holders_tell_their_story(world) -> None:
    directory, manifest = world
    survey = read(directory, "employment_survey")
    education = read(directory, "feeds/education")
    id_col, status_col = "身份证号", "在校状态"
    graduated = education.filter(pl.col(status_col) == "毕业")
    persons = read(directory, "persons")
    grads = persons.filter(
        pl.col("id_number").is_in(graduated[id_col].implode())
        & pl.col("student_status").is_in(["secondary_vocational", "higher_vocational"])
    )
    assert grads.height == manifest.employment["graduates"] >= 1
    # On the roll from graduation only, and no autumn 在读 row any more.
    first = (
        survey.filter(pl.col("id_number").is_in(grads["id_number"].implode()))
        .group_by("id_number")
        .agg(pl.col("month").min())
    )
    assert (first["month"] >= dt.date(2026, 6, 1)).all()
    later = education.filter(
        pl.col(id_col).is_in(grads["id_number"].implode()) & (pl.col(status_col) == "在读")
    )
    assert later.filter(pl.col("状态日期") >= dt.date(2026, 7, 1)).height == 0

    holdings = read(directory, "employment_holdings")
    payments = read(directory, "employment_payments")
    posts = read(directory, "employment_posts")
    assert holdings.height == posts.height >= 5 and holdings["end"].is_null().all()
    held = survey.join(holdings.select("id_number", "start"), on="id_number").filter(
        pl.col("month") >= pl.col("start").dt.truncate("1mo")
    )
    assert held.height and (held["channel"] == e.PUBLIC_POST).all() and held["working"].all()
    assert (payments["paid_on"] <= dt.date(2026, 10, 31)).all()
    # The holder who died: the 公安 feed has the row, the survey and the pay stop in the month of death.
    civil = read(directory, "feeds/civil_registry")
    deaths = civil.filter(pl.col("变动类型") == "死亡").select(
        pl.col("公民身份号码").alias("id_number"), "变动日期"
    )
    dead = holdings.join(deaths, on="id_number")
    assert dead.height == manifest.employment["post_holder_deaths"] == 1
    died = dead["变动日期"][0]
    month = dt.date(died.year, died.month, 1)
    assert (
        survey.filter((pl.col("id_number") == dead["id_number"][0]) & (pl.col("month") >= month)).height == 0
    )
    paid = payments.filter(pl.col("holding_key") == dead["key"][0])
    assert paid.height and paid["month"].max() < month
    # Outside screening's 3-month window, so no 劳动力死亡 alert (R10) is expected of it.
    assert died < dt.date(2026, 8, 1)


def test_relocation_sites_house_ex_poor_households(world) -> None:
    directory, manifest = world
    sites = read(directory, "relocation_sites")
    links = read(directory, "relocation_households")
    problems = read(directory, "relocation_problems")
    projects = read(directory, "relocation_projects")
    assert manifest.relocation == {
        "sites": sites.height,
        "households": links.height,
        "problems": problems.height,
        "projects": projects.height,
    }
    assert sites.height >= 1 and sites["county_code"].str.starts_with("360424").all()
    assert links["household_no"].is_unique().all()
    households = read(directory, "households")
    housed = links.join(households, on="household_no")
    assert housed.height == links.height and (housed["kind"] == d.EX_POOR).all()
    sizes = housed.group_by("site_key").agg(pl.len().alias("n"), pl.col("member_count").sum().alias("p"))
    check = sites.join(sizes, left_on="key", right_on="site_key")
    assert check.height == sites.height
    assert (check["households_planned"] >= check["n"]).all() and (
        check["persons_planned"] >= check["p"]
    ).all()
    assert sites.select("county_code", "name").is_duplicated().sum() == 0
    # A window where the larger of housed and planned persons reaches 200 (docs/domain.md §24), but for the
    # one large site per county planted without it.
    large = check.filter(pl.max_horizontal("p", "persons_planned") >= e.SERVICE_WINDOW_MIN_PERSONS)
    assert not check.filter(
        (pl.max_horizontal("p", "persons_planned") < e.SERVICE_WINDOW_MIN_PERSONS) & pl.col("service_window")
    ).height
    lacking = large.filter(~pl.col("service_window")).group_by("county_code").len()
    assert (lacking["len"] == 1).all()
    resolved = problems.filter(pl.col("resolved_on").is_not_null())
    assert resolved.height and (resolved["evidence"] != "").all()
    assert (resolved["resolved_on"] >= resolved["found_on"]).all()
    overdue = problems.filter(pl.col("resolved_on").is_null() & (pl.col("deadline") < dt.date(2026, 10, 31)))
    assert overdue.height >= 1
    funds = read(directory, "funds_projects")
    linked = projects.join(funds, left_on="project_code", right_on="code")
    assert linked.height == projects.height and projects["project_code"].is_unique().all()


def test_posts_holdings_and_payments_obey_the_post_rules(world) -> None:
    """The checks of posts.py (holding_assign, payment_record), docs/domain.md §23: the holding starts inside
    its post's term, each month paid lies inside the term and the holding, the holder is on the roll of the
    start month (working age, household ex-poor or monitored, out of school, alive)."""
    directory, _manifest = world
    posts = read(directory, "employment_posts").select("key", "term_start", "term_end")
    holdings = read(directory, "employment_holdings").join(
        posts.rename({"key": "post_key"}), on="post_key", how="left"
    )
    payments = read(directory, "employment_payments").join(
        holdings.select(pl.col("key").alias("holding_key"), "start", "term_start", "term_end"),
        on="holding_key",
        how="left",
    )
    assert holdings["term_start"].is_not_null().all()
    assert ((holdings["term_start"] <= holdings["start"]) & (holdings["start"] <= holdings["term_end"])).all()
    month = payments["month"]
    assert (
        (payments["term_start"].dt.truncate("1mo") <= month)
        & (month <= payments["term_end"])
        & (month >= payments["start"].dt.truncate("1mo"))
    ).all()
    persons = read(directory, "persons").join(
        read(directory, "households").select("household_no", "kind", "monitoring_category"),
        on="household_no",
    )
    civil = read(directory, "feeds/civil_registry").select(
        pl.col("公民身份号码").alias("id_number"), pl.col("变动日期").alias("gone_on")
    )
    in_school = [c for stage in d.IN_SCHOOL_STAGES for c in d.STAGE_CODES[stage]]
    for row in holdings.join(persons, on="id_number", how="left").iter_rows(named=True):
        start = row["start"].replace(day=1)
        earliest, latest = e.birth_bounds(start, e.DEFAULT_AGE_MIN, e.DEFAULT_AGE_MAX)
        assert earliest <= row["birth_date"] <= latest, row
        assert row["kind"] == d.EX_POOR or row["monitoring_category"] != "", row
        assert row["labour_skill"] in e.ROLL_SKILLS and row["student_status"] not in in_school, row
        gone = civil.filter(pl.col("id_number") == row["id_number"])["gone_on"]
        assert (gone > e.month_end(start)).all(), row


def test_problems_of_a_january_or_february_period_are_found_before_the_day_and_resolved_after(
    tmp_path: Path,
) -> None:
    """A period early in the year: problems still found on or before the day the data hold on (as_of), and
    resolved neither before found nor after that day (docs/domain.md §24)."""
    manifest = generate(scale="village", seed=SEED, out=tmp_path, period="2026-02")
    as_of = dt.date.fromisoformat(manifest.as_of)
    problems = read(tmp_path, "relocation_problems")
    assert problems.height >= 2
    assert (problems["found_on"] <= as_of).all()
    assert (problems["deadline"] >= problems["found_on"]).all()
    resolved = problems.filter(pl.col("resolved_on").is_not_null())
    assert resolved.height and (resolved["resolved_on"] >= resolved["found_on"]).all()
    assert (resolved["resolved_on"] <= as_of).all()


@pytest.mark.parametrize("period", ["2023-12", "2022-06"])
def test_a_period_whose_line_reaches_the_base_year_is_refused_in_chinese(tmp_path: Path, period: str) -> None:
    """From January of the year before the period the line would overlap the base year's months (one record
    per person and month, docs/domain.md §23): refused before anything is written."""
    with pytest.raises(ValueError, match="基准年") as exc:
        generate(scale="village", seed=SEED, out=tmp_path / "out", period=period)
    assert "2024-01" in str(exc.value)
    assert not (tmp_path / "out").exists()


def test_the_command_refuses_an_early_period_with_the_reason(tmp_path: Path) -> None:
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="基准年"):
        call_command("generate", "--scale", "village", "--out", str(tmp_path), "--period", "2023-05")


def test_the_service_window_follows_the_larger_of_housed_and_planned_persons(tmp_path: Path) -> None:
    """docs/domain.md §24 and the figures count a site's persons as max(housed, planned): a site housing fewer
    than 200 but planned for 200 or more runs a window too (seed 10 generates one), but for the one large
    site per county planted without it."""
    generate(scale="township", seed=10, out=tmp_path)
    sites = read(tmp_path, "relocation_sites")
    housed = (
        read(tmp_path, "relocation_households")
        .join(read(tmp_path, "households"), on="household_no")
        .group_by("site_key")
        .agg(pl.col("member_count").sum().alias("p"))
    )
    check = sites.join(housed, left_on="key", right_on="site_key").with_columns(
        (pl.max_horizontal("p", "persons_planned") >= e.SERVICE_WINDOW_MIN_PERSONS).alias("large")
    )
    assert check.filter((pl.col("p") < e.SERVICE_WINDOW_MIN_PERSONS) & pl.col("large")).height
    assert not check.filter(~pl.col("large") & pl.col("service_window")).height
    lacking = check.filter(pl.col("large") & ~pl.col("service_window")).group_by("county_code").len()
    assert (lacking["len"] <= 1).all()
    assert check.filter(pl.col("large")).height - lacking["len"].sum() >= 1
