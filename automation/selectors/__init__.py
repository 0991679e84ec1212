"""Reads of the automation domain (re-exported from one module per subject)."""

from automation.selectors.flows import (
    flow_for_connection,
    flow_get,
    flow_references,
    flow_version_get,
    flows_list,
)

__all__ = [
    "flow_for_connection",
    "flow_get",
    "flow_references",
    "flow_version_get",
    "flows_list",
]
