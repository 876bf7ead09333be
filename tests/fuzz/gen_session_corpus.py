#!/usr/bin/env python3
"""Writes the seed corpus of the downstream Stratum session fuzzer (tests/fuzz/corpus_session/).

The byte format is the script language of tests/fuzz/session_fuzz_target.cc: one opcode byte,
then its operands. Seeds are named for what the replay test checks (submit_*: submits reach the
host, refuse_*: the session refuses submits itself, drop_*: the connection is dropped); the
others reach corners. Run from anywhere:
    python3 tests/fuzz/gen_session_corpus.py
"""
import os

RAW, REQ, LONG, NOTIFY, DIFF, MASK, EXTRANONCE, ANSWER, COMPLETE, TIME = range(10)
CONFIGURE, SUBSCRIBE, AUTHORIZE, EXSUB, SUGGEST, SUBMIT, SUBMIT_UNKNOWN, SUBMIT_BAD, BOGUS = range(9)
NULL_ID, INT_ID, STR_ID = range(3)
GOOD_USER = 0  # kUsers[0] = farm.rig1


def req(method, *args, idmode=INT_ID, defer=0):
    return [REQ, method, idmode, defer, *args]


def handshake(defer=0):
    return (req(SUBSCRIBE, 0, defer=defer) +                # no session id
            req(AUTHORIZE, GOOD_USER, 1))                   # pass "good"


def submit(job=0, en2len=4, en2=7, bits=0):
    # user, job index, en2 length, en2 byte, ntime (4), nonce (4), 6th param flag [bits (4)]
    tail = [1, 0x00, 0x00, 0x20, 0x00] if bits else [0]
    return req(SUBMIT, GOOD_USER, job, en2len, en2, 0x65, 0, 0, 0, 0, 0, 0, 42, *tail)


def raw(text):
    b = text.encode()
    return [RAW, len(b), *b]


SEEDS = {
    "submit_handshake_notify_answer":
        handshake() + [NOTIFY, 1, 1] + submit() + [ANSWER, 1] + submit() + [ANSWER, 0],
    "submit_deferred_subscribe":
        handshake(defer=1) + [COMPLETE, 0, NOTIFY, 2, 1] + submit() + [ANSWER, 1],
    "submit_version_rolling":
        req(CONFIGURE, 1, 0x1f, 0xff, 0xe0, 0, 2) + handshake() + [NOTIFY, 0, 1] +
        submit(bits=1) + [MASK, 0, 0xff, 0, 0] + submit(bits=1) + [ANSWER, 1, ANSWER, 1],
    "submit_pending_cap":
        handshake() + [NOTIFY, 3, 1] + sum((submit(en2=i) for i in range(12)), []) +
        [ANSWER, 1] * 12,
    "refuse_not_subscribed": submit() + req(AUTHORIZE, GOOD_USER, 1) + submit(),
    "refuse_unknown_job":
        handshake() + [NOTIFY, 1, 1] + req(SUBMIT_UNKNOWN, GOOD_USER, 0, 4, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0),
    "refuse_clean_forgets": handshake() + [NOTIFY, 1, 1] + [NOTIFY, 2, 1] + submit(job=0),
    "refuse_rate_flood":
        handshake() + [NOTIFY, 1, 1] + sum((req(EXSUB) for _ in range(60)), []) + submit(),
    "drop_long_line": handshake() + [LONG, 200],
    "drop_garbage": handshake() + raw("this is not json\n"),
    "drop_not_an_object": raw("[1,2,3]\n"),
    "partial_lines": raw('{"id":1,"method":"mining.subscr') + [TIME, 50] + raw('ibe","params":[]}\n{"id"') + [TIME, 9],
    "extranonce_changes":
        handshake() + req(EXSUB) + [NOTIFY, 1, 1, EXTRANONCE, 3, 9, 9, 9, 2, NOTIFY, 2, 0] + submit(en2len=3),
    "difficulty_and_suggest":
        handshake() + [DIFF, 3, 200, NOTIFY, 1, 1, DIFF, 0] + req(SUGGEST, 2) + req(SUGGEST, 4, 7) +
        req(CONFIGURE, 2, 0, 0, 0, 0, 0, 5),
    "notifications_and_bogus":
        req(SUBSCRIBE, 1, 5, idmode=NULL_ID) + req(BOGUS, idmode=STR_ID) + req(SUBMIT_BAD, 1) +
        req(AUTHORIZE, 1, 0, idmode=STR_ID),
    "refuse_wrong_password_then_submit": req(SUBSCRIBE, 0) + req(AUTHORIZE, GOOD_USER, 0) + [NOTIFY, 1, 1] + submit(),
    "many_jobs_bounded_terms": handshake() + sum(([NOTIFY, i, 0] for i in range(40)), []) + submit(job=5),
}


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus_session")
    os.makedirs(out, exist_ok=True)
    for name, ops in SEEDS.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(bytes(b & 0xff for b in ops))
    print(f"wrote {len(SEEDS)} seeds to {out}")


if __name__ == "__main__":
    main()
