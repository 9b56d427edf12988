"""Pools for made-up personal and place names.

Personal names are a common surname plus one or two given-name characters drawn from a pool that
fits the person's sex and birth cohort, so that grandmothers are 秀英 and granddaughters 梓涵. Any
match with a real person is chance: names are drawn independently of every real record.
"""

from __future__ import annotations

import numpy as np

# Common surnames, roughly in order of frequency in Jiangxi; weights fall off like a Zipf law.
SURNAMES = tuple(
    dict.fromkeys(
        "刘陈李王张黄胡吴徐罗万彭周熊杨曾邹朱余肖付涂汪邓魏江何谢郭舒叶龚丁程蔡袁冷樊卢匡钟"
        "廖邱潘饶聂章方喻雷游宋赵严梅帅占洪梁孙石柯夏戴殷詹姜"
    )
)
SURNAME_WEIGHTS = 1.0 / np.arange(1, len(SURNAMES) + 1) ** 0.9

# Given-name characters by sex and birth cohort (before 1970, 1970-1994, 1995 on).
GIVEN: dict[tuple[str, int], str] = {
    ("male", 0): "国建华明德志文金水春长永清海林荣根发福贵生平兴忠义胜保元有木炎火松",
    ("male", 1): "军伟勇强斌涛鹏杰辉波亮刚峰磊俊明华东林超飞剑锋平红卫兵志新胜",
    ("male", 2): "浩宇轩子睿博泽俊晨逸航杰阳铭鑫嘉豪梓皓然翔宸煜昊瑞文一辰景",
    ("female", 0): "秀英兰桂芳珍凤玉梅莲花香菊春金翠招娥冬月娇美爱仙彩云细满",
    ("female", 1): "丽红燕霞敏静娟艳萍琴慧玲芳婷琳洁华莉雪颖丹倩芬蓉青",
    ("female", 2): "欣怡涵梓萱诗雨思佳琪悦可馨妍若汐婉晨语嘉一依彤雅乐瑶心宁",
}

# Place-name syllables for townships and villages: first and second character of a two-character name.
PLACE_FIRST = "东西南北上下大小新老石金黄白青马龙凤桃李杨柳竹梅松山水溪港塘坪岭源清宁丰太永长高红"
PLACE_SECOND = "山溪港塘坪岭源口湾田坑桥洲坊岗埠林峰泉湖丰兴安宁和华阳平陂垅畈岸庄铺背"

CHINESE_NUMERALS = ("", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十")


def chinese_number(n: int) -> str:
    """1 → 一, 12 → 十二, 20 → 二十 (n < 100)."""
    if n <= 10:
        return CHINESE_NUMERALS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else CHINESE_NUMERALS[tens]) + "十" + CHINESE_NUMERALS[ones]


def place_names(rng: np.random.Generator, count: int, *, taken: set[str] | None = None) -> list[str]:
    """`count` distinct two-character place names not already in `taken` (which is updated)."""
    taken = set() if taken is None else taken
    out: list[str] = []
    capacity = len(PLACE_FIRST) * len(PLACE_SECOND)
    if len(taken) + count > capacity:
        raise ValueError("not enough place names")
    while len(out) < count:
        a = PLACE_FIRST[rng.integers(len(PLACE_FIRST))]
        b = PLACE_SECOND[rng.integers(len(PLACE_SECOND))]
        name = a + b
        if a == b or name in taken:
            continue
        taken.add(name)
        out.append(name)
    return out
