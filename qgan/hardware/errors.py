"""What can stop a hardware run; every message is one line that says what to do.

``JobFailed`` and ``JobPending`` come from executors; ``hardware_infer`` turns them, with the
ledger's path and the rerun advice, into a ``HardwareError`` that the CLI prints.
"""


class HardwareError(RuntimeError):
    """A run that cannot go on now; the message is one line that says what to do."""


class JobFailed(RuntimeError):
    """A job failed, was cancelled or cannot be found; its chunk will be submitted again."""


class JobPending(RuntimeError):
    """A job could not be collected now (service unreachable); a rerun collects it by id."""


class JobTimeout(JobPending):
    """A job did not finish within ``--timeout``; it keeps running and a rerun collects it."""


class SubmitError(RuntimeError):
    """A job could not be submitted (network, quota, invalid input); nothing was recorded."""
