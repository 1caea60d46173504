"""User-facing errors: one clear message, a fixed exit status, no traceback."""


class HeredityError(Exception):
    """An error caused by the user's input or environment (exit status 2)."""

    exit_status = 2


class ConfigError(HeredityError):
    """An experiment or recipe file is invalid."""


class StoreError(HeredityError):
    """The store is missing, unreadable, foreign or not writable."""


class IntegrityError(HeredityError):
    """An artifact's files no longer match the hashes in its manifest (exit status 1)."""

    exit_status = 1
