"""Sends N requests through the proxy as N distinct users and reports the split.

Usage: traffic.py PROXY_ADDR N [--remember FILE]
With --remember, each user's variant is stored; a later run with the same file reports how
many users moved, and between which variants (sticky assignment in action).
"""
import collections
import json
import os
import sys
import urllib.request


def main():
    address, count = sys.argv[1], int(sys.argv[2])
    memory = sys.argv[4] if len(sys.argv) > 4 and sys.argv[3] == "--remember" else None
    before = json.load(open(memory)) if memory and os.path.exists(memory) else {}
    seen, versions, moved = {}, collections.Counter(), collections.Counter()
    for index in range(count):
        user = f"user-{index}"
        request = urllib.request.Request(f"http://{address}/predict", headers={"X-User-Id": user})
        with urllib.request.urlopen(request, timeout=10) as response:
            seen[user] = response.headers["X-Graft-Variant"]
            versions[response.headers.get("X-Model-Version", "?")] += 1
        if user in before and before[user] != seen[user]:
            moved[f"{before[user]} -> {seen[user]}"] += 1
    split = collections.Counter(seen.values())
    print("  split:", ", ".join(f"{name} {split[name] * 100 / count:.1f}%" for name in sorted(split)),
          "| model versions served:", dict(versions))
    if before:
        print("  users that changed variant:", dict(moved) or "none")
    if memory:
        json.dump(seen, open(memory, "w"))


if __name__ == "__main__":
    main()
