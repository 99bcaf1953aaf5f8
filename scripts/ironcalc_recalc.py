#!/usr/bin/env python3
"""Recalculate an .xlsx with IronCalc (the peer engine) and save it with IronCalc's cached values.

usage: ironcalc_recalc.py IN.xlsx OUT.xlsx

The generated workbooks carry no cached values; this gives them values computed by an engine
other than montecell, so `montecell recalc` compares against an independent result.
Requires `pip install ironcalc` (https://pypi.org/project/ironcalc/).
"""
import os
import sys

from ironcalc_quiet import load


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    src, dst = sys.argv[1], sys.argv[2]
    model = load(src)
    model.evaluate()
    if os.path.exists(dst):
        os.remove(dst)
    model.save_to_xlsx(dst)
    return 0


if __name__ == "__main__":
    sys.exit(main())
