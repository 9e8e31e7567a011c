"""Drop the indexes that composite indexes already cover, which every import wrote to for
nothing: the foreign-key indexes of LedgerEvent.problem and .measure (rect_event_problem and
rect_event_measure start with them), Problem.campaign's and rect_problem_campaign_path
(rect_problem_mix is the same columns, with INCLUDE on PostgreSQL).

The foreign-key indexes are dropped by name (the same on SQLite and PostgreSQL): Django's
AlterField would rebuild both tables on SQLite, copying every history row."""

import django.db.models.deletion
from django.db import migrations, models

COVERED = [
    ("rectification_ledgerevent_problem_id_b09dfca7", "rectification_ledgerevent", "problem_id"),
    ("rectification_ledgerevent_measure_id_62da46d6", "rectification_ledgerevent", "measure_id"),
    ("rectification_problem_campaign_id_10c6d062", "rectification_problem", "campaign_id"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0002_keyaction_actionitem_and_more"),
        ("rectification", "0003_rollups"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="problem", name="rect_problem_campaign_path"),
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{name}"',
                    f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ("{column}")',
                )
                for name, table, column in COVERED
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="ledgerevent",
                    name="measure",
                    field=models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="events",
                        to="rectification.measure",
                        verbose_name="整改措施",
                    ),
                ),
                migrations.AlterField(
                    model_name="ledgerevent",
                    name="problem",
                    field=models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="events",
                        to="rectification.problem",
                        verbose_name="问题",
                    ),
                ),
                migrations.AlterField(
                    model_name="problem",
                    name="campaign",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="problems",
                        to="campaigns.campaign",
                        verbose_name="主题教育",
                    ),
                ),
            ],
        ),
    ]
