#!/usr/bin/env python3
"""Reads a synth-master's cgminer API with pyasic's own RPC client (tests/api/interop.sh).

    pyasic_check.py PYASIC_DIR PORT

PYASIC_DIR holds pyasic's `pyasic/` package sources (UpstreamData/pyasic). pyasic itself cannot
be installed here (its dependencies are not packaged), so only the modules its cgminer RPC client
needs are loaded, from its files, under stub parent packages: pyasic/rpc/cgminer.py,
pyasic/rpc/base.py (connection, NUL handling, JSON repairs, STATUS validation),
pyasic/misc/__init__.py, pyasic/errors/__init__.py. The data reads of pyasic's CGMiner backend
(pyasic/miners/backends/cgminer.py: _get_api_ver, _get_fw_ver, _get_hashrate, _get_uptime,
_get_pools) need pydantic and are repeated below field for field, with their types.
Prints what pyasic would report; exit 1 on the first mismatch.
"""
import asyncio
import importlib
import os
import sys
import types


def load_pyasic_rpc(root):
    for name, sub in (("pyasic", "pyasic"), ("pyasic.rpc", "pyasic/rpc")):
        pkg = types.ModuleType(name)
        pkg.__path__ = [os.path.join(root, sub)]
        sys.modules[name] = pkg
    sys.path.insert(0, root)
    return importlib.import_module("pyasic.rpc.cgminer").CGMinerRPCAPI


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


async def run(api):
    version = await api.version()
    summary = await api.summary()
    stats = await api.stats()
    pools = await api.pools()
    devs = await api.devs()
    multi = await api.multicommand("summary", "pools", "devs")
    # As pyasic/miners/backends/cgminer.py reads them.
    api_ver = version["VERSION"][0]["API"]
    fw_ver = version["VERSION"][0]["CGMiner"]
    ghs = float(summary["SUMMARY"][0]["GHS 5s"])
    uptime = int(stats["STATS"][1]["Elapsed"])
    pool_rows = []
    for p in pools.get("POOLS", []):
        pool_rows.append({"accepted": p.get("Accepted"), "rejected": p.get("Rejected"),
                          "get_failures": p.get("Get Failures"),
                          "remote_failures": p.get("Remote Failures"),
                          "active": p.get("Stratum Active"), "alive": p.get("Status") == "Alive",
                          "url": p.get("URL"), "user": p.get("User"), "index": p.get("POOL")})
    print("api_ver=%r fw_ver=%r hashrate_ghs=%.6f uptime_s=%d" % (api_ver, fw_ver, ghs, uptime))
    for row in pool_rows:
        print("pool %r" % row)
    print("devs=%d multicommand keys=%s" % (len(devs["DEVS"]), sorted(multi.keys())))
    if not (isinstance(api_ver, str) and isinstance(fw_ver, str)):
        fail("VERSION API/CGMiner are not strings")
    if ghs <= 0 or uptime <= 0:
        fail("no hashrate or uptime")
    if not pool_rows or not any(r["active"] and r["alive"] for r in pool_rows):
        fail("no active, alive pool")
    for r in pool_rows:
        if not isinstance(r["accepted"], int) or not isinstance(r["index"], int):
            fail("pool counts are not integers: %r" % r)
        if not isinstance(r["active"], bool):
            fail("Stratum Active is not a boolean: %r" % r)
    if sorted(multi.keys()) != ["devs", "id", "multicommand", "pools", "summary"]:
        fail("multicommand came back as %r" % sorted(multi.keys()))
    try:
        await api.send_command("switchpool", parameters=1)
        fail("pyasic saw switchpool succeed from a read-only address")
    except Exception as e:  # pyasic raises APIError with the STATUS Msg.
        print("switchpool refused: %s" % e)
        if "Access denied" not in str(e):
            fail("switchpool failed for another reason: %s" % e)


def main(argv):
    cls = load_pyasic_rpc(argv[1])
    asyncio.run(run(cls("127.0.0.1", port=int(argv[2]))))
    print("PASS: pyasic's CGMinerRPCAPI read summary, stats, pools, devs, version, a multicommand")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
