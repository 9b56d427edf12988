"""The department line's evidence keys without the rule's version.

A key used to include the version of the rule that found the fact, so a new version (a threshold or the
wording changed, a new income line) found every current fact again as new evidence and reopened alerts the
village had ruled out. Keys are now (household, risk, channel, rule, feed, record keys), as
`dixian.screening.store.dedup_keys` computes them; this recomputes the stored ones. Where two versions of
a rule stored the same fact, the first piece keeps the new key and the later one its old key (nothing is
deleted: both stay in the record, and the new key already stops a third)."""

import hashlib

from django.db import migrations

CHUNK = 2_000


def _key(*parts: object) -> str:
    # cases.services.evidence_dedup_key, as of this migration
    return hashlib.sha256("\x1f".join("" if p is None else str(p) for p in parts).encode()).hexdigest()


def rekey(apps, schema_editor):
    AlertEvidence = apps.get_model("cases", "AlertEvidence")
    RuleVersion = apps.get_model("screening", "RuleVersion")
    # The engine labels a piece of evidence with its rule's feeds joined by "+", or "registry" (R12, R13);
    # the stored feed is cut to 20 characters, so the label comes from the rule.
    labels = {
        pk: ("+".join(feeds) if feeds else "registry", rule_id)
        for pk, rule_id, feeds in RuleVersion.objects.values_list("pk", "rule__rule_id", "rule__feeds")
    }
    rows = (
        AlertEvidence.objects.filter(channel="department", rule_version__isnull=False)
        .order_by("pk")
        .values_list("pk", "household_id", "risk_code", "rule_version_id", "record_keys", "dedup_key")
    )
    taken: set[str] = set()
    changed = []
    for pk, household_id, risk_code, version_id, record_keys, old in rows.iterator(chunk_size=CHUNK):
        if version_id not in labels:
            continue
        feed, rule_id = labels[version_id]
        keys = "|".join(sorted(record_keys or []))
        new = _key(household_id, risk_code, "department", rule_id, feed, keys)
        if new in taken or new == old:
            taken.add(new)
            continue
        taken.add(new)
        changed.append(AlertEvidence(pk=pk, dedup_key=new))
        if len(changed) >= CHUNK:
            AlertEvidence.objects.bulk_update(changed, ["dedup_key"])
            changed = []
    if changed:
        AlertEvidence.objects.bulk_update(changed, ["dedup_key"])


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0007_index_only_what_is_read"),
        ("screening", "0001_initial"),
    ]

    # Backwards: the new keys stay (a run of the older code would add each fact once more under its
    # version's key, as it did after any new version).
    operations = [migrations.RunPython(rekey, migrations.RunPython.noop)]
