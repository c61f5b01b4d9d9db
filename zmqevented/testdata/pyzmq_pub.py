"""A pyzmq PUB for the interop test: prints its endpoint, then publishes numbered
"weather" messages, with "sports" ones in between, every millisecond until stdin closes."""
import select
import sys
import time

import zmq

ctx = zmq.Context()
sock = ctx.socket(zmq.PUB)
sock.setsockopt(zmq.LINGER, 0)
sock.bind("tcp://127.0.0.1:*")
print(sock.getsockopt(zmq.LAST_ENDPOINT).decode(), flush=True)
seq = 0
while True:
    readable, _, _ = select.select([sys.stdin], [], [], 0)
    if readable and not sys.stdin.read(1):
        break
    sock.send_multipart([b"sports", b"ignored"])
    sock.send_multipart([b"weather", str(seq).encode()])
    seq += 1
    time.sleep(0.001)
sock.close()
ctx.term()
