#!/usr/bin/env python3
"""Long-lived connections for the install test's proxyd restart.

  long_clients.py echo ADDR PORT
      An echo server: every line a client sends comes back.
  long_clients.py clients ADDR PORT COUNT STOP_FILE
      COUNT connections to ADDR:PORT (each proven by one echo), each sending a numbered line every
      100 ms and expecting it echoed back, until STOP_FILE exists. Prints
      "connected COUNT" once all are open, then at the end one summary line:
      "open N lost L mismatched M worst_round_trip_ms W after_reconnect OK|FAIL"
      (after_reconnect: a new connection once the others are done). Exit 0
      when none was lost or garbled.
"""
import asyncio
import os
import sys
import time


async def echo(addr, port):
    async def serve(reader, writer):
        try:
            while line := await reader.readline():
                writer.write(line)
                await writer.drain()
        except ConnectionError:
            pass
        writer.close()

    server = await asyncio.start_server(serve, addr, port, backlog=1024)
    async with server:
        await server.serve_forever()


async def clients(addr, port, count, stop_file):
    stats = {"lost": 0, "mismatched": 0, "worst": 0.0, "first": ""}
    began = time.monotonic()

    def lose(i, why):
        stats["lost"] += 1
        if not stats["first"]:
            stats["first"] = f" first_lost c{i} after {time.monotonic() - began:.1f}s: {why}"
    conns = []
    deadline = time.monotonic() + 20
    while len(conns) < count:
        # Open and proven by one echo: a connection the proxy closed at once
        # (no real server up yet by its health check) is tried again.
        try:
            reader, writer = await asyncio.open_connection(addr, port)
            writer.write(b"hello\n")
            if await asyncio.wait_for(reader.readline(), 5) == b"hello\n":
                conns.append((reader, writer))
                continue
            writer.close()
        except (ConnectionError, asyncio.TimeoutError):
            pass
        if time.monotonic() > deadline:
            print(f"only {len(conns)} of {count} connections echo", flush=True)
            return 1
        await asyncio.sleep(0.2)
    print(f"connected {count}", flush=True)

    async def run(i, reader, writer):
        seq = 0
        try:
            while not os.path.exists(stop_file):
                line = f"c{i} {seq}\n".encode()
                start = time.monotonic()
                writer.write(line)
                await writer.drain()
                got = await asyncio.wait_for(reader.readline(), 30)
                stats["worst"] = max(stats["worst"], time.monotonic() - start)
                if not got:
                    lose(i, "closed")
                    return
                if got != line:
                    stats["mismatched"] += 1
                    return
                seq += 1
                await asyncio.sleep(0.1)
        except (ConnectionError, asyncio.TimeoutError) as e:
            lose(i, type(e).__name__)
        finally:
            writer.close()

    await asyncio.gather(*(run(i, r, w) for i, (r, w) in enumerate(conns)))
    after = "FAIL"
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(addr, port), 5)
        writer.write(b"again\n")
        if await asyncio.wait_for(reader.readline(), 5) == b"again\n":
            after = "OK"
        writer.close()
    except (ConnectionError, asyncio.TimeoutError):
        pass
    ok = stats["lost"] == 0 and stats["mismatched"] == 0 and after == "OK"
    print(f"open {count - stats['lost'] - stats['mismatched']} lost {stats['lost']} "
          f"mismatched {stats['mismatched']} worst_round_trip_ms {stats['worst'] * 1000:.0f} "
          f"after_reconnect {after}{stats['first']}", flush=True)
    return 0 if ok else 1


def main():
    mode = sys.argv[1]
    if mode == "echo":
        asyncio.run(echo(sys.argv[2], int(sys.argv[3])))
        return 0
    if mode == "clients":
        return asyncio.run(clients(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
