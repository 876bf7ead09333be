#!/usr/bin/env python3
"""A TCP relay that delays every byte by a fixed time in each direction.

The fault scenario netns_delay uses it where the kernel has no sch_netem (tc netem): run in the
workers' network namespace, it accepts on LISTEN and relays each connection to TARGET across the
veth, holding each chunk for DELAY_MS before passing it on, in order. Throughput is not limited,
only latency is added (RTT + 2 x DELAY_MS), as netem's delay does. It exits after SECONDS.

  delay_relay.py LISTEN_HOST:PORT TARGET_HOST:PORT DELAY_MS SECONDS
"""
import asyncio
import sys
import time


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
    await asyncio.gather(pump(client_r, server_w, delay), pump(server_r, client_w, delay),
                         return_exceptions=True)


async def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    lh, lp = sys.argv[1].rsplit(":", 1)
    th, tp = sys.argv[2].rsplit(":", 1)
    delay = float(sys.argv[3]) / 1000.0
    seconds = float(sys.argv[4])
    server = await asyncio.start_server(
        lambda r, w: handle(r, w, (th, int(tp)), delay), lh, int(lp))
    print("delay_relay: %s -> %s, +%.0f ms each way, for %.0f s"
          % (sys.argv[1], sys.argv[2], delay * 1000, seconds), flush=True)
    async with server:
        await asyncio.sleep(seconds)


if __name__ == "__main__":
    asyncio.run(main())
