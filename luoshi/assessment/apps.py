from django.apps import AppConfig


class AssessmentConfig(AppConfig):
    name = "luoshi.assessment"
    label = "assessment"
    verbose_name = "评估考核"

    def ready(self):
        from luoshi.assessment import seeding, selectors
        from luoshi.assessment.models import Survey, SurveyAnswer
        from luoshi.core import versions
        from luoshi.core.registry import (
            NavItem,
            add_figures,
            add_nav,
            add_report_paragraphs,
            add_seed_step,
            add_tile,
        )

        add_nav(NavItem("评估考核", "assessment:index", "/assessment/", order=70, group="专项工作"))
        add_figures(selectors.assessment_figures)
        add_tile("assessment/_tile.html", order=80)
        add_report_paragraphs(selectors.report_paragraphs)
        add_seed_step(seeding.seed_assessment, order=95)
        versions.read_from(versions.ROWS, Survey, SurveyAnswer)  # the surveys' figures
