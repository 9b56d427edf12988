"""Households, persons and incomes of a synthetic rural population, generated column-wise.

Every step works on whole numpy arrays (one element per household or per person); the only Python
loops run over household templates and code lists, never over people, so the city (2.5 million
persons) takes seconds. The figures the draws are calibrated to, and their sources, are listed in
docs/synthetic.md; the constants below carry the same names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from . import names
from .idnumbers import id_numbers, prefix_history
from .tree import county_of

REFERENCE_DATE = np.datetime64("2025-12-31")  # the registry's "as of" date
INCOME_YEAR = 2025
PREVIOUS_YEAR = 2024

EX_POOR_SHARE = 0.11  # of households (Jiujiang: 261.3k people out of poverty)
MONITORED_SHARE = 0.01  # of households, split below
MONITORED_SPLIT = {"unstable_ex_poor": 0.45, "edge": 0.40, "sudden_hardship": 0.15}
DIBAO_SHARE = 0.05  # of households (按户施保)
TEKUN_SHARE = 0.006  # of persons: 特困供养, mostly elderly living alone

HOUSEHOLD_SIZES = np.array([1, 2, 3, 4, 5, 6, 7])
HOUSEHOLD_SIZE_P = np.array([0.16, 0.25, 0.19, 0.18, 0.13, 0.07, 0.02])

RELATIONS = (
    "head",
    "spouse",
    "son",
    "daughter",
    "daughter_in_law",
    "son_in_law",
    "grandchild",
    "parent",
    "grandparent",
    "sibling",
    "other",
)
R = {name: i for i, name in enumerate(RELATIONS)}
STUDENT = (
    "",
    "preschool",
    "primary",
    "junior",
    "senior",
    "secondary_vocational",
    "higher_vocational",
    "undergraduate",
    "postgraduate",
    "dropout",
)
S = {name: i for i, name in enumerate(STUDENT)}
EDUCATION = ("", "illiterate", "primary", "junior", "senior", "vocational", "college")
E = {name: i for i, name in enumerate(EDUCATION)}
HEALTH = ("healthy", "chronic", "major_illness", "disabled")
DISABILITY = ("", "visual", "hearing", "speech", "physical", "intellectual", "mental", "multiple")
# Second national sample survey on disability (2006): shares by category.
DISABILITY_P = np.array([0.14, 0.24, 0.015, 0.295, 0.07, 0.07, 0.17])
DISABILITY_GRADE_P = np.array([0.10, 0.18, 0.30, 0.42])
LABOUR = ("ordinary", "skilled", "lost", "none")
WORK = ("", "in_county", "in_province", "out_of_province", "abroad")
WORK_P = np.array(
    [0.32, 0.22, 0.45, 0.01]
)  # of migrant workers: in county, in province, other province, abroad
MONTHLY_WAGE = np.array([0, 3300, 4000, 5000, 8000])  # 元 per month worked, by work place
NEAR_MONTHS_P = np.array([2, 2, 3, 4, 5, 6, 8, 10, 12, 18]) / 70  # months worked in county or province
WAGE_FACTOR_EX_POOR = 0.72  # 脱贫户 workers earn less: fewer skills, shorter seasons
MEDICAL = ("", "resident", "employee")
PENSION = ("", "resident", "employee", "receiving")
HOUSING = ("A", "B", "C", "D")
MONITORING = ("", "unstable_ex_poor", "edge", "sudden_hardship")
MINORITIES = ("畲族", "回族", "苗族", "土家族", "壮族", "满族")

Progress = Callable[[str], None]

# Household templates by size: (probability, members). Members: ("H", age lo, age hi, P(head male)),
# ("S",) spouse of the head, ("C", gap lo, gap hi) child of the head, ("CIL", ref) spouse of member ref,
# ("G", ref, gap lo, gap hi) child of member ref, ("P", "m"/"f") parent of the head, ("B",) sibling.
Member = tuple[Any, ...]  # a code, then numbers or a sex as the comment above lists
TEMPLATES: dict[int, list[tuple[float, list[Member]]]] = {
    1: [(0.62, [("H", 60, 95, 0.42)]), (0.38, [("H", 24, 60, 0.85)])],
    2: [
        (0.47, [("H", 60, 90, 0.92), ("S",)]),
        (0.15, [("H", 40, 60, 0.92), ("S",)]),
        (0.14, [("H", 30, 62, 0.55), ("C", 20, 36)]),
        (0.10, [("H", 28, 60, 0.85), ("P", "f")]),
        (0.10, [("H", 58, 85, 0.35), ("G", 0, 44, 62)]),
        (0.04, [("H", 30, 65, 0.85), ("B",)]),
    ],
    3: [
        (0.42, [("H", 26, 50, 0.92), ("S",), ("C", 22, 34)]),
        (0.18, [("H", 45, 66, 0.92), ("S",), ("C", 22, 34)]),
        (0.15, [("H", 55, 82, 0.92), ("S",), ("G", 0, 44, 62)]),
        (0.10, [("H", 28, 58, 0.85), ("C", 22, 34), ("P", "f")]),
        (0.15, [("H", 56, 85, 0.50), ("C", 24, 36), ("G", 1, 21, 32)]),
    ],
    4: [
        (0.40, [("H", 28, 52, 0.93), ("S",), ("C", 22, 33), ("C", 25, 40)]),
        (0.18, [("H", 28, 55, 0.92), ("S",), ("C", 22, 34), ("P", "f")]),
        (0.14, [("H", 50, 75, 0.93), ("S",), ("C", 22, 32), ("CIL", 2)]),
        (0.14, [("H", 55, 82, 0.93), ("S",), ("G", 0, 44, 62), ("G", 0, 46, 64)]),
        (0.14, [("H", 48, 74, 0.90), ("S",), ("C", 22, 32), ("G", 2, 21, 32)]),
    ],
    5: [
        (0.28, [("H", 28, 48, 0.94), ("S",), ("C", 22, 33), ("C", 25, 40), ("P", "f")]),
        (0.12, [("H", 30, 50, 0.94), ("S",), ("C", 22, 32), ("C", 24, 38), ("C", 27, 42)]),
        (0.42, [("H", 50, 78, 0.94), ("S",), ("C", 22, 32), ("CIL", 2), ("G", 2, 21, 32)]),
        (0.18, [("H", 28, 46, 0.95), ("S",), ("C", 22, 33), ("P", "m"), ("P", "f")]),
    ],
    6: [
        (0.50, [("H", 50, 78, 0.95), ("S",), ("C", 22, 32), ("CIL", 2), ("G", 2, 21, 30), ("G", 2, 23, 35)]),
        (0.30, [("H", 28, 46, 0.95), ("S",), ("C", 22, 33), ("C", 25, 40), ("P", "m"), ("P", "f")]),
        (0.20, [("H", 30, 48, 0.95), ("S",), ("C", 22, 32), ("C", 24, 38), ("C", 27, 42), ("P", "f")]),
    ],
    7: [
        (
            0.60,
            [
                ("H", 52, 80, 0.95),
                ("S",),
                ("C", 22, 32),
                ("CIL", 2),
                ("G", 2, 21, 30),
                ("G", 2, 23, 34),
                ("G", 2, 25, 37),
            ],
        ),
        (
            0.40,
            [
                ("H", 28, 46, 0.95),
                ("S",),
                ("C", 22, 32),
                ("C", 24, 38),
                ("C", 27, 42),
                ("P", "m"),
                ("P", "f"),
            ],
        ),
    ],
}


@dataclass
class Population:
    households: pl.DataFrame
    persons: pl.DataFrame
    incomes: pl.DataFrame


def _pick(rng: np.random.Generator, p: np.ndarray, n: int) -> np.ndarray:
    """n draws of the index of a categorical distribution p (fast inverse-CDF)."""
    cdf = np.cumsum(p / p.sum())
    return np.minimum(np.searchsorted(cdf, rng.random(n), side="right"), len(p) - 1)


def _top_k(rng: np.random.Generator, weights: np.ndarray, k: int) -> np.ndarray:
    """k distinct indices drawn with probability proportional to weights (Gumbel top-k)."""
    k = min(k, int((weights > 0).sum()))
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    keys = np.full(len(weights), -np.inf)
    positive = weights > 0
    keys[positive] = np.log(weights[positive]) - np.log(-np.log(rng.random(int(positive.sum()))))
    chosen = np.argpartition(-keys, k - 1)[:k]
    return np.sort(chosen)


def _uniform(rng: np.random.Generator, lo: float | np.ndarray, hi: float | np.ndarray, n: int) -> np.ndarray:
    return lo + (np.asarray(hi) - np.asarray(lo)) * rng.random(n)


def _child_age(rng: np.random.Generator, parent: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """A child's age: the parent's minus a gap in [lo, hi], capped so that the child is born."""
    n = len(parent)
    hi_eff = np.maximum(np.minimum(hi, parent - 0.3), lo)
    age = parent - _uniform(rng, lo, hi_eff, n)
    return np.maximum(age, _uniform(rng, 0.02, 1.0, n))


def _members(rng: np.random.Generator, size: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per person: household index, slot, relation code, male flag and age in years."""
    parts: list[tuple[np.ndarray, ...]] = []
    for hh_size, options in TEMPLATES.items():
        of_size = np.flatnonzero(size == hh_size)
        choice = _pick(rng, np.array([p for p, _ in options]), len(of_size))
        for option, (_, spec) in enumerate(options):
            hh = of_size[choice == option]
            n = len(hh)
            if n == 0:
                continue
            ages = np.zeros((len(spec), n))
            male = np.zeros((len(spec), n), dtype=bool)
            rel = np.zeros((len(spec), n), dtype=np.int8)
            for j, member in enumerate(spec):
                kind = member[0]
                if kind == "H":
                    _, lo, hi, p_male = member
                    ages[j] = _uniform(rng, lo, hi, n)
                    male[j] = rng.random(n) < p_male
                    rel[j] = R["head"]
                elif kind == "S":
                    male[j] = ~male[0]
                    ages[j] = np.maximum(ages[0] + np.where(male[0], -2.5, 2.5) + rng.normal(0, 3.0, n), 18)
                    rel[j] = R["spouse"]
                elif kind == "C":
                    _, lo, hi = member
                    ages[j] = _child_age(rng, ages[0], lo, hi)
                    male[j] = rng.random(n) < 0.53
                    rel[j] = np.where(male[j], R["son"], R["daughter"])
                elif kind == "CIL":
                    ref = int(member[1])
                    # The married child living with the parents is usually a son (上门女婿 otherwise).
                    son = rng.random(n) < 0.9
                    male[ref] = son
                    rel[ref] = np.where(son, R["son"], R["daughter"])
                    male[j] = ~son
                    ages[j] = np.maximum(ages[ref] + np.where(son, -1.5, 1.5) + rng.normal(0, 2.5, n), 18)
                    rel[j] = np.where(son, R["daughter_in_law"], R["son_in_law"])
                elif kind == "G":
                    _, ref, lo, hi = member
                    ages[j] = _child_age(rng, ages[int(ref)], lo, hi)
                    male[j] = rng.random(n) < 0.53
                    rel[j] = R["grandchild"]
                elif kind == "P":
                    father = member[1] == "m"
                    ages[j] = ages[0] + (_uniform(rng, 24, 34, n) if father else _uniform(rng, 22, 31, n))
                    male[j] = father
                    rel[j] = R["parent"]
                elif kind == "B":
                    ages[j] = ages[0] + rng.normal(0, 5, n)
                    male[j] = rng.random(n) < 0.6
                    rel[j] = R["sibling"]
            slots = np.repeat(np.arange(len(spec))[:, None], n, axis=1)
            parts.append((np.tile(hh, len(spec)), slots.ravel(), rel.ravel(), male.ravel(), ages.ravel()))
    hh_index, slot, relation, male, age = (np.concatenate(col) for col in zip(*parts, strict=True))
    order = np.lexsort((slot, hh_index))
    age = np.clip(age[order], 0.02, 101.5)
    return hh_index[order], slot[order], relation[order], male[order], age


def _given_names(rng: np.random.Generator, male: np.ndarray, birth_year: np.ndarray) -> pl.Series:
    cohort = np.where(birth_year < 1970, 0, np.where(birth_year < 1995, 1, 2))
    pools = [names.GIVEN[(sex, c)] for sex in ("female", "male") for c in (0, 1, 2)]
    chars = pl.Series("c", list("".join(pools)))
    lengths = np.array([len(p) for p in pools])
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    pool = male.astype(np.int64) * 3 + cohort
    n = len(male)
    first = offsets[pool] + (rng.random(n) * lengths[pool]).astype(np.int64)
    second = offsets[pool] + (rng.random(n) * lengths[pool]).astype(np.int64)
    two_chars = rng.random(n) < np.where(cohort == 2, 0.7, 0.85)
    # The second character may repeat the first (丽丽, 婷婷), as many real names do.
    frame = pl.DataFrame({"a": chars.gather(first), "b": chars.gather(second), "two": two_chars})
    return frame.select(
        pl.when(pl.col("two")).then(pl.col("a") + pl.col("b")).otherwise(pl.col("a")).alias("given")
    ).to_series()


def _phones(index: np.ndarray, seed: int) -> pl.Series:
    """Unique 11-digit numbers in the 170/171 virtual-operator ranges: an affine bijection of the index."""
    modulus = 200_000_000
    a, b = 15_485_863, (seed * 7_919 + 12_345) % modulus  # a is prime, so coprime with 2·10^8
    value = (index.astype(np.int64) * a + b) % modulus
    return (
        pl.DataFrame({"v": value})
        .select(
            pl.concat_str(
                pl.lit("17"),
                (pl.col("v") // 100_000_000).cast(pl.String),
                (pl.col("v") % 100_000_000).cast(pl.String).str.zfill(8),
            ).alias("phone")
        )
        .to_series()
    )


def _birth_dates(age: np.ndarray) -> np.ndarray:
    days = np.floor(age * 365.2425).astype(np.int64)
    return (REFERENCE_DATE - days).astype("datetime64[D]")


def _grade_level(status: pl.Series, grade: np.ndarray) -> pl.Series:
    """Pupils of 小学, 初中 and 普通高中 at the grade they are in (小学三年级, 七年级, 普通高中一年级), as the national
    system records them (docs/domain.md §18); the other stages stay at stage level. No random draw."""
    g = pl.Series(grade.astype(np.int64))
    return pl.select(
        pl.when((status == "primary") & g.is_between(1, 6))
        .then(pl.lit("primary_") + g.cast(pl.String))
        .when((status == "junior") & g.is_between(7, 9))
        .then(pl.lit("grade_") + g.cast(pl.String))
        .when((status == "senior") & g.is_between(10, 12))
        .then(pl.lit("senior_") + (g - 9).cast(pl.String))
        .otherwise(status)
    ).to_series()


def _school_grade(birth: np.ndarray) -> np.ndarray:
    """Grade in the 2025/26 school year if the child entered primary school on time (1 = first grade).

    A child starts primary school in the September after turning six (cut-off 31 August)."""
    year = birth.astype("datetime64[Y]").astype(np.int64) + 1970
    month = birth.astype("datetime64[M]").astype(np.int64) % 12 + 1
    entry = year + 6 + (month >= 9)
    return 2025 - entry + 1


def generate_population(
    *,
    tree: pl.DataFrame,
    persons_target: int,
    seed: int,
    progress: Progress | None = None,
    phone_offset: int = 0,
    phone_seed: int | None = None,
) -> Population:
    """`phone_offset`, `phone_seed`: a province is made in chunks (generate.py); they number the chunks'
    persons in one sequence, so the phone numbers stay unique across the province."""
    say = progress or (lambda _msg: None)
    rng = np.random.default_rng([seed, 20251231])

    # ---- households: where they live --------------------------------------------------------------------
    villages = tree.filter(pl.col("level") == "village").sort("code")
    groups = tree.filter(pl.col("level") == "group").sort("code")
    v_codes = villages["code"].to_numpy()
    is_community = villages["name"].str.ends_with("社区").to_numpy()
    is_key = villages["is_key_village"].to_numpy()
    county6 = np.array([int(c[:6]) for c in v_codes])
    by_code6 = {c: county_of(c) for c in sorted({c[:6] for c in v_codes})}
    poverty = np.array([by_code6[c[:6]].poverty_factor for c in v_codes])
    group_counts = groups.group_by("parent_code").len().sort("parent_code")
    g_per_village = dict(
        zip(group_counts["parent_code"].to_list(), group_counts["len"].to_list(), strict=True)
    )
    n_groups = np.array([g_per_village.get(c, 0) for c in v_codes])
    first_group = np.concatenate([[0], np.cumsum(n_groups)[:-1]])

    n_households = max(1, round(persons_target / float(HOUSEHOLD_SIZES @ HOUSEHOLD_SIZE_P)))
    weight = rng.lognormal(0.0, 0.35, len(v_codes)) * np.where(is_community, 0.5, 1.0)
    per_village = rng.multinomial(n_households, weight / weight.sum())
    if per_village.max() > 9999:
        raise ValueError("more than 9999 households in one village: household_no has 4 serial digits")
    village_of = np.repeat(np.arange(len(v_codes)), per_village)
    group_in_village = np.floor(rng.random(n_households) * np.maximum(n_groups[village_of], 1)).astype(
        np.int64
    )
    order = np.lexsort((group_in_village, village_of))
    village_of, group_in_village = village_of[order], group_in_village[order]
    starts = np.concatenate([[0], np.cumsum(per_village)[:-1]])
    serial = np.arange(n_households) - starts[village_of] + 1
    has_groups = n_groups[village_of] > 0
    group_row = np.where(has_groups, first_group[village_of] + group_in_village, -1)

    size = HOUSEHOLD_SIZES[_pick(rng, HOUSEHOLD_SIZE_P, n_households)]
    say(f"  {n_households:,} 户,{len(v_codes):,} 个村(社区)")

    # ---- persons: who lives there -------------------------------------------------------------------------
    hh, slot, relation, male, age = _members(rng, size)
    n = len(hh)
    birth = _birth_dates(age)
    birth_year = birth.astype("datetime64[Y]").astype(np.int64) + 1970
    # Whole years of age on the reference date.
    years = np.floor(age).astype(np.int64)
    grade = _school_grade(birth)
    say(f"  {n:,} 人")

    # Students by the grade they would be in; a few compulsory-age children have dropped out.
    u = rng.random(n)
    student = np.zeros(n, dtype=np.int8)
    student[(grade >= -2) & (grade <= 0) & (u < 0.88)] = S["preschool"]
    student[(grade >= 1) & (grade <= 6)] = S["primary"]
    student[(grade >= 7) & (grade <= 9)] = S["junior"]
    compulsory = (grade >= 1) & (grade <= 9)
    student[compulsory & (rng.random(n) < np.where(grade >= 7, 0.003, 0.0005))] = S["dropout"]
    senior = (grade >= 10) & (grade <= 12)
    student[senior & (u < 0.55)] = S["senior"]
    student[senior & (u >= 0.55) & (u < 0.93)] = S["secondary_vocational"]
    higher = (grade >= 13) & (grade <= 16)
    student[(grade >= 13) & (grade <= 15) & (u < 0.28)] = S["higher_vocational"]
    student[higher & (u >= 0.28) & (u < 0.50)] = S["undergraduate"]
    student[(grade >= 17) & (grade <= 19) & (u < 0.03)] = S["postgraduate"]
    in_school = (student != S[""]) & (student != S["dropout"])

    # 文化程度 of adults by birth cohort; of students, the stage they are in.
    education = np.zeros(n, dtype=np.int8)
    cohort_p = [
        (birth_year < 1955, [0.33, 0.50, 0.14, 0.03, 0.0, 0.0]),
        ((birth_year >= 1955) & (birth_year < 1970), [0.10, 0.45, 0.38, 0.06, 0.01, 0.0]),
        ((birth_year >= 1970) & (birth_year < 1985), [0.02, 0.22, 0.58, 0.12, 0.04, 0.02]),
        ((birth_year >= 1985) & (birth_year < 2000), [0.0, 0.06, 0.52, 0.18, 0.12, 0.12]),
        (birth_year >= 2000, [0.0, 0.02, 0.38, 0.20, 0.18, 0.22]),
    ]
    for mask, p in cohort_p:
        mask = mask & (grade > 12) & ~in_school
        education[mask] = 1 + _pick(rng, np.array(p), int(mask.sum()))
    stage_education = {
        "primary": "primary",
        "junior": "junior",
        "senior": "senior",
        "secondary_vocational": "vocational",
        "higher_vocational": "college",
        "undergraduate": "college",
        "postgraduate": "college",
        "dropout": "primary",
    }
    for stage, level in stage_education.items():
        education[student == S[stage]] = E[level]
    # Young people out of school below university age have finished what they started.
    left_early = ~in_school & (grade >= 10) & (grade <= 12)
    education[left_early] = E["junior"]

    # Health by age band: chronic illness, major illness, disability (with category and grade).
    band = np.digitize(years, [18, 45, 60, 75])
    p_chronic = np.array([0.005, 0.02, 0.09, 0.22, 0.32])[band]
    p_major = np.array([0.002, 0.005, 0.015, 0.03, 0.04])[band]
    p_disabled = np.array([0.015, 0.035, 0.065, 0.11, 0.16])[band]
    health = np.zeros(n, dtype=np.int8)
    u = rng.random(n)
    health[u < p_chronic] = 1
    health[rng.random(n) < p_major] = 2
    disabled = rng.random(n) < p_disabled
    health[disabled] = 3
    disability = np.zeros(n, dtype=np.int8)
    disability[disabled] = 1 + _pick(rng, DISABILITY_P, int(disabled.sum()))
    disability_grade = np.zeros(n, dtype=np.int8)
    disability_grade[disabled] = 1 + _pick(rng, DISABILITY_GRADE_P, int(disabled.sum()))
    severe = disabled & (disability_grade <= 2)

    # 劳动技能: children and students have none; old age and severe illness or disability take it away.
    labour = np.full(n, 3, dtype=np.int8)  # none
    working_age = (years >= 16) & (years < 60) & ~in_school
    u = rng.random(n)
    labour[working_age] = np.where(u[working_age] < 0.18, 1, 0)  # skilled / ordinary
    weak = working_age & ((health == 1) | (disabled & ~severe))
    labour[weak & (rng.random(n) < 0.3)] = 2  # lost
    labour[working_age & ((health == 2) | severe)] = 2
    # Some 60-64 year-olds are still recorded as labour (a case the data checks flag, docs/domain.md §10).
    still_working = (years >= 60) & (years < 65) & (health == 0) & (rng.random(n) < 0.10)
    labour[still_working] = 0
    has_labour = labour <= 1

    # Migrant and local work: 务工所在地 and months worked.
    works = has_labour & (rng.random(n) < np.where(years <= 50, 0.82, 0.6))
    work = np.zeros(n, dtype=np.int8)
    work[works] = 1 + _pick(rng, WORK_P, int(works.sum()))
    months = np.zeros(n, dtype=np.int8)
    far = works & (work >= 3)
    months[far] = rng.choice(
        np.arange(6, 13), size=int(far.sum()), p=[0.03, 0.05, 0.07, 0.12, 0.18, 0.25, 0.30]
    )
    near = works & (work <= 2)
    months[near] = rng.choice(np.arange(3, 13), size=int(near.sum()), p=NEAR_MONTHS_P)

    # Insurance.
    medical = np.ones(n, dtype=np.int8)  # resident
    medical[works & (rng.random(n) < 0.06)] = 2  # employee
    pension = np.zeros(n, dtype=np.int8)
    adult = (years >= 16) & ~in_school
    u = rng.random(n)
    pension[adult & (years < 60)] = np.where(u[adult & (years < 60)] < 0.82, 1, 0)
    pension[adult & (years < 60) & (medical == 2)] = 2
    pension[years >= 60] = np.where(u[years >= 60] < 0.97, 3, 0)

    # Names: the family surname passes to the head (if a man), children, grandchildren and siblings.
    family_surname = _pick(rng, names.SURNAME_WEIGHTS, n_households)
    own_surname = _pick(rng, names.SURNAME_WEIGHTS, n)
    inherits = np.isin(relation, [R["son"], R["daughter"], R["grandchild"], R["sibling"]]) | (
        ((relation == R["head"]) | (relation == R["parent"])) & male
    )
    surname = np.where(inherits, family_surname[hh], own_surname)
    surnames = pl.Series(names.SURNAMES).gather(surname)
    given = _given_names(rng, male, birth_year)
    person_name = pl.DataFrame({"s": surnames, "g": given}).select(pl.col("s") + pl.col("g")).to_series()

    ethnic = np.zeros(n, dtype=np.int8)
    married_in = np.isin(relation, [R["spouse"], R["daughter_in_law"], R["son_in_law"]])
    minority = rng.random(n) < np.where(married_in, 0.012, 0.002)
    ethnic[minority] = 1 + rng.integers(0, len(MINORITIES), int(minority.sum()))

    # ---- household facts from members -------------------------------------------------------------------
    def per_household(values: np.ndarray) -> np.ndarray:
        return np.bincount(hh, weights=values.astype(np.float64), minlength=n_households)

    labour_count = per_household(has_labour)
    workers = per_household(works)
    major_count = per_household(health == 2)
    disabled_count = per_household(disabled)
    severe_count = per_household(severe)
    elderly_count = per_household(years >= 60)
    elderly_only = elderly_count == size
    v_of = village_of

    # 脱贫户: more likely in key villages and former poverty counties, and in weaker households.
    ex_weight = (
        poverty[v_of]
        * np.where(is_key[v_of], 2.2, 0.8)
        * np.where(is_community[v_of], 0.3, 1.0)
        * (1 + 1.0 * (disabled_count > 0) + 0.8 * (major_count > 0) + 0.6 * (labour_count == 0))
    )
    ex_poor = np.zeros(n_households, dtype=bool)
    ex_poor[_top_k(rng, ex_weight, round(EX_POOR_SHARE * n_households))] = True
    exit_year = np.where(
        ex_poor, 2014 + _pick(rng, np.array([0.05, 0.12, 0.18, 0.20, 0.20, 0.20, 0.05]), n_households), 0
    )

    # 特困供养: elderly or severely disabled people living alone without labour; then 低保 households.
    alone = (size == 1) & (labour_count == 0)
    tekun_weight = np.where(alone[hh] & ((years >= 60) | severe), 1.0 + (years >= 75), 0.0)
    tekun = np.zeros(n, dtype=bool)
    tekun[_top_k(rng, tekun_weight, round(TEKUN_SHARE * n))] = True
    tekun_household = per_household(tekun) > 0
    dibao_weight = (
        (
            1
            + 3.0 * (labour_count == 0)
            + 2.0 * (major_count > 0)
            + 2.0 * (severe_count > 0)
            + 1.0 * elderly_only
        )
        * np.where(ex_poor, 4.0, 1.0)
        * ~tekun_household
    )
    dibao_household = np.zeros(n_households, dtype=bool)
    dibao_household[_top_k(rng, dibao_weight, round(DIBAO_SHARE * n_households))] = True
    dibao = dibao_household[hh]

    housing = np.where(
        ex_poor,
        _pick(rng, np.array([0.75, 0.24, 0.008, 0.002]), n_households),
        _pick(rng, np.array([0.68, 0.29, 0.025, 0.005]), n_households),
    )
    water_ok = rng.random(n_households) >= 0.008
    # Basic medical insurance is near universal; ex-poor premiums are subsidised, so gaps are rarer there.
    uninsured = rng.random(n) < np.where(ex_poor[hh], 0.002, 0.01)
    uninsured |= age < 0.5  # newborns not yet enrolled
    medical[uninsured] = 0

    # ---- incomes (元, 2025) ---------------------------------------------------------------------------------
    say("  收入")
    skill_factor = np.where(labour == 1, 1.3, 1.0)
    kind_factor = np.where(ex_poor[hh], WAGE_FACTOR_EX_POOR, 1.0)
    wage = MONTHLY_WAGE[work] * months * rng.lognormal(0, 0.3, n) * skill_factor * kind_factor
    # Labour at home, and many healthy people in their sixties, take local day work (零工).
    at_home = has_labour & ~works
    odd_jobs = (at_home & (rng.random(n) < 0.5)) | (
        (years >= 60) & (years < 70) & (health == 0) & ~works & (rng.random(n) < 0.3)
    )
    wage += np.where(odd_jobs, _uniform(rng, 2000, 8000, n), 0)
    # 公益性岗位 for 脱贫户/低保 members aged 50-69 who can still work a little.
    public_job = (
        (ex_poor | dibao_household)[hh]
        & (years >= 50)
        & (years < 70)
        & (labour != 2)
        & ~works
        & (rng.random(n) < 0.15)
    )
    wage += np.where(public_job, 6000, 0)
    wages = per_household(wage)

    at_home_count = per_household(at_home)
    # Farming: a small plot for most households, a living for labour that stays at home.
    farming = (rng.random(n_households) < np.where(elderly_count > 0, 0.75, 0.45)) | (at_home_count > 0)
    business = np.where(farming, rng.lognormal(np.log(5000), 0.6, n_households), 0)
    business += per_household(np.where(at_home, rng.lognormal(np.log(16000), 0.45, n), 0))
    production_costs = business * _uniform(rng, 0.25, 0.45, n_households)
    # 产业奖补 for 脱贫户's own crops and livestock.
    business += np.where(
        ex_poor & (rng.random(n_households) < 0.5), _uniform(rng, 500, 2500, n_households), 0
    )
    prop = np.where(rng.random(n_households) < 0.25, _uniform(rng, 200, 2500, n_households), 0)
    prop += np.where(ex_poor & (rng.random(n_households) < 0.75), _uniform(rng, 300, 1500, n_households), 0)

    transfer = np.where(pension == 3, _uniform(rng, 2200, 3600, n), 0)
    transfer += np.where(dibao, 12 * _uniform(rng, 280, 420, n), 0)
    transfer += np.where(tekun, 12 * _uniform(rng, 700, 850, n), 0)
    transfer += np.where(severe, 1200, 0) + np.where(disabled & dibao, 1000, 0)
    transfer += np.where(years >= 80, 1200, 0)
    # 赡养费 and remittances: children working elsewhere support the parents and the left-behind
    # grandchildren of a household without a worker at home.
    no_worker = workers[hh] == 0
    supported = no_worker & ((years >= 60) | (years < 16)) & (rng.random(n) < 0.85)
    transfer += np.where(supported, _uniform(rng, 3000, 10000, n), 0)
    transfers = per_household(transfer)
    transfers += np.where(farming, _uniform(rng, 80, 600, n_households), 0)

    oop = np.where(health == 2, rng.lognormal(np.log(9000), 0.9, n), 0)
    oop += np.where((health == 1) & (rng.random(n) < 0.4), rng.lognormal(np.log(1200), 0.8, n), 0)
    studying_far = np.isin(
        student,
        [
            S["senior"],
            S["secondary_vocational"],
            S["higher_vocational"],
            S["undergraduate"],
            S["postgraduate"],
        ],
    )
    oop += np.where(studying_far & (rng.random(n) < 0.3), _uniform(rng, 1000, 6000, n), 0)
    eligible_oop = per_household(oop)
    major_oop = per_household(np.where(health == 2, oop, 0))
    payout = np.where(
        (major_count > 0) & (rng.random(n_households) < 0.35),
        major_oop * _uniform(rng, 0.3, 0.6, n_households),
        0,
    )

    net = wages + business + prop + transfers - production_costs
    per_capita = net / size

    # ---- 监测对象: 1 % of households, mostly from the low-income and ill --------------------------------------
    monitoring = np.zeros(n_households, dtype=np.int8)
    n_monitored = round(MONITORED_SHARE * n_households)
    risk = 1 + 2.0 * (major_count > 0) + 1.0 * (disabled_count > 0) + 1.0 * (labour_count == 0)
    low_income = np.exp(-np.maximum(per_capita, 0) / 4000)
    picks = {k: round(v * n_monitored) for k, v in MONITORED_SPLIT.items()}
    unstable = _top_k(rng, low_income * risk * ex_poor, picks["unstable_ex_poor"])
    monitoring[unstable] = 1
    edge = _top_k(rng, low_income * risk * ~ex_poor, picks["edge"])
    monitoring[edge] = 2
    sudden = _top_k(
        rng, (1 + 4.0 * (major_count > 0)) * (monitoring == 0), n_monitored - len(unstable) - len(edge)
    )
    monitoring[sudden] = 3
    # A sudden hardship: a large medical bill after reimbursement, or a lost income.
    shock = np.zeros(n_households, dtype=bool)
    shock[sudden] = True
    eligible_oop = np.where(
        shock, eligible_oop + rng.lognormal(np.log(40000), 0.5, n_households), eligible_oop
    )
    payout = np.where(
        shock & (rng.random(n_households) < 0.4), eligible_oop * _uniform(rng, 0.1, 0.3, n_households), payout
    )

    # 2024 from 2025 with ordinary growth; a sudden-hardship household earned more last year.
    growth = np.clip(rng.normal(1.065, 0.06, n_households), 0.85, 1.35)
    wage_growth = np.where(shock, _uniform(rng, 0.45, 0.8, n_households), growth)

    # ---- assemble the tables ------------------------------------------------------------------------------
    say("  证件号码、姓名、电话")
    v_code_hh = v_codes[village_of]
    group_codes = groups["code"].to_numpy()
    group_full = groups["full_name"].to_numpy()
    village_full = villages["full_name"].to_numpy()
    region_code = np.where(has_groups, group_codes[np.maximum(group_row, 0)], v_code_hh)
    place = np.where(has_groups, group_full[np.maximum(group_row, 0)], village_full[village_of])
    house_no = (rng.integers(1, 60, n_households)).astype(np.int64)

    ids = id_numbers(
        county6=county6[village_of][hh],
        birth=birth,
        male=male,
        shuffle=rng.random(n),
        salt=seed,
        histories={c: prefix_history(c) for c in by_code6},
    )
    has_phone = (years >= 16) & (years <= 75) & (rng.random(n) < 0.85)
    has_phone |= (relation == R["head"]) & (years <= 85)
    phone = _phones(np.arange(n) + phone_offset, seed if phone_seed is None else phone_seed)
    phone = pl.select(pl.when(pl.Series(has_phone)).then(phone).otherwise(pl.lit(""))).to_series()

    household_no = (
        pl.DataFrame({"v": v_code_hh, "s": serial})
        .select(pl.concat_str(pl.col("v"), pl.col("s").cast(pl.String).str.zfill(4)).alias("household_no"))
        .to_series()
    )

    code = pl.Series
    persons = pl.DataFrame(
        {
            "household_no": household_no.gather(hh),
            "id_number": ids,
            "name": person_name,
            "sex": np.where(male, "male", "female"),
            "birth_date": birth,
            "relation": code(RELATIONS).gather(relation),
            "ethnicity": code(("汉族", *MINORITIES)).gather(ethnic),
            "education": code(EDUCATION).gather(education),
            "student_status": _grade_level(code(STUDENT).gather(student), grade),
            "health_status": code(HEALTH).gather(health),
            "disability_category": code(DISABILITY).gather(disability),
            "disability_grade": pl.Series(np.where(disabled, disability_grade, 0))
            .replace(0, None)
            .cast(pl.Int8),
            "labour_skill": code(LABOUR).gather(labour),
            "work_place": code(WORK).gather(work),
            "months_worked": pl.Series(months).replace(0, None).cast(pl.Int8),
            "medical_insurance": code(MEDICAL).gather(medical),
            "pension_insurance": code(PENSION).gather(pension),
            "dibao": dibao,
            "tekun": tekun,
            "phone": phone,
        }
    ).with_columns(pl.col("birth_date").cast(pl.Date))

    head_rows = np.flatnonzero(relation == R["head"])
    head_phone = phone.gather(head_rows)
    first_phone = (
        pl.DataFrame({"hh": hh, "phone": phone})
        .filter(pl.col("phone") != "")
        .group_by("hh", maintain_order=True)
        .first()
    )
    any_phone = np.full(n_households, "", dtype=object)
    any_phone[first_phone["hh"].to_numpy()] = first_phone["phone"].to_numpy()
    households = pl.DataFrame(
        {
            "household_no": household_no,
            "region_code": region_code,
            "kind": np.where(ex_poor, "ex_poor", "ordinary"),
            "year_out_of_poverty": pl.Series(exit_year).replace(0, None).cast(pl.Int16),
            "monitoring_category": code(MONITORING).gather(monitoring),
            "head_name": person_name.gather(head_rows),
            "member_count": size.astype(np.int16),
            "phone": pl.select(
                pl.when(head_phone != "").then(head_phone).otherwise(pl.Series(any_phone, dtype=pl.String))
            ).to_series(),
            "address": pl.DataFrame({"p": place, "n": house_no})
            .select(
                pl.concat_str(
                    pl.col("p").str.strip_prefix("九江市"), pl.col("n").cast(pl.String), pl.lit("号")
                )
            )
            .to_series(),
            "housing_grade": code(HOUSING).gather(housing),
            "water_ok": water_ok,
        }
    )

    def money(values: np.ndarray) -> pl.Series:
        # Whole yuan, as the collection forms record them.
        return (pl.Series(np.round(values).astype(np.int64)).cast(pl.Decimal(12, 0))).cast(pl.Decimal(12, 2))

    this_year = pl.DataFrame(
        {
            "household_no": household_no,
            "year": np.full(n_households, INCOME_YEAR, dtype=np.int16),
            "wages": money(wages),
            "business": money(business),
            "property": money(prop),
            "transfers": money(transfers),
            "production_costs": money(production_costs),
            "eligible_out_of_pocket": money(eligible_oop),
            "insurance_payout": money(payout),
        }
    )
    last_year = pl.DataFrame(
        {
            "household_no": household_no,
            "year": np.full(n_households, PREVIOUS_YEAR, dtype=np.int16),
            "wages": money(wages / wage_growth),
            "business": money(business / growth),
            "property": money(prop / growth),
            "transfers": money(transfers / growth),
            "production_costs": money(production_costs / growth),
            "eligible_out_of_pocket": money(np.where(shock, eligible_oop * 0.05, eligible_oop / growth)),
            "insurance_payout": money(np.where(shock, 0, payout / growth)),
        }
    )
    incomes = pl.concat([last_year, this_year]).sort(["household_no", "year"])
    return Population(households=households, persons=persons, incomes=incomes)
