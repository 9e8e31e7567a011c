"""On PostgreSQL, history tables refuse UPDATE and DELETE from anyone, not only from the app."""

from django.db import migrations

# Moving a subtree rewrites the rows' copy of their tree position (org_path) and nothing else;
# that update is let through (core/0004 brings existing databases to this body).
FUNCTION = """
CREATE OR REPLACE FUNCTION luoshi_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND (to_jsonb(NEW) - 'org_path') = (to_jsonb(OLD) - 'org_path') THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'luoshi: %% on %% refused: the history is append-only', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END
$$;
"""


def append_only(table: str):
    def forwards(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(FUNCTION)
            schema_editor.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION luoshi_refuse_change()"
            )

    def backwards(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")

    return migrations.RunPython(forwards, backwards)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [append_only("core_auditevent")]
