from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "luoshi.campaigns"
    label = "campaigns"
    verbose_name = "主题教育"
