from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demonstration data: `luoshi seed` (the tree, the accounts, then every app's seed step
    from core.registry.SEED_STEPS) and `luoshi demo`. It stands above every other app, which is
    why these commands are not in core."""

    name = "luoshi.demo"
    label = "demo"
    verbose_name = "演示数据"
