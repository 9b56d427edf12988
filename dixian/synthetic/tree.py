"""The demo administrative tree: 九江市, its 13 county-level units (real names and codes), and made-up
townships, villages and village groups below them. At province scale: 江西省 and its 11 cities, the other
cities with their real county-level units (docs/synthetic.md "Province scale").

Codes follow the national division code scheme: a township is its county's 6 digits plus 3 (街道
001-099, 镇 100-199, 乡 200-299); a village is its township's 9 digits plus 3 (社区 001-199, 村
201-399); a group (村民小组) is its village's 12 digits plus 2. The tree below each county is drawn
from a random stream of its own, so the 修水县 subtree is the same at county and at city scale.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from .names import chinese_number, place_names

CITY_CODE = "360400000000"
CITY_NAME = "九江市"
PERSONS_PER_VILLAGE = 1200  # registered rural persons per administrative village at city scale
KEY_VILLAGES = 682  # 重点帮扶村 of the city (docs/domain.md §16, the demo city)


@dataclass(frozen=True)
class County:
    code6: str
    name: str
    census_2020: int  # 常住人口, 第七次全国人口普查 (docs/synthetic.md)
    rural_share: float  # share of the registry (rural, agricultural 户籍) population: demo assumption
    streets: int  # 街道
    towns: int  # 镇
    xiang: int  # 乡
    poverty_factor: float  # relative weight of 脱贫户 and key villages (修水 national, 都昌 provincial list)

    @property
    def code(self) -> str:
        return self.code6 + "000000"

    @property
    def rural_persons(self) -> float:
        return self.census_2020 * self.rural_share


COUNTIES: tuple[County, ...] = (
    County("360402", "濂溪区", 418_339, 0.35, 4, 4, 1, 0.7),
    County("360403", "浔阳区", 433_122, 0.03, 7, 0, 0, 0.5),
    County("360404", "柴桑区", 312_807, 0.60, 1, 8, 3, 0.9),
    County("360423", "武宁县", 322_161, 0.65, 0, 9, 10, 1.0),
    County("360424", "修水县", 710_620, 0.70, 0, 19, 17, 1.6),
    County("360425", "永修县", 316_365, 0.60, 0, 9, 7, 0.9),
    County("360426", "德安县", 167_090, 0.60, 0, 6, 7, 0.9),
    County("360428", "都昌县", 577_684, 0.72, 0, 13, 11, 1.5),
    County("360429", "湖口县", 227_462, 0.60, 0, 5, 7, 0.9),
    County("360430", "彭泽县", 284_757, 0.65, 0, 7, 6, 1.1),
    County("360481", "瑞昌市", 403_655, 0.55, 2, 8, 9, 0.9),
    County("360482", "共青城市", 194_689, 0.35, 1, 4, 2, 0.6),
    County("360483", "庐山市", 231_525, 0.55, 1, 6, 4, 0.8),
)
BY_CODE6 = {c.code6: c for c in COUNTIES}

TREE_SCHEMA = {
    "code": pl.String,
    "name": pl.String,
    "level": pl.String,
    "parent_code": pl.String,
    "full_name": pl.String,
    "is_key_village": pl.Boolean,
}


@dataclass
class _Node:
    code: str
    name: str
    level: str
    parent_code: str | None
    full_name: str
    is_key_village: bool = False
    is_community: bool = False


def _county_nodes(county: County, seed: int, key_count: int, city_name: str = CITY_NAME) -> list[_Node]:
    rng = np.random.default_rng([seed, int(county.code6)])
    base = f"{city_name}{county.name}"
    n_townships = county.streets + county.towns + county.xiang
    n_villages = max(round(county.rural_persons / PERSONS_PER_VILLAGE), 2 * n_townships)
    taken: set[str] = set()
    township_names = place_names(rng, n_townships, taken=taken)
    # Townships get villages in proportion to a random size; every township has at least two.
    weights = rng.gamma(4.0, 1.0, n_townships)
    counts = 2 + rng.multinomial(n_villages - 2 * n_townships, weights / weights.sum())

    nodes: list[_Node] = []
    villages: list[_Node] = []
    kinds = ["street"] * county.streets + ["town"] * county.towns + ["xiang"] * county.xiang
    serial = {"street": 0, "town": 99, "xiang": 199}
    suffix = {"street": "街道", "town": "镇", "xiang": "乡"}
    for kind, name, count in zip(kinds, township_names, counts, strict=True):
        serial[kind] += 1
        t_code9 = f"{county.code6}{serial[kind]:03d}"
        t_name = name + suffix[kind]
        nodes.append(_Node(t_code9 + "000", t_name, "township", county.code, base + t_name))
        # A 街道 is mostly 社区; a 镇 has a 社区 or two at its seat; a 乡 only 村.
        communities = {"street": max(1, round(count * 0.7)), "town": 1 + int(rng.random() < 0.4), "xiang": 0}[
            kind
        ]
        communities = min(communities, count)
        names = place_names(rng, count, taken=taken)
        for i, v_name in enumerate(names):
            is_community = i < communities
            v_code = f"{t_code9}{i + 1:03d}" if is_community else f"{t_code9}{200 + i - communities + 1:03d}"
            full = f"{base}{t_name}{v_name}{'社区' if is_community else '村'}"
            node = _Node(
                v_code,
                v_name + ("社区" if is_community else "村"),
                "village",
                t_code9 + "000",
                full,
                is_community=is_community,
            )
            nodes.append(node)
            villages.append(node)

    candidates = [v for v in villages if not v.is_community]
    for index in rng.choice(len(candidates), size=min(key_count, len(candidates)), replace=False):
        candidates[int(index)].is_key_village = True

    groups: list[_Node] = []
    for village in villages:
        for g in range(1, int(rng.integers(6, 15)) + 1):
            g_name = chinese_number(g) + "组"
            groups.append(
                _Node(f"{village.code}{g:02d}", g_name, "group", village.code, village.full_name + g_name)
            )
    return nodes + groups


def key_village_quota(
    counties: tuple[County, ...] = COUNTIES, key_villages: int = KEY_VILLAGES
) -> dict[str, int]:
    """The key villages (682 in the city) shared among the counties by villages × poverty factor (largest
    remainder)."""
    weight = {c.code6: c.rural_persons * c.poverty_factor for c in counties}
    total = sum(weight.values())
    exact = {k: key_villages * w / total for k, w in weight.items()}
    quota = {k: int(v) for k, v in exact.items()}
    for k in sorted(exact, key=lambda k: (quota[k] - exact[k], k))[: key_villages - sum(quota.values())]:
        quota[k] += 1
    return quota


def build_tree(*, seed: int, counties: tuple[str, ...] | None = None) -> pl.DataFrame:
    """The tree of the city restricted to `counties` (6-digit codes; None = all), sorted by code."""
    chosen = [c for c in COUNTIES if counties is None or c.code6 in counties]
    quota = key_village_quota()
    nodes = [_Node(CITY_CODE, CITY_NAME, "city", None, CITY_NAME)]
    for county in chosen:
        nodes.append(_Node(county.code, county.name, "county", CITY_CODE, CITY_NAME + county.name))
        nodes.extend(_county_nodes(county, seed, quota[county.code6]))
    frame = pl.DataFrame(
        {
            "code": [n.code for n in nodes],
            "name": [n.name for n in nodes],
            "level": [n.level for n in nodes],
            "parent_code": [n.parent_code for n in nodes],
            "full_name": [n.full_name for n in nodes],
            "is_key_village": [n.is_key_village for n in nodes],
        },
        schema=TREE_SCHEMA,
    )
    return frame.sort("code")


def single_village_tree(tree: pl.DataFrame) -> pl.DataFrame:
    """The branch down to one village and its groups: the first key 村 (by code) of the tree."""
    villages = tree.filter((pl.col("level") == "village") & pl.col("name").str.ends_with("村"))
    keyed = villages.filter(pl.col("is_key_village"))
    village = (keyed if keyed.height else villages).row(0, named=True)
    code = village["code"]
    keep = {CITY_CODE, code[:6] + "000000", code[:9] + "000", code}
    return tree.filter(pl.col("code").is_in(keep) | (pl.col("parent_code") == code)).sort("code")


def single_township_tree(tree: pl.DataFrame) -> pl.DataFrame:
    """The branch down to the township of `single_village_tree`'s village, with all its villages and groups."""
    village = single_village_tree(tree).filter(pl.col("level") == "village")["code"][0]
    keep = {CITY_CODE, village[:6] + "000000"}
    return tree.filter(pl.col("code").is_in(keep) | pl.col("code").str.starts_with(village[:9])).sort("code")


# ---- Province scale (docs/synthetic.md "Province scale", docs/scale.md §4) --------------------------------

PROVINCE_CODE = "360000000000"
CITY_SCALE_PERSONS = 2_500_000  # 九江市 at the city scale; another prefecture gets that × its factor
COUNTY_PERSONS_CAP = 700_000  # persons of one county-level unit at the province scale, at most
PROVINCE_NAME = "江西省"


@dataclass(frozen=True)
class Prefecture:
    code4: str
    name: str
    census_2020: int  # 常住人口, 第七次全国人口普查, rounded to 10,000 (docs/synthetic.md)

    @property
    def code(self) -> str:
        return self.code4 + "00000000"

    @property
    def factor(self) -> float:
        """Size relative to 九江市 (census population): the prefecture gets 2.5 M persons × this at province scale."""
        return self.census_2020 / JIUJIANG_CENSUS


JIUJIANG_CENSUS = sum(c.census_2020 for c in COUNTIES)
# The 11 prefecture-level cities of Jiangxi (real names and codes). 九江 is the city of the other scales; the
# others have their real county-level units, shaped like 九江's (see `prefecture_counties`).


PREFECTURES: tuple[Prefecture, ...] = (
    Prefecture("3601", "南昌市", 6_260_000),
    Prefecture("3602", "景德镇市", 1_620_000),
    Prefecture("3603", "萍乡市", 1_800_000),
    Prefecture("3604", CITY_NAME, JIUJIANG_CENSUS),
    Prefecture("3605", "新余市", 1_200_000),
    Prefecture("3606", "鹰潭市", 1_150_000),
    Prefecture("3607", "赣州市", 8_970_000),
    Prefecture("3608", "吉安市", 4_470_000),
    Prefecture("3609", "宜春市", 5_010_000),
    Prefecture("3610", "抚州市", 3_610_000),
    Prefecture("3611", "上饶市", 6_490_000),
)
# Templates for another prefecture's counties, by the kind the name ends in: 九江's units of that kind in turn.
_TEMPLATES = {
    "区": ("360402", "360404", "360403"),
    "县": ("360423", "360424", "360425", "360426", "360428", "360429", "360430"),
    "市": ("360481", "360483", "360482"),
}


def present_counties(code4: str) -> list[tuple[str, str]]:
    """(code, name) of the county-level units of a prefecture today, from stdnum's division list (the one the
    registry checks ID numbers' regions against, docs/domain.md §19): every code whose last name has no end
    year, but the 市辖区 entry."""
    from stdnum import numdb

    db = numdb.get("cn/loc")
    out = []
    for n in range(2, 100):
        code6 = f"{code4}{n:02d}"
        names = [props.get("county") for _, props in db.info(code6) if "county" in props]
        if len(db.info(code6)) < 2 or not names or not names[-1]:
            continue
        last = names[-1].split(",")[-1]
        period, _, name = last.rpartition("]")
        if period and not period.endswith("-") or name[-1:] not in _TEMPLATES:
            continue
        out.append((code6, name))
    return out


def prefecture_counties(prefecture: Prefecture) -> tuple[County, ...]:
    """The prefecture's county-level units. 九江市: its real ones (COUNTIES). Another: its real codes and
    names of today (stdnum's list), each shaped like a 九江 unit of the same kind (区, 县 or 市: townships,
    rural share, poverty weight), the population scaled so that the prefecture's census population is met."""
    if prefecture.code4 == CITY_CODE[:4]:
        return COUNTIES
    real = present_counties(prefecture.code4)
    turn = dict.fromkeys(_TEMPLATES, 0)
    shaped = []
    for code6, name in real:
        kind = name[-1]
        shaped.append((code6, name, BY_CODE6[_TEMPLATES[kind][turn[kind] % len(_TEMPLATES[kind])]]))
        turn[kind] += 1
    # Each unit's share of the prefecture's rural persons as its template's, but none above
    # COUNTY_PERSONS_CAP at the province scale's size (2.5 M persons × the prefecture's factor): a county of a
    # million would crowd more people of one sex onto one birth date than ID numbers have orders
    # (idnumbers.ORDER_SLOTS). The census then follows the shares and adds up to the prefecture's.
    weight = [t.census_2020 * t.rural_share for _, _, t in shaped]
    cap = COUNTY_PERSONS_CAP / (CITY_SCALE_PERSONS * prefecture.factor)
    capped: set[int] = set()
    while True:
        room = 1.0 - cap * len(capped)
        free = sum(w for i, w in enumerate(weight) if i not in capped)
        share = [cap if i in capped else room * w / free for i, w in enumerate(weight)]
        over = {i for i, x in enumerate(share) if x > cap and i not in capped}
        if not over:
            break
        capped |= over
    census = [x / t.rural_share for x, (_, _, t) in zip(share, shaped, strict=True)]
    scale = prefecture.census_2020 / sum(census)
    return tuple(
        County(code6, name, round(c * scale), t.rural_share, t.streets, t.towns, t.xiang, t.poverty_factor)
        for (code6, name, t), c in zip(shaped, census, strict=True)
    )


def county_of(code6: str) -> County:
    """The county (九江's real ones, or a made-up one of another prefecture) of a 6-digit code."""
    county = BY_CODE6.get(code6)
    if county is not None:
        return county
    for prefecture in PREFECTURES:
        if prefecture.code4 == code6[:4]:
            for c in prefecture_counties(prefecture):
                if c.code6 == code6:
                    return c
    raise KeyError(code6)


def prefecture_tree(
    prefecture: Prefecture, *, seed: int, counties: tuple[str, ...] | None = None
) -> pl.DataFrame:
    """The tree of one prefecture restricted to `counties` (6-digit codes; None = all), sorted by code;
    its root's parent is the province. 九江市's is `build_tree`'s, row for row, but for that parent."""
    if prefecture.code4 == CITY_CODE[:4]:
        tree = build_tree(seed=seed, counties=counties)
        return tree.with_columns(
            pl.when(pl.col("level") == "city")
            .then(pl.lit(PROVINCE_CODE))
            .otherwise(pl.col("parent_code"))
            .alias("parent_code")
        )
    every = prefecture_counties(prefecture)
    quota = key_village_quota(every, round(KEY_VILLAGES * prefecture.factor))
    nodes = [_Node(prefecture.code, prefecture.name, "city", PROVINCE_CODE, prefecture.name)]
    for county in every:
        if counties is not None and county.code6 not in counties:
            continue
        nodes.append(
            _Node(county.code, county.name, "county", prefecture.code, prefecture.name + county.name)
        )
        nodes.extend(_county_nodes(county, seed, quota[county.code6], prefecture.name))
    return _frame(nodes)


def _frame(nodes: list[_Node]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "code": [n.code for n in nodes],
            "name": [n.name for n in nodes],
            "level": [n.level for n in nodes],
            "parent_code": [n.parent_code for n in nodes],
            "full_name": [n.full_name for n in nodes],
            "is_key_village": [n.is_key_village for n in nodes],
        },
        schema=TREE_SCHEMA,
    ).sort("code")
