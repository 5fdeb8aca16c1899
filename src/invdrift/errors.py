"""The one exception type users see: a clear, single-line message and exit code 2 from the CLI."""


class InvdriftError(Exception):
    """A user-facing error (bad input, missing data, corrupted weights)."""
