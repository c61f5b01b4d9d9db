// The C half of package zmqc: libzmq calls that move whole messages, so that one cgo
// call does the work of several of pebbe/zmq4's. See the package documentation.

#ifndef ZMQASYNC_ZMQC_H
#define ZMQASYNC_ZMQC_H

#include <stdint.h>
#include <zmq.h>

// A frame word describes one frame: its size in the low 62 bits, ZC_MORE when more
// frames of its message follow, ZC_OUT when its bytes are not in the arena (receive:
// the frame was held for the caller to copy; send: its bytes are at the next pointer).
#define ZC_MORE ((uint64_t)1 << 63)
#define ZC_OUT ((uint64_t)1 << 62)
#define ZC_SIZE (ZC_OUT - 1)

// Outcomes of zc_recv.
enum {
	ZC_DONE = 0, // stopped at a message boundary: a limit was reached, or err
	ZC_HELD = 1, // the last frame described did not fit the arena: it is in held
	ZC_FULL = 2, // the words are full in the middle of a message
	ZC_TORN = 3, // err came in the middle of a message, whose frames are lost
};

// zc_rx is the state of one receive, kept across the zc_recv calls that make it.
typedef struct {
	zmq_msg_t held;   // the frame ZC_HELD left for the caller
	uint64_t cap;     // arena bytes
	uint64_t budget;  // no message starts once used reaches it
	uint64_t used;    // arena bytes filled
	int32_t maxmsgs;  // no message starts once nmsgs reaches it
	int32_t maxwords; // words available
	int32_t nwords;   // words filled
	int32_t nmsgs;    // whole messages described
	int32_t inmsg;    // the next frame continues a message
	int32_t status;   // ZC_DONE, ZC_HELD, ZC_FULL or ZC_TORN
	int32_t err;      // errno that ended the receive; 0 if a limit did
} zc_rx;

// zc_meta is what zc_recv_meta reads from the first frame it receives, while it holds
// that frame: ZMQ_SRCFD and the properties named (zmq_msg_gets).
typedef struct {
	char *heap;     // out: the values when they need more than cap bytes (malloc'd: the caller frees it), else NULL
	uint64_t cap;   // in: bytes for the values at vals
	uint64_t used;  // out: bytes of the values, one after another without terminators, at vals or heap
	int32_t nprops; // in: the names at names, each NUL-terminated; lens gets each value's length, -1 if absent (-2: no memory)
	int32_t fd;     // out: ZMQ_SRCFD of the frame; -1 when libzmq has none
	int32_t got;    // out: 1 when a first frame was received and read
	int32_t pad;
} zc_meta;

// ZMQ_METADATA is in zmq.h's draft section; libzmq 4.3.4 built without the draft API accepts it.
#ifndef ZMQ_METADATA
#define ZMQ_METADATA 95
#endif

// zc_tx is the result of one zc_send.
typedef struct {
	int32_t nwords;  // in: frames to send
	int32_t msgs;    // whole messages libzmq took
	int32_t err;     // errno of libzmq's refusal; 0 if it took every frame
	int32_t dropped; // the refusal came after the first frame of a message
} zc_tx;

int zc_getint(void *s, int opt, int *v);
int zc_setbytes(void *s, int opt, const char *v, size_t len);
void zc_recv(void *s, zc_rx *st, char *arena, uint64_t *words, void *out);
void zc_recv_meta(void *s, zc_rx *st, char *arena, uint64_t *words, zc_meta *m, const char *names, int64_t *lens, char *vals);
void zc_send(void *s, zc_tx *st, const char *data, const uint64_t *words, void *const *ptrs);

#endif
