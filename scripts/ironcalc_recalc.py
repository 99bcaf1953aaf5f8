#!/usr/bin/env python3
"""Recalculate an .xlsx with IronCalc (the peer engine) and save it with IronCalc's cached values.

usage: ironcalc_recalc.py IN.xlsx OUT.xlsx

The generated workbooks carry no cached values; this gives them values computed by an engine
other than montecell, so `montecell recalc` compares against an independent result.
Requires `pip install ironcalc` (https://pypi.org/project/ironcalc/).
"""
import os
import sys

import ironcalc


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    src, dst = sys.argv[1], sys.argv[2]
    # IronCalc's loader prints a line for every formula cell without a cached value (all of
    # them in a generated file); silence its stdout while loading.
    saved = os.dup(1)
    with open(os.devnull, "wb") as null:
        os.dup2(null.fileno(), 1)
        try:
            model = ironcalc.load_from_xlsx(src, "en", "UTC")
        finally:
            os.dup2(saved, 1)
            os.close(saved)
    model.evaluate()
    if os.path.exists(dst):
        os.remove(dst)
    model.save_to_xlsx(dst)
    return 0


if __name__ == "__main__":
    sys.exit(main())
