from django.apps import AppConfig


class GuidanceConfig(AppConfig):
    name = "luoshi.guidance"
    label = "guidance"
    verbose_name = "督导指导"

    def ready(self):
        from luoshi.core import versions
        from luoshi.core.registry import (
            NavItem,
            add_figures,
            add_my_work,
            add_nav,
            add_report_paragraphs,
            add_seed_step,
            add_tile,
        )
        from luoshi.guidance import seeding, selectors
        from luoshi.guidance.models import (
            Circular,
            CircularRecipient,
            Finding,
            GuidanceGroup,
            Inspection,
        )

        add_nav(NavItem("督导指导", "guidance:groups", "/guidance/", order=55, group="专项工作"))
        add_figures(selectors.guidance_figures, as_of=True)
        add_tile("guidance/_tile.html", order=50, as_of=True)
        add_report_paragraphs(selectors.report_paragraphs)
        add_seed_step(seeding.seed_guidance, order=80)
        add_my_work(selectors.my_replies_due)
        add_my_work(selectors.my_replies_to_check)
        add_my_work(selectors.my_circulars_to_confirm)
        # counted directly by the figures: the services mark the subtrees
        versions.read_from(versions.ROWS, Inspection, Finding, Circular, CircularRecipient)
        # a member's guidance role is read from the group (accounts.permissions)
        versions.read_from(
            versions.ACCOUNT,
            GuidanceGroup,
            GuidanceGroup.members.through,
            GuidanceGroup.subtrees.through,
        )
