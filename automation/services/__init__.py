"""Writes of the automation domain, one module per subject: business hours (schedules and the
out-of-hours notice) and distribution (waiting tickets handed to online agents)."""
