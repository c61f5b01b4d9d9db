#!/usr/bin/env python3
"""pyzmq asyncio peer of zmqasync's benchmark suite (bench/cmd/zmqbench).

The Go program starts one of these per run with a mode, an endpoint, a message size
and a count; the peer does both ends of the loop itself, with pyzmq's zmq.asyncio
sockets in one asyncio event loop, and prints one JSON object on stdout. It measures
pyzmq asyncio alone: no Go code is on the path.

  pyzmq_peer.py thr ENDPOINT SIZE COUNT
      PUSH -> PULL throughput. A PULL socket binds ENDPOINT ("tcp://127.0.0.1:*",
      "ipc:///path", "inproc://name"), a PUSH socket connects to it, and a sender
      task awaits push.send() for 1 + COUNT messages of SIZE bytes. The receiver awaits
      the first (warm-up) message, then times COUNT awaits of pull.recv() (each
      returns bytes, a copy, as pebbe's RecvBytes does).

  pyzmq_peer.py lat ENDPOINT SIZE COUNT
      REQ/REP round trips. An echo task serves a REP socket bound to ENDPOINT; the
      main task does one warm-up round trip, then COUNT timed ones (await send, await
      recv), each timed with time.perf_counter_ns(). Reports p50, p99 and p99.9.

elapsed_ns covers only the timed loop; cpu_user_ns and cpu_sys_ns are
getrusage(RUSAGE_SELF) deltas around it (interpreter start-up and imports excluded).
Every socket has linger 0. Exits 0 on success; on failure prints the error on stderr
and exits 1.
"""

import asyncio
import json
import resource
import sys
import time

import zmq
import zmq.asyncio


def usage_now():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return time.perf_counter_ns(), int(ru.ru_utime * 1e9), int(ru.ru_stime * 1e9)


def rank(sorted_values, q):
    """Nearest-rank percentile q (0 < q <= 1) of a sorted list."""
    n = len(sorted_values)
    i = max(0, min(n - 1, -(-int(q * n * 1000) // 1000) - 1))
    return sorted_values[i]


def result(mode, size, count, a, b, **extra):
    out = {
        "impl": "pyzmq-asyncio",
        "pyzmq": zmq.__version__,
        "libzmq": zmq.zmq_version(),
        "python": sys.version.split()[0],
        "mode": mode,
        "size": size,
        "count": count,
        "elapsed_ns": b[0] - a[0],
        "cpu_user_ns": b[1] - a[1],
        "cpu_sys_ns": b[2] - a[2],
    }
    out.update(extra)
    return out


async def thr(ctx, endpoint, size, count):
    pull = ctx.socket(zmq.PULL)
    push = ctx.socket(zmq.PUSH)
    try:
        pull.bind(endpoint)
        push.connect(pull.getsockopt(zmq.LAST_ENDPOINT).decode())
        payload = b"x" * size

        async def sender():
            for _ in range(count + 1):
                await push.send(payload)

        task = asyncio.create_task(sender())
        await pull.recv()  # warm-up: the connection is up
        a = usage_now()
        for _ in range(count):
            await pull.recv()
        b = usage_now()
        await task
        return result("thr", size, count, a, b)
    finally:
        push.close()
        pull.close()


async def lat(ctx, endpoint, size, count):
    rep = ctx.socket(zmq.REP)
    req = ctx.socket(zmq.REQ)
    try:
        rep.bind(endpoint)
        req.connect(rep.getsockopt(zmq.LAST_ENDPOINT).decode())
        payload = b"x" * size

        async def echo():
            for _ in range(count + 1):
                await rep.send(await rep.recv())

        task = asyncio.create_task(echo())
        await req.send(payload)  # warm-up round trip
        await req.recv()
        rtt = [0] * count
        clock = time.perf_counter_ns
        a = usage_now()
        for i in range(count):
            t0 = clock()
            await req.send(payload)
            await req.recv()
            rtt[i] = clock() - t0
        b = usage_now()
        await task
        rtt.sort()
        return result(
            "lat", size, count, a, b,
            p50_ns=rank(rtt, 0.50), p99_ns=rank(rtt, 0.99), p999_ns=rank(rtt, 0.999),
        )
    finally:
        req.close()
        rep.close()


async def main(argv):
    if len(argv) != 5 or argv[1] not in ("thr", "lat"):
        print("usage: pyzmq_peer.py thr|lat ENDPOINT SIZE COUNT", file=sys.stderr)
        return 2
    mode, endpoint, size, count = argv[1], argv[2], int(argv[3]), int(argv[4])
    if count < 1:
        print("pyzmq_peer.py: COUNT must be at least 1", file=sys.stderr)
        return 2
    ctx = zmq.asyncio.Context()
    ctx.setsockopt(zmq.LINGER, 0)
    try:
        run = thr if mode == "thr" else lat
        out = await run(ctx, endpoint, size, count)
    finally:
        ctx.term()
    print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(asyncio.run(main(sys.argv)))
    except Exception as exc:  # report any failure as one line, exit 1
        print(f"pyzmq_peer.py: {type(exc).__name__}: {exc}", file=sys.stderr)
        sys.exit(1)
