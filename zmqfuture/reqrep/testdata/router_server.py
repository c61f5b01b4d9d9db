"""A pyzmq ROUTER server that answers zmqfuture.Requester's wire format.

Usage: router_server.py N

It binds tcp://127.0.0.1:* and prints the endpoint on the first line of
stdout, then answers N requests and prints "ok N". Requests arrive as

    [peer identity, correlation (9 bytes: 0x5A + big-endian uint64), b"", body...]

and each is answered by echoing the envelope (every frame up to and including
the first empty one) followed by the reply body: here b"py" and the request's
frames upper-cased. Requests are answered in batches, each batch in reverse
order of arrival, so replies reach the requester out of order.
"""
import sys

import zmq


def main():
    n = int(sys.argv[1])
    ctx = zmq.Context()
    sock = ctx.socket(zmq.ROUTER)
    sock.setsockopt(zmq.LINGER, 1000)
    sock.setsockopt(zmq.RCVTIMEO, 10000)
    sock.bind("tcp://127.0.0.1:*")
    print(sock.getsockopt_string(zmq.LAST_ENDPOINT), flush=True)

    answered = 0
    while answered < n:
        batch = [sock.recv_multipart()]
        while len(batch) < 16:
            try:
                batch.append(sock.recv_multipart(zmq.NOBLOCK))
            except zmq.Again:
                break
        for msg in reversed(batch):
            i = msg.index(b"")
            envelope, body = msg[: i + 1], msg[i + 1 :]
            corr = envelope[-2]
            if len(envelope) != 3 or len(corr) != 9 or corr[0] != 0x5A:
                print("bad request", msg, flush=True)
                sys.exit(1)
            sock.send_multipart(envelope + [b"py"] + [f.upper() for f in body])
        answered += len(batch)

    print("ok", answered, flush=True)
    sock.close()
    ctx.term()


if __name__ == "__main__":
    main()
