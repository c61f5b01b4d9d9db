#include "zmqc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

// zc_getint reads an int socket option; it returns 0 or the errno.
int zc_getint(void *s, int opt, int *v)
{
	size_t len = sizeof *v;
	if (zmq_getsockopt(s, opt, v, &len) != 0)
		return zmq_errno();
	return len == sizeof *v ? 0 : EINVAL;
}

// zc_setbytes sets a socket option from bytes; it returns 0 or the errno.
int zc_setbytes(void *s, int opt, const char *v, size_t len)
{
	return zmq_setsockopt(s, opt, v, len) == 0 ? 0 : zmq_errno();
}

// read_meta reads ZMQ_SRCFD and the properties m asks for from msg into m, lens and
// vals (or a heap block when the values need more than m->cap bytes). Values are copied:
// libzmq's strings live only as long as the metadata of msg.
static void read_meta(zmq_msg_t *msg, zc_meta *m, const char *names, int64_t *lens, char *vals)
{
	m->got = 1;
	m->fd = zmq_msg_get(msg, ZMQ_SRCFD);
	m->heap = NULL;
	uint64_t need = 0;
	const char *name = names;
	for (int i = 0; i < m->nprops; i++) {
		const char *v = zmq_msg_gets(msg, name);
		lens[i] = v != NULL ? (int64_t)strlen(v) : -1;
		if (v != NULL)
			need += (uint64_t)lens[i];
		name += strlen(name) + 1;
	}
	m->used = need;
	char *dst = vals;
	if (need > m->cap) {
		dst = m->heap = malloc(need);
		if (dst == NULL) {
			m->used = 0;
			for (int i = 0; i < m->nprops; i++)
				lens[i] = -2; // the caller reports it
			return;
		}
	}
	name = names;
	for (int i = 0; i < m->nprops; i++) {
		if (lens[i] > 0) {
			memcpy(dst, zmq_msg_gets(msg, name), (size_t)lens[i]);
			dst += lens[i];
		}
		name += strlen(name) + 1;
	}
}

// recv_frames is zc_recv, and with m also zc_recv_meta: inlined into each, so that
// zc_recv does not test m.
static inline __attribute__((always_inline)) void recv_frames(void *s, zc_rx *st, char *arena, uint64_t *words, void *out,
	zc_meta *m, const char *names, int64_t *lens, char *vals)
{
	if (out != NULL) {
		memcpy(out, zmq_msg_data(&st->held), zmq_msg_size(&st->held));
		zmq_msg_close(&st->held);
	}
	st->status = ZC_DONE;
	st->err = 0;
	for (;;) {
		if (!st->inmsg && (st->nmsgs >= st->maxmsgs || st->used >= st->budget || st->nwords >= st->maxwords))
			return;
		if (st->nwords >= st->maxwords) {
			st->status = ZC_FULL;
			return;
		}
		int rc;
		zmq_msg_init(&st->held);
		do
			rc = zmq_msg_recv(&st->held, s, ZMQ_DONTWAIT);
		while (rc < 0 && zmq_errno() == EINTR);
		if (rc < 0) {
			st->err = zmq_errno();
			zmq_msg_close(&st->held);
			if (st->inmsg)
				st->status = ZC_TORN;
			return;
		}
		if (m != NULL && st->nwords == 0)
			read_meta(&st->held, m, names, lens, vals);
		size_t n = zmq_msg_size(&st->held);
		int more = zmq_msg_more(&st->held);
		uint64_t w = (uint64_t)n | (more ? ZC_MORE : 0);
		st->inmsg = more;
		if (!more)
			st->nmsgs++;
		if (n > st->cap - st->used) {
			words[st->nwords++] = w | ZC_OUT;
			st->status = ZC_HELD;
			return;
		}
		if (n > 0)
			memcpy(arena + st->used, zmq_msg_data(&st->held), n);
		zmq_msg_close(&st->held);
		st->used += n;
		words[st->nwords++] = w;
	}
}

// zc_recv receives frames without waiting, copying each into arena and describing it
// in words, until a limit, a failure or a frame that does not fit stops it (st->status
// says which). A frame that does not fit stays in st->held: the caller allocates its
// size and calls again with out pointing there, and zc_recv copies it to out first.
// Messages are taken whole: limits are checked only between messages.
void zc_recv(void *s, zc_rx *st, char *arena, uint64_t *words, void *out)
{
	recv_frames(s, st, arena, words, out, NULL, NULL, NULL, NULL);
}

// zc_recv_meta is the first zc_recv of a receive (out is NULL) that also reads, while
// it holds the first frame, what m asks for (read_meta). m->got tells whether it did.
void zc_recv_meta(void *s, zc_rx *st, char *arena, uint64_t *words, zc_meta *m, const char *names, int64_t *lens, char *vals)
{
	m->got = 0;
	recv_frames(s, st, arena, words, NULL, m, names, lens, vals);
}

// zc_send sends the frames words describe, without waiting: a frame's bytes are next
// in data, or at the next of ptrs for a ZC_OUT word. It stops at libzmq's first
// refusal. A refusal after the first frame of a message means libzmq has discarded
// that message and drops its further frames: the rest of them are sent, so that the
// next message starts clean.
void zc_send(void *s, zc_tx *st, const char *data, const uint64_t *words, void *const *ptrs)
{
	int inmsg = 0;
	st->msgs = 0;
	st->err = 0;
	st->dropped = 0;
	for (int i = 0; i < st->nwords; i++) {
		uint64_t w = words[i];
		size_t n = (size_t)(w & ZC_SIZE);
		int more = (w & ZC_MORE) != 0;
		const void *p;
		if (w & ZC_OUT) {
			p = *ptrs++;
		} else {
			p = data;
			data += n;
		}
		int rc;
		do
			rc = zmq_send(s, p, n, ZMQ_DONTWAIT | (more ? ZMQ_SNDMORE : 0));
		while (rc < 0 && zmq_errno() == EINTR);
		if (rc < 0) {
			st->err = zmq_errno();
			if (!inmsg)
				return;
			st->dropped = 1;
			while (more && ++i < st->nwords) {
				w = words[i];
				n = (size_t)(w & ZC_SIZE);
				more = (w & ZC_MORE) != 0;
				if (w & ZC_OUT) {
					p = *ptrs++;
				} else {
					p = data;
					data += n;
				}
				if (zmq_send(s, p, n, ZMQ_DONTWAIT | (more ? ZMQ_SNDMORE : 0)) < 0)
					break;
			}
			return;
		}
		inmsg = more;
		if (!more)
			st->msgs++;
	}
}
