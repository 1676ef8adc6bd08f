#!/usr/bin/env python3
"""A client of the original project, as its traffic simulators were written: threads posting
{"user_id", "emoji_type", "timestamp"} to POST /emoji every 10-50 ms. Python standard library only.

It sends the shapes those clients really send, in turn:
  iso_local   "user_id": "user_3", "timestamp": datetime.now().isoformat()   (no zone: local wall time)
  int_user_s  "user_id": 3,        "timestamp": int(time.time())             (epoch seconds)
  epoch_ms    "user_id": "user_3", "timestamp": int(time.time() * 1000)
  iso_utc     "user_id": "user_3", "timestamp": datetime.now(timezone.utc).isoformat()
and prints one JSON object: requests, statuses, and the events answered 200 {"status": "ok"} per emoji
and per shape (what the server's exact counts must then show).

    python3 tests/compat/client.py --url http://127.0.0.1:8080 --seconds 10 --threads 8

Run it with TZ set to the server's COMPAT_TIMEZONE (iso_local sends local wall time without a zone).
"""
import argparse
import http.client
import json
import random
import sys
import threading
import time
import urllib.parse
from datetime import datetime, timezone

SHAPES = ("iso_local", "int_user_s", "epoch_ms", "iso_utc")


def body(shape, user, emoji):
    if shape == "iso_local":
        return {"user_id": f"user_{user}", "emoji_type": emoji, "timestamp": datetime.now().isoformat()}
    if shape == "int_user_s":
        return {"user_id": user, "emoji_type": emoji, "timestamp": int(time.time())}
    if shape == "epoch_ms":
        return {"user_id": f"user_{user}", "emoji_type": emoji, "timestamp": int(time.time() * 1000)}
    return {"user_id": f"user_{user}", "emoji_type": emoji, "timestamp": datetime.now(timezone.utc).isoformat()}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", default="http://127.0.0.1:8080")
    ap.add_argument("--paths", default="/emoji", help="comma-separated paths, used in turn")
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--emojis", default="👏,😂,❤️,🔥", help="comma-separated")
    args = ap.parse_args()

    url = urllib.parse.urlsplit(args.url)
    paths = [p for p in args.paths.split(",") if p]
    emojis = [e for e in args.emojis.split(",") if e]
    deadline = time.monotonic() + args.seconds
    lock = threading.Lock()
    report = {"requests": 0, "statuses": {}, "accepted": {}, "by_shape": {}, "by_path": {}, "errors": []}

    def record(status, shape, path, emoji, text):
        with lock:
            report["requests"] += 1
            report["statuses"][str(status)] = report["statuses"].get(str(status), 0) + 1
            try:
                ok = status == 200 and json.loads(text) == {"status": "ok"}
            except (TypeError, ValueError):
                ok = False
            if ok:
                report["accepted"][emoji] = report["accepted"].get(emoji, 0) + 1
                report["by_shape"][shape] = report["by_shape"].get(shape, 0) + 1
                report["by_path"][path] = report["by_path"].get(path, 0) + 1
            elif len(report["errors"]) < 10:
                report["errors"].append({"status": status, "shape": shape, "body": text})

    def send(user):
        rng = random.Random(user)
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
        n = 0
        while time.monotonic() < deadline:
            shape = SHAPES[(user + n) % len(SHAPES)]
            path = paths[n % len(paths)]
            emoji = rng.choice(emojis)
            n += 1
            data = json.dumps(body(shape, user, emoji))  # ASCII with \u escapes, as requests' json= sends it
            try:
                conn.request("POST", path, body=data, headers={"Content-Type": "application/json"})
                res = conn.getresponse()
                record(res.status, shape, path, emoji, res.read().decode("utf-8"))
            except (OSError, http.client.HTTPException) as err:
                # the outcome of this request is unknown: reported, never counted as accepted
                record("error", shape, path, emoji, None)
                with lock:
                    if len(report["errors"]) < 10:
                        report["errors"].append({"error": repr(err), "shape": shape})
                conn.close()
                conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
            time.sleep(rng.uniform(0.01, 0.05))
        conn.close()

    threads = [threading.Thread(target=send, args=(i + 1,)) for i in range(args.threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    json.dump(report, sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
