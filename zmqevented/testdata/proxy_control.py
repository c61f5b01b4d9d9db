"""Steers a proxy through libzmq's control protocol (zmq_proxy_steerable(3)).

usage: proxy_control.py ENDPOINT

Connects a REQ socket to ENDPOINT, the proxy's REP control socket, and sends each line
read from stdin as a command (PAUSE, RESUME, STATISTICS, TERMINATE). For each it prints
one line: the command and the reply's frames, each an unsigned 64-bit number in native
byte order for STATISTICS, else its bytes in hex ("" when empty).
"""
import struct
import sys

import zmq

ctx = zmq.Context()
sock = ctx.socket(zmq.REQ)
sock.setsockopt(zmq.LINGER, 0)
sock.setsockopt(zmq.RCVTIMEO, 10000)
sock.setsockopt(zmq.SNDTIMEO, 10000)
sock.connect(sys.argv[1])

for line in sys.stdin:
    command = line.strip()
    sock.send(command.encode())
    frames = sock.recv_multipart()
    if command == "STATISTICS":
        words = [str(struct.unpack("=Q", f)[0]) for f in frames]
    else:
        words = [f.hex() or '""' for f in frames]
    print(command, *words, flush=True)

sock.close()
ctx.term()
