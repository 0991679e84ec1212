from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AutomationConfig(AppConfig):
    """What happens without an agent: the chatbot (flows, their versions and runs), business
    hours and their out-of-hours notice, and the automatic distribution of waiting tickets to
    online agents."""

    name = "automation"
    verbose_name = _("Automation")
