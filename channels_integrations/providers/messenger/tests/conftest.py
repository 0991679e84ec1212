from channels_integrations.providers.meta.tests.support import graph_api_url  # noqa: F401
