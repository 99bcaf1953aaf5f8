"""Loading a workbook into IronCalc (the peer engine) without its chatter: its loader prints a
line for every formula cell without a cached value (all of them in a generated file). Shared by
the scripts that drive IronCalc."""
import contextlib
import os

import ironcalc


@contextlib.contextmanager
def stdout_silenced():
    """Sends file descriptor 1 to /dev/null for the duration (IronCalc writes to it directly)."""
    saved = os.dup(1)
    with open(os.devnull, "wb") as null:
        os.dup2(null.fileno(), 1)
        try:
            yield
        finally:
            os.dup2(saved, 1)
            os.close(saved)


def load(path):
    """`ironcalc.load_from_xlsx(path, "en", "UTC")`, silently."""
    with stdout_silenced():
        return ironcalc.load_from_xlsx(path, "en", "UTC")
