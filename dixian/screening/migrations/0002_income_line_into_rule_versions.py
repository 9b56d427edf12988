"""R12 screens with its own version's income line, no longer with the IncomeLine table put over it.

Before, a run replaced every R12 version's line with the IncomeLine table (edited in the admin, without a
version), so the line on the rules page did nothing and alerts cited a version whose line was not the one
used. Now the rules page is where the line is edited and it writes the table. So that the upgrade changes no
result, the lines a run used until now become R12's parameters: for the whole city and for every region that
has lines of its own or a version of its own, a new version carries the table's lines (a region's own years
over the city's), where they differ from what the region's latest version carries. A fresh database has no
rules yet (they are seeded after migrating, with the same example line as the table) and nothing to do."""

from decimal import Decimal

from django.db import migrations

NOTE = "升级:收入监测线由规则参数维护,沿用收入监测线表中的标准"


def _number(amount: Decimal) -> int | float:
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def fold(apps, schema_editor):
    Rule = apps.get_model("screening", "Rule")
    RuleVersion = apps.get_model("screening", "RuleVersion")
    IncomeLine = apps.get_model("registry", "IncomeLine")
    rule = Rule.objects.filter(logic="income_below_line").first()
    if rule is None:
        return
    table: dict[str, dict[str, int | float]] = {}
    for prefix, year, amount in IncomeLine.objects.values_list("region__prefix", "year", "amount"):
        table.setdefault(prefix or "", {})[str(year)] = _number(amount)
    if not table:
        return
    versions = list(RuleVersion.objects.filter(rule=rule).order_by("-version"))
    number = versions[0].version if versions else 0
    for prefix in sorted(set(table) | {v.region_prefix for v in versions}, key=lambda p: (len(p), p)):
        base = next((v for v in versions if v.region_prefix == prefix), None) or next(
            (v for v in versions if v.region_prefix == ""), None
        )
        if base is None:
            continue
        wanted: dict[str, int | float] = {}
        for line_prefix in sorted(table, key=len):  # the most specific region's years win
            if prefix.startswith(line_prefix):
                wanted.update(table[line_prefix])
        current = base.params.get("income_line")
        if isinstance(current, dict) and {str(y): a for y, a in current.items()} == wanted:
            continue
        number += 1
        RuleVersion.objects.create(
            rule=rule,
            version=number,
            region_prefix=prefix,
            risk_code=base.risk_code,
            grade=base.grade,
            template=base.template,
            params={**base.params, "income_line": dict(sorted(wanted.items()))},
            escalations=base.escalations,
            valid_from=base.valid_from,
            valid_to=base.valid_to,
            note=NOTE,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("screening", "0001_initial"),
        ("registry", "0006_drop_redundant_indexes"),
        ("regions", "0001_initial"),
    ]

    # Backwards: the versions stay (they are part of the record, and what they say is what runs used).
    operations = [migrations.RunPython(fold, migrations.RunPython.noop)]
