"""A campaign's status (筹备 → 启动 → 总结 → 结束) and its goals as an ordered list. Campaigns that
exist already are running, so they start as 启动; the goals written as one text are split on
、，, and new lines."""

import re

from django.db import migrations, models

SPLIT = re.compile(r"[、，,\n\r；;]+")


def goals_to_list(apps, schema_editor):
    Campaign = apps.get_model("campaigns", "Campaign")
    for campaign in Campaign.objects.all():
        goals = [g.strip() for g in SPLIT.split(campaign.goals_text or "") if g.strip()]
        Campaign.objects.filter(pk=campaign.pk).update(goals=goals)


def goals_to_text(apps, schema_editor):
    Campaign = apps.get_model("campaigns", "Campaign")
    for campaign in Campaign.objects.all():
        text = "、".join(campaign.goals or [])
        Campaign.objects.filter(pk=campaign.pk).update(goals_text=text)


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0002_keyaction_actionitem_and_more")]

    operations = [
        migrations.AddField(
            model_name="campaign",
            name="status",
            field=models.CharField(
                choices=[
                    ("draft", "筹备"),
                    ("launched", "启动"),
                    ("summing_up", "总结"),
                    ("ended", "结束"),
                ],
                default="launched",
                max_length=12,
                verbose_name="状态",
            ),
        ),
        migrations.AlterField(
            model_name="campaign",
            name="status",
            field=models.CharField(
                choices=[
                    ("draft", "筹备"),
                    ("launched", "启动"),
                    ("summing_up", "总结"),
                    ("ended", "结束"),
                ],
                default="draft",
                max_length=12,
                verbose_name="状态",
            ),
        ),
        migrations.AddField(
            model_name="campaign",
            name="preset",
            field=models.CharField(blank=True, max_length=16, verbose_name="起始模板"),
        ),
        migrations.RenameField(model_name="campaign", old_name="goals", new_name="goals_text"),
        migrations.AddField(
            model_name="campaign",
            name="goals",
            field=models.JSONField(
                blank=True, default=list, help_text="目标，按顺序", verbose_name="目标"
            ),
        ),
        migrations.RunPython(goals_to_list, goals_to_text),
        migrations.RemoveField(model_name="campaign", name="goals_text"),
    ]
