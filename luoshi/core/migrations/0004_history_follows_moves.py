"""History rows keep their content but follow a moved subtree: the append-only trigger lets an
UPDATE through when it changes `org_path` alone (orgs.services.move_subtree)."""

import importlib

from django.db import migrations

trigger = importlib.import_module("luoshi.core.migrations.0002_append_only_trigger")


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(trigger.FUNCTION)


class Migration(migrations.Migration):
    dependencies = [("core", "0003_alter_auditevent_kind")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
