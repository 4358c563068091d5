from django.db import migrations, models

import documents.models


class Migration(migrations.Migration):
    dependencies = [("documents", "0003_fill_public_codes_and_states")]

    operations = [
        migrations.AlterField(
            model_name="outgoingdocument",
            name="public_code",
            field=models.CharField(
                default=documents.models.new_public_code,
                editable=False,
                max_length=12,
                unique=True,
                verbose_name="mã xác minh",
            ),
        ),
        # The printed code replaces the UUID that only the portal's own links carried.
        migrations.RemoveField(model_name="outgoingdocument", name="verification_code"),
    ]
