#!/usr/bin/env python3
"""Checks a running synth-master's cgminer API end to end (tests/api/api_test.sh).

    api_check.py PORT WORKER_ID SECRET

The master listens on 127.0.0.1:PORT with --api-allow W:127.0.0.1, mines on pool 0 of two and
has worker WORKER_ID connected. Reads come from 127.0.0.2 (read-only there), the pool switch
from 127.0.0.1. Waits for events with deadlines; exit 1 naming the first failed check.
"""
import json
import sys
import time

from cgminer_client import ask

HOST = "127.0.0.1"


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def ask_json(port, command, parameter=None, bind="127.0.0.2"):
    req = {"command": command}
    if parameter is not None:
        req["parameter"] = parameter
    out = ask(HOST, port, json.dumps(req), bind=bind)
    if not out:
        fail("%s: closed without an answer" % command)
    return json.loads(out)


def wait_for(what, cond, seconds=30):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        got = cond()
        if got:
            return got
        time.sleep(0.2)
    fail("timed out waiting for " + what)


def check_numbers(obj, fields, where):
    for f in fields:
        if f not in obj:
            fail("%s lacks %r: %s" % (where, f, obj))
        if isinstance(obj[f], bool) or not isinstance(obj[f], (int, float)):
            fail("%s %r is not a JSON number: %r" % (where, f, obj[f]))


def main(argv):
    port, worker, secret = int(argv[1]), argv[2], argv[3]
    # The worker's device shows up with a rate, and an accepted share in the summary.
    def ready():
        j = ask_json(port, "summary+pools+devs", "")
        devs = j["devs"][0].get("DEVS", [])
        summ = j["summary"][0]["SUMMARY"][0]
        if any(d["Worker"] == worker and d["MHS 5s"] > 0 for d in devs) and summ["Accepted"] > 0:
            return j
        return None
    j = wait_for("the worker's device and an accepted share", ready)
    if j["id"] != 1:
        fail("joined answer without id 1")
    for cmd in ("summary", "pools", "devs"):
        st = j[cmd][0]["STATUS"][0]
        if st["STATUS"] != "S" or j[cmd][0]["id"] != 1:
            fail("%s status %s" % (cmd, st))
        for key, kind in (("STATUS", str), ("When", int), ("Code", int), ("Msg", str),
                          ("Description", str)):
            if not isinstance(st[key], kind):
                fail("%s STATUS %s is not %s" % (cmd, key, kind.__name__))
    summ = j["summary"][0]["SUMMARY"][0]
    check_numbers(summ, ["Elapsed", "MHS av", "MHS 5s", "GHS 5s", "GHS av", "Accepted", "Rejected",
                         "Stale", "Hardware Errors", "Difficulty Accepted", "Best Share"],
                  "SUMMARY")
    pools = j["pools"][0]["POOLS"]
    if len(pools) != 2 or pools[0]["Status"] != "Alive" or pools[0]["Stratum Active"] is not True:
        fail("POOLS: %s" % pools)
    for p in pools:
        check_numbers(p, ["POOL", "Priority", "Accepted", "Rejected", "Stale"], "POOLS")
        if p["User"] != "api.rig" or secret in json.dumps(p):
            fail("pool User/secret: %s" % p)
    dev = j["devs"][0]["DEVS"][0]
    check_numbers(dev, ["ASC", "ID", "MHS av", "MHS 5s", "Accepted", "Hardware Errors"], "DEVS")
    # Text form, as cgminer's api-example.c sends by default.
    text = ask(HOST, port, "summary", bind="127.0.0.2").decode()
    if not text.startswith("STATUS=S,") or "|SUMMARY,Elapsed=" not in text:
        fail("text summary: %r" % text[:200])
    # Bad input: an error status each time, and the master keeps answering.
    for bad, code in ((b"{\"command\":}", 23), (b"{\"parameter\":1}", 24),
                      (b"{\"command\":\"no-such\"}", 14), (b"\xff\xfe\x00garbage", 14)):
        out = ask(HOST, port, bad, bind="127.0.0.2")
        if ("\"Code\":%d" % code) not in out.decode("utf-8", "replace") and \
           ("Code=%d" % code) not in out.decode("utf-8", "replace"):
            fail("%r answered %r" % (bad, out[:200]))
    # Writes: refused from a read-only address, done from the W: one.
    denied = ask_json(port, "switchpool", "1")
    if denied["STATUS"][0]["Code"] != 45 or denied["STATUS"][0]["STATUS"] != "E":
        fail("switchpool from 127.0.0.2: %s" % denied["STATUS"])
    if ask_json(port, "pools")["POOLS"][1]["Stratum Active"]:
        fail("a denied switchpool switched")
    done = ask_json(port, "switchpool", 1, bind=HOST)
    if done["STATUS"][0]["Code"] != 27:
        fail("switchpool from 127.0.0.1: %s" % done["STATUS"])
    wait_for("pool 1 to become the active one",
             lambda: ask_json(port, "pools")["POOLS"][1]["Stratum Active"])
    print("PASS: cgminer API summary/pools/devs/stats over TCP, text form, bad input, "
          "write access by --api-allow, pool switch")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
