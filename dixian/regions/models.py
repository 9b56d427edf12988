"""The administrative tree: city → county → township → village (→ group).

Every node is keyed by its statistical division code: 12 digits for city to village (national list),
and, for a village group (组), the village's 12 digits plus a 2-digit group number. `prefix` holds the
significant leading digits of the code (city 4, county 6, township 9, village 12, group 14); a node's
subtree is every code that starts with its prefix, which is how region scoping works everywhere.

The tree of a real city is loaded from the statistical division code table (docs/domain.md §19,
`dixian import_regions`): a unit the table no longer lists is retired (`retired_on`), never deleted, so
that the households recorded on it keep their village until someone moves them; pickers for new data
offer only the units in use (`Region.objects.in_use()`).
"""

from __future__ import annotations

from typing import Any

from django.db import models


class RegionQuerySet(models.QuerySet["Region"]):
    def in_use(self) -> RegionQuerySet:
        """Units not retired: the ones offered for new data (accounts, declarations, pickers)."""
        return self.filter(retired_on__isnull=True)


class Region(models.Model):
    class Level(models.TextChoices):
        CITY = "city", "市"
        COUNTY = "county", "县(市、区)"
        TOWNSHIP = "township", "乡镇"
        VILLAGE = "village", "村"
        GROUP = "group", "组"

    class UrbanRural(models.TextChoices):
        """城乡分类代码 of the code table (docs/domain.md §19): only villages and communities carry one."""

        MAIN_URBAN = "111", "主城区"
        URBAN_FRINGE = "112", "城乡结合区"
        TOWN_CENTRE = "121", "镇中心区"
        TOWN_FRINGE = "122", "镇乡结合区"
        SPECIAL = "123", "特殊区域"
        XIANG_CENTRE = "210", "乡中心区"
        VILLAGE = "220", "村庄"

    PREFIX_LENGTH = {"city": 4, "county": 6, "township": 9, "village": 12, "group": 14}

    code = models.CharField("区划代码", max_length=14, unique=True)
    name = models.CharField("名称", max_length=60)
    level = models.CharField("层级", max_length=10, choices=Level.choices)
    parent = models.ForeignKey(
        "self", verbose_name="上级", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    prefix = models.CharField("代码前缀", max_length=14, db_index=True, editable=False)
    full_name = models.CharField("全称", max_length=200, blank=True)
    is_key_village = models.BooleanField("重点帮扶村", default=False)
    urban_rural_code = models.CharField("城乡分类", max_length=3, choices=UrbanRural.choices, blank=True)
    retired_on = models.DateField("撤销日期", null=True, blank=True)

    objects = RegionQuerySet.as_manager()

    class Meta:
        verbose_name = "行政区划"
        verbose_name_plural = "行政区划"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.full_name or self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.prefix = self.code[: self.PREFIX_LENGTH[self.level]]
        super().save(*args, **kwargs)

    @property
    def is_retired(self) -> bool:
        return self.retired_on is not None

    @property
    def upper_bound(self) -> str:
        """Exclusive upper bound of the subtree's codes: every code with this prefix sorts below it."""
        return self.prefix + "~"

    def contains(self, code: str) -> bool:
        return code.startswith(self.prefix)
