#!/usr/bin/env python3
"""Reference figures for graft's stats tests, computed by scipy, statsmodels and numpy.

Reads one JSON request on stdin: {"kind": KIND, "cases": [...]}, writes {"results": [...]}
(one result per case) on stdout. Exits 2 with a message when a module is missing.
"""
import json
import math
import sys

try:
    import numpy as np
    from scipy import stats
    from statsmodels.stats.power import NormalIndPower
    from statsmodels.stats.proportion import (confint_proportions_2indep, proportion_confint,
                                              proportions_ztest)
except ImportError as error:
    sys.stderr.write(f"missing python module: {error.name}: install python3-numpy, "
                     "python3-scipy and python3-statsmodels (scripts/setup does)\n")
    sys.exit(2)


def number(value):
    """A float, or None (JSON null) for NaN: statsmodels gives NaN where a test is undefined."""
    value = float(value)
    return None if math.isnan(value) else value


def proportions(case):
    tx, tn, bx, bn = case["t_x"], case["t_n"], case["b_x"], case["b_n"]
    low, high = confint_proportions_2indep(tx, tn, bx, bn, method="newcomb", compare="diff",
                                           alpha=0.05)
    _, p = proportions_ztest([tx, bx], [tn, bn])
    w_low, w_high = proportion_confint(tx, tn, alpha=0.05, method="wilson")
    return {"delta": tx / tn - bx / bn, "low": number(low), "high": number(high),
            "p": number(p), "wilson_low": number(w_low), "wilson_high": number(w_high)}


def srm(case):
    users = np.array(case["users"], dtype=float)
    weights = np.array(case["weights"], dtype=float)
    expected = users.sum() * weights / weights.sum()
    chi2, p = stats.chisquare(users, expected)
    return {"chi2": float(chi2), "p": float(p)}


def mann_whitney(case):
    result = stats.mannwhitneyu(case["x"], case["y"], alternative="two-sided",
                                method="asymptotic", use_continuity=True)
    return {"u": float(result.statistic), "p": float(result.pvalue)}


def welch(case):
    t, b = np.array(case["t"]), np.array(case["b"])
    result = stats.ttest_ind(t, b, equal_var=False)
    # The delta-method lift, written out independently of graft's code.
    mt, mb = t.mean(), b.mean()
    vt, vb = t.var(ddof=1) / len(t), b.var(ddof=1) / len(b)
    lift = mt / mb - 1
    se = math.sqrt(vt / mb**2 + mt**2 * vb / mb**4)
    z = stats.norm.ppf(0.975)
    d = abs(mt - mb) / math.sqrt((t.var(ddof=1) + b.var(ddof=1)) / 2)
    n = NormalIndPower().solve_power(effect_size=d, alpha=0.05, power=0.8, ratio=1.0,
                                     alternative="two-sided")
    return {"t": float(result.statistic), "p": float(result.pvalue), "lift": float(lift),
            "lift_low": float(lift - z * se), "lift_high": float(lift + z * se),
            "users_for_power": float(n), "mean_t": float(mt), "mean_b": float(mb)}


def percentiles(case):
    values = np.array(case["values"])
    return {"values": [float(np.percentile(values, q, method="inverted_cdf"))
                       for q in case["percents"]]}


KINDS = {"proportions": proportions, "srm": srm, "mann_whitney": mann_whitney,
         "welch": welch, "percentiles": percentiles}


def main():
    request = json.load(sys.stdin)
    handler = KINDS[request["kind"]]
    json.dump({"results": [handler(case) for case in request["cases"]]}, sys.stdout)


if __name__ == "__main__":
    main()
