"""Models of the automation app, one module per subject (re-exported here)."""

from automation.models.flows import ConnectionFlow, Flow, FlowMedia, FlowRun, FlowVersion

__all__ = ["ConnectionFlow", "Flow", "FlowMedia", "FlowRun", "FlowVersion"]
