"""Reads of the automation domain."""
