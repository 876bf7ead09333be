#!/usr/bin/env python3
"""Watches a Stratum pool like a miner that never submits: prints one line per mining.notify,
"notify JOB_ID clean=0|1 unix_us T", the moment it arrives (cluster_bench.sh uses the times as
the pool side of the clean-job switch latency: the pool sends a notify to every session at once).

    stratum_observer.py HOST PORT
"""
import json
import socket
import sys
import time


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    sock = socket.create_connection((host, port), timeout=10)
    sock.settimeout(None)
    sock.sendall(b'{"id":1,"method":"mining.subscribe","params":["observer/1"]}\n'
                 b'{"id":2,"method":"mining.authorize","params":["observer","x"]}\n')
    buf = b""
    while True:
        data = sock.recv(65536)
        if not data:
            return
        now_us = time.time_ns() // 1000
        buf += data
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            try:
                msg = json.loads(line)
            except ValueError:
                continue
            if msg.get("method") == "mining.notify":
                params = msg.get("params") or []
                clean = 1 if len(params) > 8 and params[8] else 0
                print("notify %s clean=%d unix_us %d" % (params[0], clean, now_us), flush=True)


if __name__ == "__main__":
    main()
