from django.apps import AppConfig


class RegistersConfig(AppConfig):
    """The restricted registers plug into nothing shared: no figures, tiles, search, report
    paragraphs or exports; the navigation shows them only to the holders of their roles."""

    name = "luoshi.registers"
    label = "registers"
    verbose_name = "专项登记"

    def ready(self):
        from luoshi.core.registry import NavItem, add_nav, add_seed_step
        from luoshi.registers import seeding, services

        add_nav(
            NavItem(
                "专项登记",
                "registers:index",
                "/registers/",
                order=90,
                visible=lambda user: bool(services.held_registers(user)),
            )
        )
        add_seed_step(seeding.seed_registers, order=96)
