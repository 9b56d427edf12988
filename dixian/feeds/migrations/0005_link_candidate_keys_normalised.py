"""Record keys hold the normalised ID number now (docs/feeds.md §五): the stored candidates' keys follow, so
that the screening engine, which builds keys the new way, still finds their links."""

from django.db import migrations


def rekey(apps, schema_editor):
    from dixian.domain import catalogue
    from dixian.domain.records import rekeyed

    LinkCandidate = apps.get_model("feeds", "LinkCandidate")
    for feed in catalogue.FEEDS:
        if "id_number" not in feed.record_key:
            continue
        rows = LinkCandidate.objects.filter(feed=feed.code).values_list("pk", "record_key", "person_id")
        for pk, key, person in rows.iterator():
            new = rekeyed(feed, key)
            if new == key:
                continue
            # The same record stored under both keys (sent dirty and clean): keep the one already rekeyed.
            if LinkCandidate.objects.filter(feed=feed.code, record_key=new, person_id=person).exists():
                continue
            LinkCandidate.objects.filter(pk=pk).update(record_key=new[:200])


class Migration(migrations.Migration):
    dependencies = [("feeds", "0004_link_candidate_method")]

    operations = [migrations.RunPython(rekey, migrations.RunPython.noop)]
