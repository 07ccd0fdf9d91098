/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * probe: the client side of real-traffic tests. Runs every probe given on
 * the command line at once under one global deadline, so that a dropped
 * SYN costs the deadline once per batch, not once per probe:
 *   TCP/SCTP  non-blocking connect; established = ok (then reset, so no
 *             TIME_WAIT lingers to disturb the next run);
 *   UDP       send a token, wait for serve's echo of it, resend a few
 *             times inside the deadline.
 * Prints one line per probe, in argument order:
 *   ADDR PORT PROTO RESULT LATENCY_MS [DETAIL]
 * RESULT: ok | blocked (no answer by the deadline) | refused (RST or ICMP
 * port unreachable) | unreachable (ICMP host/net unreachable) | error
 * (local failure, DETAIL says which).
 * Exit: 0 all ok, 1 some probe not ok, 2 usage, 3 a local error.
 *
 *   probe [-w DEADLINE_MS] [-i RESEND_MS] [-p SPORT_BASE] TARGET...
 *   TARGET: ADDR:PORT[/tcp|udp|sctp], IPv6 as [ADDR]:PORT[/PROTO]
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#ifndef IPPROTO_SCTP
#define IPPROTO_SCTP 132
#endif

#define MAX_PROBES 4096
#define DEFAULT_DEADLINE_MS 400
#define MAX_DEADLINE_MS 60000

enum l4 { L4_TCP, L4_UDP, L4_SCTP };
enum result { PROBE_PENDING, PROBE_OK, PROBE_BLOCKED, PROBE_REFUSED, PROBE_UNREACHABLE, PROBE_ERROR };

static const char *const l4_names[] = { "tcp", "udp", "sctp" };
static const char *const result_names[] = { "pending", "ok", "blocked", "refused", "unreachable", "error" };

struct probe {
	const char *arg;
	char addr_text[INET6_ADDRSTRLEN];
	struct sockaddr_storage dst;
	socklen_t dst_len;
	uint16_t port;
	enum l4 proto;
	int fd;
	enum result result;
	int err; /* errno behind refused/unreachable/error */
	const char *detail;
	int64_t done_ns;
	int64_t next_send_ns; /* UDP: when to resend */
	char token[64];
	size_t token_len;
};

struct options {
	int64_t deadline_ns;
	int64_t resend_ns; /* 0: deadline / 4 */
	long sport_base;   /* 0: kernel picks */
	bool quiet;
};

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: probe [-w DEADLINE_MS] [-i RESEND_MS] [-p SPORT_BASE] [-q] TARGET...\n"
		"  TARGET       ADDR:PORT[/tcp|udp|sctp] or [IPV6]:PORT[/PROTO] (default tcp)\n"
		"  -w MS        one deadline for the whole batch (default %d)\n"
		"  -i MS        UDP resend interval (default: deadline/4)\n"
		"  -p PORT      bind probe i to source port PORT+i (default: kernel picks)\n"
		"  -q           print nothing, only the exit status\n"
		"prints: ADDR PORT PROTO ok|blocked|refused|unreachable|error LATENCY_MS [DETAIL]\n"
		"exit: 0 all ok, 1 some not ok, 2 usage, 3 local error\n",
		DEFAULT_DEADLINE_MS);
}

static int parse_target(const char *arg, struct probe *p)
{
	char buf[128];
	char *host, *port_s, *proto_s, *end;
	long port;

	if (strlen(arg) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, arg);
	p->proto = L4_TCP;
	proto_s = strrchr(buf, '/');
	if (proto_s) {
		*proto_s++ = '\0';
		if (!strcasecmp(proto_s, "tcp"))
			p->proto = L4_TCP;
		else if (!strcasecmp(proto_s, "udp"))
			p->proto = L4_UDP;
		else if (!strcasecmp(proto_s, "sctp"))
			p->proto = L4_SCTP;
		else
			return -EINVAL;
	}
	if (buf[0] == '[') {
		host = buf + 1;
		end = strchr(host, ']');
		if (!end || end[1] != ':')
			return -EINVAL;
		*end = '\0';
		port_s = end + 2;
	} else {
		port_s = strrchr(buf, ':');
		if (!port_s)
			return -EINVAL;
		*port_s++ = '\0';
		host = buf;
	}
	port = strtol(port_s, &end, 10);
	if (*end || port < 1 || port > 65535)
		return -EINVAL;
	p->port = (uint16_t)port;
	memset(&p->dst, 0, sizeof(p->dst));
	if (strchr(host, ':')) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&p->dst;

		if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
			return -EINVAL;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(p->port);
		p->dst_len = sizeof(*sin6);
		inet_ntop(AF_INET6, &sin6->sin6_addr, p->addr_text, sizeof(p->addr_text));
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)&p->dst;

		if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
			return -EINVAL;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(p->port);
		p->dst_len = sizeof(*sin);
		inet_ntop(AF_INET, &sin->sin_addr, p->addr_text, sizeof(p->addr_text));
	}
	p->arg = arg;
	return 0;
}

static long parse_long(const char *s, long lo, long hi)
{
	char *end;
	long v = strtol(s, &end, 10);

	return (*s && !*end && v >= lo && v <= hi) ? v : -1;
}

static void finish(struct probe *p, enum result r, int err, int64_t t)
{
	if (p->result != PROBE_PENDING)
		return;
	p->result = r;
	p->err = err;
	p->done_ns = t;
	if (p->fd >= 0) {
		/* Reset instead of FIN: no TIME_WAIT on either side to collide with a later
		 * probe that reuses the source port. */
		if (p->proto != L4_UDP && r == PROBE_OK) {
			struct linger lg = { .l_onoff = 1, .l_linger = 0 };

			setsockopt(p->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		}
		close(p->fd);
		p->fd = -1;
	}
}

static enum result classify_errno(int err)
{
	switch (err) {
	case ECONNREFUSED:
	case ECONNRESET:
		return PROBE_REFUSED;
	case EHOSTUNREACH:
	case ENETUNREACH:
	case EHOSTDOWN:
	case ENETDOWN:
	case EACCES: /* ICMP administratively prohibited */
	case EPERM:
		return PROBE_UNREACHABLE;
	default:
		return PROBE_ERROR;
	}
}

static void fail_local(struct probe *p, const char *what, int err, int64_t t)
{
	p->detail = what;
	finish(p, PROBE_ERROR, err, t);
}

static void udp_send(struct probe *p, const struct options *o, int64_t t)
{
	ssize_t n = send(p->fd, p->token, p->token_len, MSG_DONTWAIT);

	if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOBUFS) {
		enum result r = classify_errno(errno);

		if (r == PROBE_ERROR)
			p->detail = "send";
		finish(p, r, errno, t);
		return;
	}
	p->next_send_ns = t + o->resend_ns;
}

static void start_probe(struct probe *p, size_t idx, const struct options *o, int epfd, int64_t t0)
{
	static const int one = 1;
	int type = p->proto == L4_UDP ? SOCK_DGRAM : SOCK_STREAM;
	int ipproto = p->proto == L4_TCP ? IPPROTO_TCP : p->proto == L4_UDP ? IPPROTO_UDP : IPPROTO_SCTP;
	struct epoll_event ev = { .data.u64 = idx };

	p->fd = socket(p->dst.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, ipproto);
	if (p->fd < 0) {
		fail_local(p, "socket", errno, t0);
		return;
	}
	if (o->sport_base) {
		struct sockaddr_storage src = { 0 };
		socklen_t len;
		uint16_t sport = (uint16_t)(o->sport_base + (long)idx);

		setsockopt(p->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (p->dst.ss_family == AF_INET6) {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&src;

			s6->sin6_family = AF_INET6;
			s6->sin6_port = htons(sport);
			len = sizeof(*s6);
		} else {
			struct sockaddr_in *s4 = (struct sockaddr_in *)&src;

			s4->sin_family = AF_INET;
			s4->sin_port = htons(sport);
			len = sizeof(*s4);
		}
		if (bind(p->fd, (struct sockaddr *)&src, len) < 0) {
			fail_local(p, "bind", errno, t0);
			return;
		}
	}
	if (p->proto == L4_TCP)
		setsockopt(p->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(p->fd, (struct sockaddr *)&p->dst, p->dst_len) < 0) {
		if (errno != EINPROGRESS) {
			enum result r = classify_errno(errno);

			if (r == PROBE_ERROR)
				p->detail = "connect";
			finish(p, r, errno, now_ns());
			return;
		}
	} else if (p->proto != L4_UDP) {
		finish(p, PROBE_OK, 0, now_ns());
		return;
	}
	ev.events = p->proto == L4_UDP ? EPOLLIN : EPOLLOUT;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, p->fd, &ev) < 0) {
		fail_local(p, "epoll", errno, t0);
		return;
	}
	if (p->proto == L4_UDP) {
		p->token_len = (size_t)snprintf(p->token, sizeof(p->token), "polc-probe %ld %zu %lld",
						(long)getpid(), idx, (long long)t0);
		udp_send(p, o, now_ns());
	}
}

static void on_event(struct probe *p, uint32_t events, int64_t t)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (p->proto != L4_UDP) {
		if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		if (err == 0 && (events & EPOLLOUT))
			finish(p, PROBE_OK, 0, t);
		else if (err != 0 && err != EINPROGRESS)
			finish(p, classify_errno(err), err, t);
		return;
	}
	/* Bounded: a socket holds at most a few queued replies. */
	for (int i = 0; i < 16 && p->result == PROBE_PENDING; i++) {
		char buf[128];
		ssize_t n = recv(p->fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			finish(p, classify_errno(errno), errno, t);
			return;
		}
		if ((size_t)n == p->token_len && !memcmp(buf, p->token, p->token_len))
			finish(p, PROBE_OK, 0, t);
	}
}

static int64_t next_wakeup(const struct probe *probes, size_t n, int64_t deadline)
{
	int64_t w = deadline;

	for (size_t i = 0; i < n; i++)
		if (probes[i].result == PROBE_PENDING && probes[i].proto == L4_UDP && probes[i].next_send_ns < w)
			w = probes[i].next_send_ns;
	return w;
}

static int run_batch(struct probe *probes, size_t n, const struct options *o)
{
	int64_t t0 = now_ns(), deadline = t0 + o->deadline_ns;
	size_t pending = 0;
	int epfd = epoll_create1(EPOLL_CLOEXEC);

	if (epfd < 0) {
		perror("probe: epoll_create1");
		return -errno;
	}
	for (size_t i = 0; i < n; i++)
		start_probe(&probes[i], i, o, epfd, t0);
	for (;;) {
		struct epoll_event evs[256];
		int64_t t = now_ns(), wake;
		int timeout_ms, ready;

		pending = 0;
		for (size_t i = 0; i < n; i++) {
			struct probe *p = &probes[i];

			if (p->result != PROBE_PENDING)
				continue;
			if (p->proto == L4_UDP && t >= p->next_send_ns && t < deadline)
				udp_send(p, o, t);
			pending += p->result == PROBE_PENDING;
		}
		if (!pending || t >= deadline)
			break;
		wake = next_wakeup(probes, n, deadline);
		timeout_ms = wake > t ? (int)((wake - t + 999999) / 1000000) : 0;
		ready = epoll_wait(epfd, evs, 256, timeout_ms);
		if (ready < 0 && errno != EINTR) {
			int err = errno;

			perror("probe: epoll_wait");
			close(epfd);
			return -err;
		}
		t = now_ns();
		for (int i = 0; i < ready; i++) {
			uint64_t idx = evs[i].data.u64;

			if (idx < n && probes[idx].result == PROBE_PENDING)
				on_event(&probes[idx], evs[i].events, t);
		}
	}
	for (size_t i = 0; i < n; i++)
		if (probes[i].result == PROBE_PENDING)
			finish(&probes[i], PROBE_BLOCKED, 0, deadline);
	close(epfd);
	for (size_t i = 0; i < n; i++)
		probes[i].done_ns -= t0;
	return 0;
}

int main(int argc, char **argv)
{
	struct options o = { .deadline_ns = (int64_t)DEFAULT_DEADLINE_MS * 1000000 };
	struct probe *probes;
	size_t n;
	int c, status = 0;

	while ((c = getopt(argc, argv, "w:i:p:qh")) != -1) {
		long v;

		switch (c) {
		case 'w':
			v = parse_long(optarg, 1, MAX_DEADLINE_MS);
			if (v < 0) {
				fprintf(stderr, "probe: deadline must be 1..%d ms\n", MAX_DEADLINE_MS);
				return 2;
			}
			o.deadline_ns = (int64_t)v * 1000000;
			break;
		case 'i':
			v = parse_long(optarg, 1, MAX_DEADLINE_MS);
			if (v < 0) {
				fprintf(stderr, "probe: resend interval must be 1..%d ms\n", MAX_DEADLINE_MS);
				return 2;
			}
			o.resend_ns = (int64_t)v * 1000000;
			break;
		case 'p':
			o.sport_base = parse_long(optarg, 1, 65535);
			if (o.sport_base < 0) {
				fprintf(stderr, "probe: bad source port base '%s'\n", optarg);
				return 2;
			}
			break;
		case 'q':
			o.quiet = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	n = (size_t)(argc - optind);
	if (n == 0 || n > MAX_PROBES) {
		usage(stderr);
		return 2;
	}
	if (o.sport_base && o.sport_base + (long)n - 1 > 65535) {
		fprintf(stderr, "probe: %zu probes do not fit above source port %ld\n", n, o.sport_base);
		return 2;
	}
	if (!o.resend_ns)
		o.resend_ns = o.deadline_ns / 4;
	probes = calloc(n, sizeof(*probes));
	if (!probes) {
		perror("probe");
		return 3;
	}
	for (size_t i = 0; i < n; i++) {
		probes[i].fd = -1;
		if (parse_target(argv[optind + (int)i], &probes[i]) < 0) {
			fprintf(stderr, "probe: bad target '%s' (want ADDR:PORT[/PROTO] or [ADDR]:PORT[/PROTO])\n",
				argv[optind + (int)i]);
			free(probes);
			return 2;
		}
	}
	if (run_batch(probes, n, &o) < 0) {
		free(probes);
		return 3;
	}
	for (size_t i = 0; i < n; i++) {
		const struct probe *p = &probes[i];

		if (!o.quiet) {
			printf("%s %u %s %s %.3f", p->addr_text, p->port, l4_names[p->proto],
			       result_names[p->result], (double)p->done_ns / 1e6);
			if (p->result == PROBE_ERROR || p->result == PROBE_REFUSED || p->result == PROBE_UNREACHABLE)
				printf(" %s%s%s", p->detail ? p->detail : "", p->detail ? ":" : "",
				       strerrorname_np(p->err) ? strerrorname_np(p->err) : "?");
			putchar('\n');
		}
		if (p->result == PROBE_ERROR)
			status = 3;
		else if (p->result != PROBE_OK && status == 0)
			status = 1;
	}
	free(probes);
	return fflush(stdout) == 0 ? status : 3;
}
