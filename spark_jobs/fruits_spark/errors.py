"""The one exception type for bad job input: the entry scripts turn it into a one-line message and exit 2."""


class JobInputError(ValueError):
    """The job cannot run on what it was given (missing weights, empty input, impossible k, ...)."""
