#!/usr/bin/env python3
"""Writes the seed corpus of the master's worker-message fuzzer (tests/fuzz/corpus_worker/).

The byte format is the small script language of tests/fuzz/worker_fuzz_target.cc: one opcode
byte, then its argument bytes. Seeds are named for what they must show in the replay test
(accept_*, flood_*, badhello_*); the others just reach corners. Run from anywhere:
    python3 tests/fuzz/gen_worker_corpus.py
"""
import os

HELLO, REQUEST, SHARE, FLOOD, PROGRESS, TELEMETRY, RAW, JOB, TICK, DISCONNECT, ANSWER, VIEWS = range(12)
# Indexes into the harness's value tables.
D_ZERO, D_NEG, D_ONE, D_1E6, D_1E9, D_1E12, D_1E300, D_NEG1E300, D_INF, D_NINF, D_NAN = range(11)
U_ZERO, U_ONE, U_2_20, U_5M, U_2_32, U_2_32P1, U_2_44, U_2_63, U_MAX = range(9)
EASY, ALMOST_ALL, DIFF1, HARD = range(4)  # Job share difficulties.


def job(i=0, seed=1, diff=ALMOST_ALL, clean=True, rolling=False):
    return [JOB, i, seed, diff, (1 if clean else 0) | (2 if rolling else 0)]


def hello(k=0, variant=0, rate=D_1E6):
    return [HELLO, k, variant, rate]


def request(s=0, sec=D_ZERO, hashes=U_ZERO, rate=D_ZERO):
    return [REQUEST, s, sec, hashes, rate]


def share(s=0, unit=0, mode=0, sid=1, off=0):
    return [SHARE, s, unit, mode, sid & 0xff, sid >> 8, off & 0xff, off >> 8]


def flood(s=0, count=31, unit=0, mode=1):
    return [FLOOD, s, count, unit, mode, 7, 0, 0, 0]


def progress(s=0, entries=((0, 1, 1),)):
    out = [PROGRESS, s, len(entries) - 1]
    for unit, state, done in entries:
        out += [unit, state, done, U_ONE]
    return out


def telemetry(s=0, devices=((0, D_1E6, D_ONE),)):
    out = [TELEMETRY, s, len(devices)]
    for name, rate, lat in devices:
        out += [name, rate, lat, lat, D_ONE, U_2_20]
    return out + [U_2_20, D_ZERO]


def varint(v):
    out = bytearray()
    while True:
        b = v & 0x7f
        v >>= 7
        out.append(b | (0x80 if v else 0))
        if not v:
            return bytes(out)


def field(num, value):
    if isinstance(value, (bytes, str)):
        value = value.encode() if isinstance(value, str) else value
        return varint(num << 3 | 2) + varint(len(value)) + value
    return varint(num << 3) + varint(value)


def raw(s, payload):
    assert len(payload) < 256
    return [RAW, s, len(payload)] + list(payload)


SEEDS = {
    "accept_basic": job() + hello() + request() + share(sid=1) + share(sid=2, off=100)
    + share(sid=3, off=2000) + progress(entries=((0, 1, 1),)) + [VIEWS],
    "accept_version_rolling": job(rolling=True) + hello(rate=D_1E9) + request(sec=D_ONE)
    + share(sid=1) + share(unit=1, sid=2) + [VIEWS],
    "accept_pool_answers": job() + hello() + request() + share(sid=1) + [ANSWER, 1]
    + share(sid=2, off=50) + [ANSWER, 2] + share(sid=3, off=300) + [ANSWER, 3]
    + share(sid=4, off=900) + [ANSWER, 4] + share(sid=5, off=1500) + [ANSWER, 0]
    + share(sid=6, off=2500) + [VIEWS],
    "accept_held_answers": job() + hello() + request() + [ANSWER, 5] + share(sid=1)
    + share(sid=2, off=77) + [DISCONNECT, 0] + hello() + job(1, 2) + [ANSWER, 6, ANSWER, 5]
    + request() + share(sid=3) + [VIEWS],
    "flood_forged": job(diff=DIFF1) + hello() + request() + flood(count=31, mode=1) + [VIEWS],
    "dupflood_easy_job": job() + hello() + request() + flood(count=31, mode=0) + [TICK, 8]
    + flood(count=3, mode=0) + [VIEWS],
    "flood_two_workers": job(diff=DIFF1) + hello(0) + hello(1) + request(0) + request(1)
    + flood(0, count=40, mode=9) + share(1, unit=0, sid=9) + [VIEWS],
    "badhello_variants": hello(0, variant=1) + hello(1, variant=2) + hello(2, variant=3)
    + hello(3, rate=D_NAN) + hello(0, rate=D_INF) + hello(1, variant=64 | 56, rate=D_NEG)
    + hello(2, variant=4, rate=D_1E300) + job() + request(0) + request(1) + request(2) + [VIEWS],
    "forged_shares": job() + hello(0) + hello(1) + request(0) + request(1)
    + sum((share(s % 2, unit=s % 3, mode=m, sid=m) for s, m in enumerate(
        [1, 2, 3, 4, 5, 6, 7, 0x81, 0x82, 0xff])), []) + share(0, unit=0xff, sid=99) + [VIEWS],
    "telemetry_absurd": job() + hello()
    + telemetry(devices=((0, D_NAN, D_NAN), (1, D_INF, D_NINF), (2, D_NEG1E300, D_1E300),
                         (5, D_1E300, D_NEG)))
    + request() + telemetry(devices=((0, D_INF, D_INF),)) + request(sec=D_INF) + [VIEWS],
    "request_absurd": job() + hello(rate=D_1E300) + request(sec=D_NAN, hashes=U_MAX, rate=D_INF)
    + request(sec=D_NEG, hashes=U_2_63, rate=D_NAN) + request(sec=D_INF) + [VIEWS],
    "progress_weird": job() + hello() + request() + request()
    + progress(entries=((0, 2, 0), (0, 2, 1), (1, 1, 2), (1, 1, 2), (0, 3, 3), (2, 4, 7),
                        (0xff, 1, 5), (1, 2, 8)))
    + request() + progress(entries=((0, 2, 2), (0, 1, 1))) + [VIEWS],
    "expiry_then_late_report": job() + hello(0) + hello(1) + request(0) + [TICK, 100]
    + request(1) + progress(0, entries=((0, 1, 1),)) + share(0, unit=0, sid=1)
    + progress(1, entries=((0, 2, 0),)) + [TICK, 100, VIEWS],
    "replaced_worker": job() + hello(0) + request(0) + hello(0) + share(0, sid=1)
    + progress(0, entries=((0, 1, 1),)) + request(1) + share(1, sid=2) + [DISCONNECT, 1, VIEWS],
    "clean_job_midflight": job() + hello() + request() + job(1, 3) + share(unit=1, sid=1)
    + job(2, 4, clean=False) + request() + share(sid=2) + job(2, 4) + share(unit=2, sid=3)
    + [TICK, 4, VIEWS],
    "raw_protos": hello() + job() + request()
    + raw(0, field(4, field(1, 5) + field(2, 1) + field(3, 1) + field(4, "x") + field(5, 7)))
    + raw(0, field(1, field(1, "w9") + field(4, field(1, "cpu0"))))
    + raw(0, field(3, field(1, field(1, 1) + field(2, 2) + field(4, 1 << 40))))
    + raw(0, field(5, field(1, field(1, "cpu0") + field(2, 0))))
    + raw(0, field(2, field(2, 1 << 63)))
    + raw(0, b"\xff\xff\xff\xff") + raw(0, field(9, 1)) + [VIEWS],
}


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus_worker")
    os.makedirs(out, exist_ok=True)
    for name, script in SEEDS.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(bytes(script))
    print(f"wrote {len(SEEDS)} seeds to {out}")


if __name__ == "__main__":
    main()
