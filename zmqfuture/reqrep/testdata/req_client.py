"""A pyzmq client of a reqrep.Server.

Usage: req_client.py ENDPOINT KIND N

KIND is "req" (a REQ socket: one request at a time) or "dealer" (a DEALER
speaking REQ's envelope, [b"", body], with every request in flight at once).
Each request's body is [b"py", str(i)]; the server under test echoes the body
upper-cased, so each reply must be [b"PY", str(i)]. A request whose body is
"fail" gets an error reply, [b"reqrep.error", message]. Prints "ok N" when
every reply matched, else exits 1 saying what was wrong.
"""
import sys

import zmq


def main():
    endpoint, kind, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    ctx = zmq.Context()
    sock = ctx.socket(zmq.REQ if kind == "req" else zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    sock.setsockopt(zmq.RCVTIMEO, 20000)
    sock.connect(endpoint)

    def check(reply, i):
        want = [b"PY", str(i).encode()]
        if reply != want:
            sys.exit("reply %r, want %r" % (reply, want))

    if kind == "req":
        for i in range(n):
            sock.send_multipart([b"py", str(i).encode()])
            check(sock.recv_multipart(), i)
        sock.send_multipart([b"fail"])
        reply = sock.recv_multipart()
        if reply[0] != b"reqrep.error" or len(reply) != 2:
            sys.exit("error reply %r" % reply)
    else:
        for i in range(n):
            sock.send_multipart([b"", b"py", str(i).encode()])
        seen = set()
        for _ in range(n):
            reply = sock.recv_multipart()
            if reply[0] != b"":
                sys.exit("no delimiter in %r" % reply)
            i = int(reply[2])
            check(reply[1:], i)
            seen.add(i)
        if len(seen) != n:
            sys.exit("%d distinct replies, want %d" % (len(seen), n))
    print("ok %d" % n, flush=True)
    sock.close()
    ctx.term()


if __name__ == "__main__":
    main()
