#!/usr/bin/env python3
"""A TCP relay that delays every byte by a fixed time in each direction, and can cut.

The fault scenario netns_delay uses it where the kernel has no sch_netem (tc netem): run in the
workers' network namespace, it accepts on LISTEN and relays each connection to TARGET across the
veth, holding each chunk for DELAY_MS before passing it on, in order. Throughput is not limited,
only latency is added (RTT + 2 x DELAY_MS), as netem's delay does. It exits after SECONDS.

With CUT_HOLD_S, SIGUSR1 cuts: every relayed connection is reset at once and new connections are
refused for CUT_HOLD_S seconds (the listening socket is closed, then opened again on the same
port). tests/cluster/cluster.sh's resubmit scenario breaks a worker's stream with it.

  delay_relay.py LISTEN_HOST:PORT TARGET_HOST:PORT DELAY_MS SECONDS [CUT_HOLD_S]
"""
import asyncio
import os
import signal
import sys
import time

LIVE = set()  # Writers of the relayed connections, both sides.


async def pump(reader, writer, delay):
    queue = asyncio.Queue()

    async def feed():
        while True:
            data = await reader.read(65536)
            await queue.put((time.monotonic() + delay, data))
            if not data:
                return

    async def drain():
        while True:
            due, data = await queue.get()
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            if not data:
                break
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()

    try:
        await asyncio.gather(feed(), drain())
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()


async def handle(client_r, client_w, target, delay):
    try:
        server_r, server_w = await asyncio.open_connection(*target)
    except OSError:
        client_w.close()
        return
    pair = {client_w, server_w}
    LIVE.update(pair)
    try:
        await asyncio.gather(pump(client_r, server_w, delay), pump(server_r, client_w, delay),
                             return_exceptions=True)
    finally:
        LIVE.difference_update(pair)


async def main():
    if len(sys.argv) not in (5, 6):
        sys.exit(__doc__)
    lh, lp = sys.argv[1].rsplit(":", 1)
    th, tp = sys.argv[2].rsplit(":", 1)
    delay = float(sys.argv[3]) / 1000.0
    seconds = float(sys.argv[4])
    hold = float(sys.argv[5]) if len(sys.argv) == 6 else None

    async def listen():
        return await asyncio.start_server(
            lambda r, w: handle(r, w, (th, int(tp)), delay), lh, int(lp), reuse_address=True)

    server = await listen()
    cuts = asyncio.Queue()
    if hold is not None:
        asyncio.get_running_loop().add_signal_handler(signal.SIGUSR1, cuts.put_nowait, 1)

    async def cutter():
        nonlocal server
        while True:
            await cuts.get()
            server.close()
            for w in list(LIVE):
                w.transport.abort()  # RST: the peers see the connection break at once.
            print("delay_relay: cut %d connections; refusing for %.1f s" % (len(LIVE), hold),
                  flush=True)
            await asyncio.sleep(hold)
            server = await listen()
            print("delay_relay: listening again", flush=True)

    print("delay_relay: %s -> %s, +%.0f ms each way, for %.0f s%s"
          % (sys.argv[1], sys.argv[2], delay * 1000, seconds,
             ", SIGUSR1 cuts" if hold is not None else ""), flush=True)
    asyncio.ensure_future(cutter())
    await asyncio.sleep(seconds)
    os._exit(0)  # Time is up: every connection ends with the process.


if __name__ == "__main__":
    asyncio.run(main())
