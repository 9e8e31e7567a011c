from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "luoshi.supervision"
    label = "supervision"
    verbose_name = "督办与报送"

    def ready(self):
        from luoshi.accounts.permissions import may_remind
        from luoshi.core import versions
        from luoshi.core.registry import (
            BulkAction,
            NavItem,
            add_figures,
            add_my_work,
            add_nav,
            add_report_paragraphs,
            add_seed_step,
            add_tile,
            add_work_bulk_action,
        )
        from luoshi.supervision import seeding, selectors
        from luoshi.supervision.models import Escalation, ReportDemand, Submission

        add_nav(
            NavItem(
                "督办报送", "supervision:escalations", "/supervision/", order=60, group="专项工作"
            )
        )
        add_figures(selectors.escalation_figures, as_of=True)
        add_figures(selectors.submission_figures, as_of=True)
        add_tile("supervision/_tile.html", order=80, as_of=True)
        add_my_work(selectors.my_escalations_section)
        add_work_bulk_action(
            BulkAction(
                "批量提醒",
                "supervision:remind",
                ("overdue", "upcoming"),
                may_remind,
                testid="remind-many",
                hint="勾选要提醒的下级措施，责任单位的联络员将收到一条站内消息：",
            )
        )
        add_report_paragraphs(selectors.report_paragraphs)
        add_seed_step(seeding.seed_supervision, order=90)
        # the dashboards show the 督办单 and the reports owed: their writers mark what changed
        versions.read_from(versions.ROWS, Escalation, ReportDemand, Submission)
