from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo district generator: it fills every app, so it sits on top of them all
    (no app imports it; `core` knows no domain app)."""

    name = "fangyi.demo"
    verbose_name = "demo district"
