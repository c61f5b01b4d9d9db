"""A pyzmq REQ client for the interop test: n requests, each reply checked."""
import sys

import zmq

endpoint, n = sys.argv[1], int(sys.argv[2])
ctx = zmq.Context()
sock = ctx.socket(zmq.REQ)
sock.setsockopt(zmq.RCVTIMEO, 10000)
sock.setsockopt(zmq.LINGER, 0)
sock.connect(endpoint)
for i in range(n):
    sock.send_multipart([b"hello", str(i).encode()])
    reply = sock.recv_multipart()
    if reply != [b"world", str(i).encode()]:
        print("bad reply", reply)
        sys.exit(1)
print("ok", n)
sock.close()
ctx.term()
