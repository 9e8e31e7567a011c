from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "luoshi.accounts"
    label = "accounts"
    verbose_name = "账号与岗位"

    def ready(self):
        from luoshi.accounts import signals  # noqa: F401
