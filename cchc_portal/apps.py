from django.apps import AppConfig


class CchcPortalConfig(AppConfig):
    name = "cchc_portal"
    verbose_name = "Cổng CCHC"
