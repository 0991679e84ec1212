"""Writes of the automation domain: flows (and their versions, files, import and export) and
flow runs (the bot on tickets), re-exported here; business hours (schedules and the
out-of-hours notice) and distribution (waiting tickets handed to online agents) are imported
from their modules."""

from automation.services.flow_runs import (
    flow_message_received,
    flow_run_send_delayed,
    flow_runs_inactive_process,
)
from automation.services.flows import (
    flow_create,
    flow_delete,
    flow_duplicate,
    flow_export,
    flow_graph_save,
    flow_graph_validate,
    flow_graph_validate_or_raise,
    flow_import,
    flow_import_mapped,
    flow_import_targets,
    flow_media_upload,
    flow_rollback,
    flow_test_run,
    flow_update,
)

__all__ = [
    "flow_create",
    "flow_delete",
    "flow_duplicate",
    "flow_export",
    "flow_graph_save",
    "flow_graph_validate",
    "flow_graph_validate_or_raise",
    "flow_import",
    "flow_import_mapped",
    "flow_import_targets",
    "flow_media_upload",
    "flow_message_received",
    "flow_rollback",
    "flow_run_send_delayed",
    "flow_runs_inactive_process",
    "flow_test_run",
    "flow_update",
]
