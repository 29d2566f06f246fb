"""Prints what the canary showed, from `graft exp report NAME --json` on stdin.

Usage: graft exp report ctr-canary --json | summary.py STATE
"""
import json
import sys


def main():
    report, state = json.load(sys.stdin), sys.argv[1]
    base, treat = report["variants"]["baseline"], report["variants"]["treatment"]
    outcome = report["comparisons"]["treatment"]["outcome"]
    print("   what happened: model 2.0 (an MLP) against model 1.0 (a logistic regression)")
    if outcome["lift"] is not None:
        print(f"   - clicks per user {100 * outcome['lift']:+.0f}% "
              f"({treat['outcome']['mean']:.3f} against {base['outcome']['mean']:.3f}, "
              f"p = {outcome['p_value']:.2g})")
    latency_t, latency_b = treat["latency_ms"], base["latency_ms"]
    if latency_t["p50"] is not None and latency_b["p50"] is not None:
        print(f"   - median latency {latency_t['p50']:.1f} ms against {latency_b['p50']:.1f} ms, "
              f"p99 {latency_t['p99']:.1f} against {latency_b['p99']:.1f} ms "
              "(the guardrail allowed 3 times the baseline's p99)")
    print(f"   - errors: {treat['errors']} of {treat['requests']} against "
          f"{base['errors']} of {base['requests']}")
    kept = "ctr-prod now runs model 2.0" if state == "promoted" else "ctr-prod keeps model 1.0"
    print(f"   - verdict: {state}: {kept}")


if __name__ == "__main__":
    main()
