#!/usr/bin/env python3
"""The peer baseline of scripts/bench-engine: a Monte Carlo run through IronCalc, done as a
spreadsheet add-in would do it — for every iteration, write sampled values into the input
cells, recalculate the whole workbook, read the outputs.

usage: ironcalc_engine_bench.py WORKBOOK.xlsx SPEC.json ITERATIONS

Prints one line: `iterations seconds iterations_per_second`. Inputs are drawn with Python's
random module from the spec's distributions (only the families the benchmark specs use:
triangular, normal, uniform); the sampling cost is included, as it is in montecell's timing.
"""
import json
import random
import re
import sys
import time

from ironcalc_quiet import load


def cell_ref(model, text):
    sheet, cell = text.split("!")
    sheet = sheet.strip("'")
    names = [p["name"] for p in model.get_worksheets_properties()]
    m = re.fullmatch(r"\$?([A-Z]+)\$?(\d+)", cell)
    col = 0
    for ch in m.group(1):
        col = col * 26 + (ord(ch) - 64)
    return names.index(sheet), int(m.group(2)), col


def sampler(dist):
    t = dist["type"]
    if t == "triangular":
        return lambda: random.triangular(dist["min"], dist["max"], dist["mode"])
    if t == "normal":
        return lambda: random.gauss(dist["mean"], dist["std"])
    if t == "uniform":
        return lambda: random.uniform(dist["min"], dist["max"])
    raise SystemExit(f"unsupported distribution in the benchmark spec: {t}")


def main() -> int:
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    path, spec_path, iterations = sys.argv[1], sys.argv[2], int(sys.argv[3])
    model = load(path)
    spec = json.load(open(spec_path))
    inputs = [(cell_ref(model, i["cell"]), sampler(i["distribution"])) for i in spec["inputs"]]
    outputs = [cell_ref(model, o["cell"]) for o in spec["outputs"]]
    random.seed(1)
    total = 0.0
    start = time.perf_counter()
    for _ in range(iterations):
        for (s, r, c), draw in inputs:
            model.set_user_input(s, r, c, repr(draw()))
        model.evaluate()
        for s, r, c in outputs:
            v = model.get_cell_value(s, r, c)
            total += 0 if v is None else 1
    elapsed = time.perf_counter() - start
    print(f"{iterations} {elapsed:.3f} {iterations / elapsed:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
