"""What make bench's Python modules share: where things are, the log line, and the figures'
statistics and formats."""

import os
import statistics
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "build", "bench")
BIN = os.path.join(BENCH, "bin")
LIBDIR = os.path.join(ROOT, "build", "lib")
PYCLIENTS = os.path.join(ROOT, "bench", "pyclients.py")


def log(msg):
    print("[bench %s] %s" % (time.strftime("%H:%M:%S"), msg), flush=True)


def med(xs):
    return statistics.median(xs) if xs else float("nan")


def spread(xs):
    """'min–max (±x% of the median)'."""
    if not xs:
        return "n/a"
    m = med(xs)
    half = (max(xs) - min(xs)) / 2 / m * 100 if m else 0
    return "%s–%s (±%.1f%%)" % (fmt_int(min(xs)), fmt_int(max(xs)), half)


def fmt_int(x):
    return "{:,}".format(int(round(x)))


def fmt_ratio(x):
    return "%.2f×" % x if x < 10 else "%.1f×" % x
