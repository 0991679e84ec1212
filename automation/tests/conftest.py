"""Fixtures of the automation tests: the channels tests' sample providers and task recorder."""

from channels_integrations.conftest import media_root, published, sample_providers

__all__ = ["media_root", "published", "sample_providers"]
