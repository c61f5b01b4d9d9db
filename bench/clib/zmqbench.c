/*
 * zmqbench-c: the C rows of zmqasync's benchmark suite (bench/cmd/zmqbench), libzmq
 * with no Go on the path: a reference, not an upper bound. thr and lat run the same
 * loops as the Go rows, both ends in this one process with one libzmq I/O thread (the
 * default context), and print one JSON object on stdout; recv and send are the two
 * processes of the two-process throughput row.
 *
 *   zmqbench-c thr ENDPOINT SIZE COUNT
 *       PUSH -> PULL throughput. The main thread binds a PULL socket to ENDPOINT
 *       ("tcp://127.0.0.1:*", "ipc:///path", "inproc://name"); a second thread
 *       connects a PUSH socket and sends 1 + COUNT messages of SIZE bytes with
 *       zmq_send. The main thread receives the first (warm-up) message, then times
 *       the receipt of the other COUNT with zmq_msg_recv (no copy out of libzmq).
 *
 *   zmqbench-c lat ENDPOINT SIZE COUNT
 *       REQ/REP round trips. A second thread echoes on a REP socket bound to
 *       ENDPOINT (zmq_msg_recv, zmq_msg_send); the main thread does one warm-up round
 *       trip, then COUNT timed ones (zmq_send, zmq_msg_recv), each timed with
 *       CLOCK_MONOTONIC. Reports the total and the p50, p99 and p99.9 round trip.
 *
 *   zmqbench-c recv ENDPOINT SIZE COUNT
 *   zmqbench-c send ENDPOINT SIZE COUNT
 *       PUSH -> PULL throughput across two processes, as libzmq's local_thr and
 *       remote_thr measure it. recv binds a PULL socket to ENDPOINT, prints the
 *       endpoint it resolved to on a line of its own ("endpoint tcp://127.0.0.1:5555")
 *       and waits; send connects a PUSH socket to that endpoint and sends 1 + COUNT
 *       messages of SIZE bytes with zmq_send, then closes it and terminates its
 *       context, which waits until libzmq has passed every message on (linger left
 *       at libzmq's default, as remote_thr does). recv receives the first (warm-up)
 *       message, times the receipt of the other COUNT with zmq_msg_recv and prints
 *       its report; send prints nothing. One libzmq I/O thread in each process.
 *
 * elapsed_ns covers only the timed loop; cpu_user_ns and cpu_sys_ns are the
 * getrusage(RUSAGE_SELF) deltas around that loop (both threads and libzmq's I/O
 * thread; in recv, the receiving process's alone). Every socket but send's has
 * ZMQ_LINGER 0. Exit status 0 on success, 1 with a message on stderr otherwise.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <zmq.h>

static void die(const char *what)
{
	fprintf(stderr, "zmqbench-c: %s: %s\n", what, zmq_strerror(zmq_errno()));
	exit(1);
}

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t tv_ns(struct timeval tv)
{
	return (int64_t)tv.tv_sec * 1000000000 + (int64_t)tv.tv_usec * 1000;
}

struct usage {
	int64_t wall, user, sys;
};

static struct usage usage_now(void)
{
	struct rusage ru;
	struct usage u;
	getrusage(RUSAGE_SELF, &ru);
	u.wall = now_ns();
	u.user = tv_ns(ru.ru_utime);
	u.sys = tv_ns(ru.ru_stime);
	return u;
}

static void *new_socket(void *ctx, int type)
{
	int zero = 0;
	void *s = zmq_socket(ctx, type);
	if (!s)
		die("zmq_socket");
	if (zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero) != 0)
		die("ZMQ_LINGER");
	return s;
}

/* bind_last binds s to endpoint and writes the resolved endpoint to out. */
static void bind_last(void *s, const char *endpoint, char *out, size_t n)
{
	if (zmq_bind(s, endpoint) != 0)
		die("zmq_bind");
	if (zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, out, &n) != 0)
		die("ZMQ_LAST_ENDPOINT");
}

struct peer {
	void *ctx;
	void *sock; /* the second thread's socket; main closes it after the join */
	char endpoint[256];
	size_t size;
	long count;
};

static void *push_thread(void *arg)
{
	struct peer *p = arg;
	void *push = p->sock;
	char *buf = calloc(p->size ? p->size : 1, 1);
	if (!buf) {
		fprintf(stderr, "zmqbench-c: out of memory\n");
		exit(1);
	}
	if (zmq_connect(push, p->endpoint) != 0)
		die("zmq_connect");
	for (long i = 0; i <= p->count; i++)
		if (zmq_send(push, buf, p->size, 0) < 0)
			die("zmq_send");
	free(buf);
	/* Not closed here: with linger 0 that would drop what is still queued. */
	return NULL;
}

static void *rep_thread(void *arg)
{
	struct peer *p = arg;
	zmq_msg_t msg;
	zmq_msg_init(&msg);
	for (long i = 0; i <= p->count; i++) {
		if (zmq_msg_recv(&msg, p->sock, 0) < 0)
			die("zmq_msg_recv (rep)");
		if (zmq_msg_send(&msg, p->sock, 0) < 0)
			die("zmq_msg_send (rep)");
	}
	zmq_msg_close(&msg);
	return NULL;
}

static void print_common(const char *mode, struct peer *p, struct usage a, struct usage b)
{
	int major, minor, patch;
	zmq_version(&major, &minor, &patch);
	printf("{\"impl\":\"c\",\"libzmq\":\"%d.%d.%d\",\"mode\":\"%s\",\"size\":%zu,"
	       "\"count\":%ld,\"elapsed_ns\":%" PRId64 ",\"cpu_user_ns\":%" PRId64
	       ",\"cpu_sys_ns\":%" PRId64,
	       major, minor, patch, mode, p->size, p->count, b.wall - a.wall, b.user - a.user,
	       b.sys - a.sys);
}

/* timed_recv receives one untimed warm-up message on pull (the connection is then up),
 * then count messages with zmq_msg_recv, noting the usage before and after them. */
static void timed_recv(void *pull, long count, struct usage *a, struct usage *b)
{
	zmq_msg_t msg;

	zmq_msg_init(&msg);
	if (zmq_msg_recv(&msg, pull, 0) < 0)
		die("zmq_msg_recv");
	*a = usage_now();
	for (long i = 0; i < count; i++)
		if (zmq_msg_recv(&msg, pull, 0) < 0)
			die("zmq_msg_recv");
	*b = usage_now();
	zmq_msg_close(&msg);
}

static int thr(struct peer *p)
{
	void *pull = new_socket(p->ctx, ZMQ_PULL);
	pthread_t t;
	struct usage a, b;

	bind_last(pull, p->endpoint, p->endpoint, sizeof p->endpoint);
	p->sock = new_socket(p->ctx, ZMQ_PUSH);
	if (pthread_create(&t, NULL, push_thread, p) != 0)
		die("pthread_create");
	timed_recv(pull, p->count, &a, &b);
	pthread_join(t, NULL);
	zmq_close(p->sock);
	zmq_close(pull);
	print_common("thr", p, a, b);
	printf("}\n");
	return 0;
}

/* recv_two is the receiving process of the two-process throughput loop. */
static int recv_two(struct peer *p)
{
	void *pull = new_socket(p->ctx, ZMQ_PULL);
	struct usage a, b;

	bind_last(pull, p->endpoint, p->endpoint, sizeof p->endpoint);
	printf("endpoint %s\n", p->endpoint);
	fflush(stdout);
	timed_recv(pull, p->count, &a, &b);
	zmq_close(pull);
	print_common("recv", p, a, b);
	printf("}\n");
	return 0;
}

/* send_two is the sending process of the two-process throughput loop. */
static int send_two(struct peer *p)
{
	void *push = zmq_socket(p->ctx, ZMQ_PUSH);
	char *buf = calloc(p->size ? p->size : 1, 1);

	if (!push)
		die("zmq_socket");
	if (!buf) {
		fprintf(stderr, "zmqbench-c: out of memory\n");
		return 1;
	}
	if (zmq_connect(push, p->endpoint) != 0)
		die("zmq_connect");
	for (long i = 0; i <= p->count; i++)
		if (zmq_send(push, buf, p->size, 0) < 0)
			die("zmq_send");
	free(buf);
	zmq_close(push); /* default linger: zmq_ctx_term waits until all is passed on */
	return 0;
}

static int cmp_i64(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
	return (a > b) - (a < b);
}

/* rank returns the nearest-rank percentile q (0 < q <= 1) of sorted v[0..n). */
static int64_t rank(const int64_t *v, long n, double q)
{
	long i = (long)(q * (double)n + 0.999999999) - 1;
	if (i < 0)
		i = 0;
	if (i >= n)
		i = n - 1;
	return v[i];
}

static int lat(struct peer *p)
{
	void *req = new_socket(p->ctx, ZMQ_REQ);
	pthread_t t;
	zmq_msg_t msg;
	struct usage a, b;
	char *buf = calloc(p->size ? p->size : 1, 1);
	int64_t *rtt = calloc((size_t)(p->count ? p->count : 1), sizeof *rtt);

	if (!buf || !rtt) {
		fprintf(stderr, "zmqbench-c: out of memory\n");
		return 1;
	}
	p->sock = new_socket(p->ctx, ZMQ_REP);
	bind_last(p->sock, p->endpoint, p->endpoint, sizeof p->endpoint);
	if (pthread_create(&t, NULL, rep_thread, p) != 0)
		die("pthread_create");
	if (zmq_connect(req, p->endpoint) != 0)
		die("zmq_connect");
	zmq_msg_init(&msg);
	if (zmq_send(req, buf, p->size, 0) < 0 || zmq_msg_recv(&msg, req, 0) < 0)
		die("warm-up round trip");
	a = usage_now();
	for (long i = 0; i < p->count; i++) {
		int64_t t0 = now_ns();
		if (zmq_send(req, buf, p->size, 0) < 0)
			die("zmq_send");
		if (zmq_msg_recv(&msg, req, 0) < 0)
			die("zmq_msg_recv");
		rtt[i] = now_ns() - t0;
	}
	b = usage_now();
	zmq_msg_close(&msg);
	pthread_join(t, NULL);
	zmq_close(p->sock);
	zmq_close(req);
	qsort(rtt, (size_t)p->count, sizeof *rtt, cmp_i64);
	print_common("lat", p, a, b);
	printf(",\"p50_ns\":%" PRId64 ",\"p99_ns\":%" PRId64 ",\"p999_ns\":%" PRId64 "}\n",
	       rank(rtt, p->count, 0.50), rank(rtt, p->count, 0.99), rank(rtt, p->count, 0.999));
	free(rtt);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	struct peer p;
	int rc;

	if (argc != 5) {
		fprintf(stderr, "usage: zmqbench-c thr|lat|recv|send ENDPOINT SIZE COUNT\n");
		return 2;
	}
	memset(&p, 0, sizeof p);
	snprintf(p.endpoint, sizeof p.endpoint, "%s", argv[2]);
	p.size = (size_t)strtoul(argv[3], NULL, 10);
	p.count = strtol(argv[4], NULL, 10);
	if (p.count < 1) {
		fprintf(stderr, "zmqbench-c: COUNT must be at least 1\n");
		return 2;
	}
	p.ctx = zmq_ctx_new();
	if (!p.ctx)
		die("zmq_ctx_new");
	if (strcmp(argv[1], "thr") == 0) {
		rc = thr(&p);
	} else if (strcmp(argv[1], "lat") == 0) {
		rc = lat(&p);
	} else if (strcmp(argv[1], "recv") == 0) {
		rc = recv_two(&p);
	} else if (strcmp(argv[1], "send") == 0) {
		rc = send_two(&p);
	} else {
		fprintf(stderr, "zmqbench-c: unknown mode %s (want thr, lat, recv or send)\n", argv[1]);
		rc = 2;
	}
	zmq_ctx_term(p.ctx);
	return rc;
}
