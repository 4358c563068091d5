from django.apps import AppConfig


class CchcPortalConfig(AppConfig):
    name = "cchc_portal"
    verbose_name = "Cổng CCHC"

    def ready(self) -> None:
        from cchc_portal import checks  # noqa: F401  (registers the system checks)
