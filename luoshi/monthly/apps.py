from django.apps import AppConfig


class MonthlyConfig(AppConfig):
    name = "luoshi.monthly"
    label = "monthly"
    verbose_name = "一月一走访"

    def ready(self):
        from luoshi.core import versions
        from luoshi.core.registry import (
            NavItem,
            add_chart,
            add_figures,
            add_my_work,
            add_nav,
            add_problem_origin,
            add_report_paragraphs,
            add_seed_step,
            add_tile,
        )
        from luoshi.monthly import models, seeding, selectors

        add_nav(NavItem("月度走访", "monthly:index", "/monthly/", order=47))
        add_figures(selectors.monthly_figures)
        # counted directly (no tally): the services mark them
        versions.read_from(
            versions.ROWS,
            models.VisitTarget,
            models.TargetAssignment,
            models.MonthlyVisit,
            models.Finding,
            models.MonthlyMeeting,
        )
        add_seed_step(seeding.seed_monthly, order=75)
        add_seed_step(seeding.seed_passed_up, order=98)
        add_my_work(selectors.my_unvisited)
        add_problem_origin(selectors.problem_origin)
        add_tile("monthly/_tile.html", order=50)
        add_chart(selectors.dashboard_charts)
        add_report_paragraphs(selectors.report_paragraphs)
