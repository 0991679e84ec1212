"""Error codes of the reports domain."""

from django.utils.translation import gettext_lazy as _

from core.exceptions import ApplicationError


class InvalidPeriod(ApplicationError):
    """A custom period without both dates, ending before it starts, or too long."""

    code = "invalid_period"
    default_message = _("Choose a start and an end date, the end not before the start.")


class PeriodTooLong(ApplicationError):
    code = "period_too_long"
    default_message = _("A report covers at most 400 days.")
