import importlib

from django.db import migrations

append_only_trigger = importlib.import_module("luoshi.core.migrations.0002_append_only_trigger")


class Migration(migrations.Migration):
    dependencies = [("rectification", "0001_initial"), ("core", "0002_append_only_trigger")]
    operations = [append_only_trigger.append_only("rectification_ledgerevent")]
