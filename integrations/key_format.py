"""What an API key looks like: the visible prefix every secret starts with and the longest
value read from a request. Free of imports of our code: the authentication class reads it
while DRF (and so ``core.exceptions``) is still being imported."""

SECRET_PREFIX = "tt_"  # noqa: S105 - the visible start of every key, not a secret
MAX_KEY_LENGTH = 200
