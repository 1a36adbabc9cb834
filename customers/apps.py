from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = _("Customers")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from customers.middleware import remember_on_login  # lazy: models load after app registry

        user_logged_in.connect(remember_on_login, dispatch_uid="customers.remember_preferences")
