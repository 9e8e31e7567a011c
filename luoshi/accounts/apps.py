from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "luoshi.accounts"
    label = "accounts"
    verbose_name = "账号与岗位"

    def ready(self):
        from luoshi.accounts import signals  # noqa: F401
        from luoshi.core.registry import NavItem, add_nav

        add_nav(NavItem("账号管理", "accounts:list", "/accounts/manage/", order=90))
