"""The region tree's name index (regions.names): names as clerks write them → exactly one unit of scope."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from dixian.common.testing import region
from dixian.domain import placenames as pn
from dixian.regions.names import Place, PlaceIndex

CITY = Place("360400000000", "九江市", "city", None)
COUNTY = Place("360424000000", "修水县", "county", CITY.code)


def tree(townships: dict[str, dict[str, list[str]]]) -> tuple[PlaceIndex, dict[str, Place]]:
    """A county scope from {township: {village: [groups]}}; returns the index and the places by path."""
    places = [COUNTY]
    named: dict[str, Place] = {}
    for i, (t_name, villages) in enumerate(townships.items()):
        t = Place(f"360424{100 + i:03d}000", t_name, "township", COUNTY.code)
        places.append(t)
        named[t_name] = t
        for j, (v_name, groups) in enumerate(villages.items()):
            v = Place(f"{t.code[:9]}{200 + j:03d}", v_name, "village", t.code)
            places.append(v)
            named[f"{t_name}/{v_name}"] = v
            for k, g_name in enumerate(groups, start=1):
                g = Place(f"{v.code}{k:02d}", g_name, "group", v.code)
                places.append(g)
                named[f"{t_name}/{v_name}/{g_name}"] = g
    return PlaceIndex(COUNTY, places, [CITY]), named


@pytest.fixture
def index():
    return tree(
        {
            "义宁镇": {"良塘村": ["一组", "二组", "张家组"], "新村": [], "城东社区": []},
            "渣津镇": {"新村": ["1组"], "黄沙(港)村": []},
            "义宁乡": {"石坳村": []},
        }
    )


def code(index, **names) -> str | None:
    return index[0].resolve(**names).code


@pytest.mark.parametrize(
    "names",
    [
        {"village": "良塘村"},
        {"village": "良塘"},
        {"village": "良塘村委会"},
        {"village": "良塘村村民委员会"},
        {"village": " 良塘\u3000村 "},
        {"county": "修水", "township": "义宁镇", "village": "良塘村"},
        {"county": "九江市修水县", "village": "良塘村"},
        {"township": "义宁街道", "village": "良塘村"},
        {"village": "九江市修水县义宁镇良塘村"},
        {"village": "江西省九江市修水县义宁镇良塘村"},
        {"township": "修水县义宁镇", "village": "良塘村"},
    ],
)
def test_the_ways_clerks_write_a_village_find_it(index, names):
    assert code(index, **names) == "360424100200"


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        ({"village": "良塘村", "group": "2组"}, "36042410020002"),
        ({"village": "良塘村", "group": "第二村民小组"}, "36042410020002"),
        ({"village": "良塘村", "group": 2.0}, "36042410020002"),
        ({"village": "良塘村", "group": "张家"}, "36042410020003"),
        ({"village": "良塘村二组"}, "36042410020002"),
        ({"village": "良塘村", "group": "二组"}, "36042410020002"),
        ({"township": "渣津", "village": "新村", "group": "一组"}, "36042410120001"),
    ],
)
def test_groups_by_number_or_name(index, names, expected):
    assert code(index, **names) == expected


def test_the_very_name_wins_over_a_short_one_and_a_bracket_note_is_matched(index):
    assert code(index, village="城东社区") == "360424100202"
    assert code(index, village="城东村") == "360424100202"
    assert code(index, village="黄沙（港）村委会") == "360424101201"
    assert code(index, village="黄沙(港)") == "360424101201"
    assert code(index, village="良塘村(社区)") == "360424100200"


def test_a_shared_name_lists_every_unit_with_its_code_and_asks_for_the_township(index):
    r = index[0].resolve(village="新村")
    assert r.place is None and r.level == "village"
    assert r.message == (
        "「新村」在本辖区有 2 个:修水县义宁镇新村(360424100201)、修水县渣津镇新村(360424101200),"
        "请填写乡镇名称或行政区划代码"
    )
    assert [p.code for p in r.candidates] == ["360424100201", "360424101200"]


def test_a_short_township_name_shared_by_a_town_and_a_township_is_settled_by_the_village(index):
    assert code(index, township="义宁", village="石坳") == "360424102200"
    r = index[0].resolve(township="义宁", village="新村")
    assert r.code == "360424100201"


def test_unknown_names_say_where_they_were_looked_for(index):
    r = index[0].resolve(village="无此村")
    assert r.message == "在您的管辖范围(修水县)内找不到名为「无此村」的村,请核对名称,或填写行政区划代码"
    r = index[0].resolve(township="渣津镇", village="良塘村")
    assert r.message.startswith("修水县渣津镇没有名为「良塘村」的村(该乡镇的村有:新村、黄沙(港)村)")
    r = index[0].resolve(county="都昌县", village="良塘村")
    assert (r.level, r.place) == ("county", None)
    r = index[0].resolve(village="良塘村", group="9组")
    assert r.level == "group"
    assert "(该村的村民小组有:一组、二组、张家组)" in r.message
    assert index[0].resolve(township="义宁镇").message == "请填写行政村名称"


def test_a_group_name_under_a_village_the_tree_holds_no_groups_of_places_at_the_village(index):
    assert code(index, township="义宁镇", village="新村", group="3组") == "360424100201"
    assert code(index, village="石坳村五组") == "360424102200"
    assert index[0].resolve(village="良塘村", group="五组").level == "group"  # 良塘村 has groups: checked


# ---- properties over generated trees ------------------------------------------------------------------

BASE = st.text(alphabet="良塘义宁新黄沙石坳城东西南北桃坪马渣津大桥白岭上下", min_size=1, max_size=3)
TREES = st.dictionaries(
    st.tuples(BASE, st.sampled_from(["镇", "乡", "街道"])).map("".join),
    st.dictionaries(
        st.tuples(BASE, st.sampled_from(["村", "社区", "村委会"])).map("".join),
        st.lists(st.integers(1, 30).map(lambda n: f"{n}组"), max_size=3, unique=True),
        min_size=1,
        max_size=4,
    ),
    min_size=1,
    max_size=3,
)


def _unique_by(names: list[str], level: str, name: str) -> bool:
    """`name`'s short names are its own among `names` and no sibling is called by one of them."""
    mine = set(pn.short_names(name, level))
    return all(
        other == name or (not mine & set(pn.short_names(other, level)) and pn.clean(other) not in mine)
        for other in names
    )


@settings(max_examples=60, deadline=None)
@given(TREES, st.data())
def test_a_units_own_full_name_always_finds_it(townships, data):
    index, named = tree(townships)
    t_name = data.draw(st.sampled_from(sorted(townships)))
    v_name = data.draw(st.sampled_from(sorted(townships[t_name])))
    assume(len({pn.clean(t) for t in townships}) == len(townships))
    assume(len({pn.clean(v) for v in townships[t_name]}) == len(townships[t_name]))
    village = named[f"{t_name}/{v_name}"]
    assert index.resolve(county="修水县", township=t_name, village=v_name).code == village.code
    assert index.resolve(township=t_name, village=v_name).code == village.code
    for g_name in townships[t_name][v_name]:
        found = index.resolve(township=t_name, village=v_name, group=g_name).code
        assert found == named[f"{t_name}/{v_name}/{g_name}"].code


@settings(max_examples=60, deadline=None)
@given(TREES, st.data())
def test_a_units_short_name_finds_it_when_no_sibling_answers_to_it(townships, data):
    index, named = tree(townships)
    t_name = data.draw(st.sampled_from(sorted(townships)))
    v_name = data.draw(st.sampled_from(sorted(townships[t_name])))
    assume(_unique_by(list(townships), "township", t_name))
    assume(_unique_by(list(townships[t_name]), "village", v_name))
    found = index.resolve(
        county="修水", township=pn.short_name(t_name, "township"), village=pn.short_name(v_name, "village")
    )
    assert found.code == named[f"{t_name}/{v_name}"].code, found.message


@given(st.text(max_size=12), st.text(max_size=12), st.text(max_size=20), st.text(max_size=6))
def test_resolving_never_raises(county, township, village, group):
    index, _ = tree({"义宁镇": {"良塘村": ["一组"], "新村": []}, "渣津镇": {"新村": []}})
    r = index.resolve(county=county, township=township, village=village, group=group)
    assert (r.place is None) == bool(r.message)


# ---- loading from the database ------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_index_holds_the_scope_only_and_names_the_units_above_it(django_assert_max_num_queries):
    city = region("360400000000", "九江市", "city")
    county = region("360424000000", "修水县", "county", city)
    other = region("360428000000", "都昌县", "county", city)
    township = region("360424100000", "义宁镇", "township", county)
    village = region("360424100201", "良塘村", "village", township)
    region("36042410020101", "一组", "group", village)
    far = region("360428100000", "都昌镇", "township", other)
    region("360428100201", "良塘村", "village", far)
    with django_assert_max_num_queries(4):
        index = PlaceIndex.for_scope(township)
    assert (
        index.resolve(county="修水县", township="义宁镇", village="良塘村", group="1组").code
        == "36042410020101"
    )
    assert index.resolve(village="九江市修水县义宁镇良塘村").code == village.code
    assert index.resolve(county="都昌县", village="良塘村").message == (
        "在您的管辖范围(修水县义宁镇)内找不到名为「都昌县」的县(市、区),请核对名称,或填写行政区划代码"
    )
    assert PlaceIndex.for_scope(county, groups=False).resolve(village="良塘村").code == village.code
    assert PlaceIndex.for_scope(city).resolve(village="良塘村").message == (
        "「良塘村」在本辖区有 2 个:修水县义宁镇良塘村(360424100201)、都昌县都昌镇良塘村(360428100201),"
        "请填写乡镇名称或行政区划代码"
    )
