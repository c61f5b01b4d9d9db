"""A pyzmq peer for the interop tests.

usage: pyzmq_peer.py MODE ENDPOINT N

MODE is the peer's socket role. Roles that bind use ENDPOINT as given (tcp://127.0.0.1:*)
and print the resolved endpoint on the first line of stdout; roles that connect use it as
the address to connect to. Every role that counts messages checks their content and order
and prints "ok N" when done. "pub" and "router" serve until stdin is closed.
"""
import select
import sys
import time

import zmq

mode, endpoint, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
ctx = zmq.Context()
sock = ctx.socket(getattr(zmq, mode.upper()))
sock.setsockopt(zmq.LINGER, 1000)
sock.setsockopt(zmq.RCVTIMEO, 10000)
sock.setsockopt(zmq.SNDTIMEO, 10000)

if mode in ("rep", "pub", "pull", "router"):
    sock.bind(endpoint)
    print(sock.getsockopt(zmq.LAST_ENDPOINT).decode(), flush=True)
else:
    sock.connect(endpoint)


def stdin_closed():
    readable, _, _ = select.select([sys.stdin], [], [], 0)
    return bool(readable) and not sys.stdin.read(1)


def expect(got, want):
    if got != want:
        print("unexpected", got, "want", want, flush=True)
        sys.exit(1)


if mode == "req":
    for i in range(n):
        sock.send_multipart([b"hello", str(i).encode()])
        expect(sock.recv_multipart(), [b"world", str(i).encode()])
elif mode == "rep":
    for i in range(n):
        expect(sock.recv_multipart(), [b"hello", str(i).encode()])
        sock.send_multipart([b"world", str(i).encode()])
elif mode == "pub":
    seq = 0
    while not stdin_closed():
        sock.send_multipart([b"sports", b"ignored"])
        sock.send_multipart([b"weather", str(seq).encode()])
        seq += 1
        time.sleep(0.001)
elif mode == "sub":
    sock.setsockopt(zmq.SUBSCRIBE, b"weather")
    first = None
    for i in range(n):
        topic, seq = sock.recv_multipart()
        expect(topic, b"weather")
        if first is None:
            first = int(seq)
        expect(int(seq), first + i)
elif mode == "push":
    for i in range(n):
        sock.send_multipart([b"push", str(i).encode()])
elif mode == "pull":
    for i in range(n):
        expect(sock.recv_multipart(), [b"push", str(i).encode()])
elif mode == "dealer":
    for i in range(n):
        sock.send_multipart([b"request", str(i).encode()])
    for i in range(n):
        expect(sock.recv_multipart(), [b"request", str(i).encode()])
elif mode == "router":
    sock.setsockopt(zmq.RCVTIMEO, 50)
    while not stdin_closed():
        try:
            sock.send_multipart(sock.recv_multipart())
        except zmq.Again:
            pass
else:
    print("unknown mode", mode)
    sys.exit(2)

if mode not in ("pub", "router"):
    print("ok", n, flush=True)
sock.close()
ctx.term()
