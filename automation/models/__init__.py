"""Models of the automation app, one module per subject (re-exported here)."""

from automation.models.business_hours import (
    BusinessHours,
    BusinessHoursHoliday,
    BusinessHoursInterval,
    DistributionTurn,
    OutOfHoursNotice,
)
from automation.models.flows import ConnectionFlow, Flow, FlowMedia, FlowRun, FlowVersion

__all__ = [
    "BusinessHours",
    "BusinessHoursHoliday",
    "BusinessHoursInterval",
    "ConnectionFlow",
    "DistributionTurn",
    "Flow",
    "FlowMedia",
    "FlowRun",
    "FlowVersion",
    "OutOfHoursNotice",
]
