"""Every document gets its printed verification code; the old states become the new ones."""

from django.db import migrations

import documents.models

# Old states: "numbered" (a number, no file: issued on paper or before signing), "awaiting_signature"
# (prepared for a USB token, numbered) and "signed" (both signatures): all numbered already.
OLD_STATES = {"numbered": "issued", "awaiting_signature": "awaiting_leader", "signed": "issued"}


def fill_public_codes_and_states(apps, schema_editor):
    OutgoingDocument = apps.get_model("documents", "OutgoingDocument")
    for document in OutgoingDocument.objects.all():
        document.public_code = documents.models.new_public_code()
        document.state = OLD_STATES.get(document.state, document.state)
        document.save(update_fields=["public_code", "state"])


class Migration(migrations.Migration):
    dependencies = [("documents", "0002_two_step_signing_and_identities")]

    operations = [migrations.RunPython(fill_public_codes_and_states, migrations.RunPython.noop)]
