"""Figures for leaders: aggregates kept current by the screening run, the case workflow and imports.

A `Fact` is one number about one region in one month: how many 脱贫户 a village holds at the month's end,
how many alerts were raised there in the month, the sum of monitored households' per-capita income. The
dashboard, the map and the monthly bulletin read facts, never the registry (docs/domain.md §21): a
producer (reports/producers.py) computes the village-level facts from the source tables, and the refresh
(reports/services.py) sums them up to every township, county and the city. An indicator (reports/
catalogue.py) is a fact, or the ratio of two, with its definition.
"""

from __future__ import annotations

from django.db import models


class Fact(models.Model):
    # "2026-10": the month the figure is about (a stock as at its last day, a flow over the month).
    period = models.CharField("统计月份", max_length=7)
    code = models.CharField("统计项", max_length=60)
    # A breakdown of the same figure ("risk=R01", "feed=medical_settlement"); "" is the total.
    dim = models.CharField("分组", max_length=60, blank=True, default="")
    region_code = models.CharField("区划代码", max_length=14)
    level = models.CharField("层级", max_length=10)
    # The unit above region_code (ranking of a unit's children reads by it); "" for the city.
    parent_code = models.CharField("上级区划代码", max_length=14, blank=True, default="")
    value = models.DecimalField("数值", max_digits=20, decimal_places=2)

    class Meta:
        verbose_name = "统计数"
        verbose_name_plural = "统计数"
        constraints = [
            models.UniqueConstraint(fields=["period", "code", "dim", "region_code"], name="fact_unique"),
        ]
        indexes = [
            # A unit's own figures in a month (headline), its children's (ranking and map).
            models.Index(fields=["region_code", "period"], name="fact_region_period"),
            models.Index(fields=["parent_code", "period", "code"], name="fact_children"),
        ]

    def __str__(self) -> str:
        return f"{self.period} {self.region_code} {self.code}[{self.dim}] = {self.value}"


class StaleVillage(models.Model):
    """A village (and month) whose facts are older than its data: the next refresh recomputes it."""

    region_code = models.CharField("村区划代码", max_length=14)
    period = models.CharField("统计月份", max_length=7)
    marked_at = models.DateTimeField("标记时间", auto_now_add=True)

    class Meta:
        verbose_name = "待更新的村"
        verbose_name_plural = "待更新的村"
        constraints = [
            models.UniqueConstraint(fields=["region_code", "period"], name="stale_village_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.region_code} {self.period}"


class FactRefresh(models.Model):
    """One refresh of the facts: what it covered and what it cost (shown as 数据截至 on the dashboard)."""

    started_at = models.DateTimeField("开始时间")
    finished_at = models.DateTimeField("完成时间")
    scope = models.CharField("范围", max_length=200)
    periods = models.CharField("统计月份", max_length=200)
    villages = models.PositiveIntegerField("村数", default=0)
    rows = models.PositiveIntegerField("写入条数", default=0)
    seconds = models.FloatField("用时(秒)", default=0)

    class Meta:
        verbose_name = "统计数更新"
        verbose_name_plural = "统计数更新"
        ordering = ["-finished_at"]

    def __str__(self) -> str:
        return f"{self.finished_at:%Y-%m-%d %H:%M} {self.scope}"
