"""Procedures imported before sources were recorded: each belongs to its issuing body (the
national portal's exports are per issuer), and the procedures still in force were listed by that
issuer's latest import."""

from django.db import migrations


def fill(apps, schema_editor):
    Procedure = apps.get_model("procedures", "Procedure")
    SourceListing = apps.get_model("procedures", "SourceListing")
    rows = list(
        Procedure.objects.filter(source="").exclude(ministry="").values_list("pk", "ministry", "status")
    )
    for ministry in {ministry for _pk, ministry, _status in rows}:
        Procedure.objects.filter(source="", ministry=ministry).update(source=ministry)
    SourceListing.objects.bulk_create(
        [
            SourceListing(scope=ministry, procedure_id=pk)
            for pk, ministry, status in rows
            if status != "repealed"
        ],
        batch_size=1000,
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [("procedures", "0002_procedure_add_source_local_name_listing")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
