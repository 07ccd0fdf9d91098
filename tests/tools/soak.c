/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * soak: continuous traffic with exact accounting, for tests that change
 * the datapath under load (tests/e2e/test_agent_soak.sh).
 *
 *   soak server -t PORT,... -u PORT,... [-r READY_FILE] [-l SECONDS]
 *       TCP echo (connections kept open, every byte echoed) and UDP echo
 *       on every port, IPv4 and IPv6. On SIGTERM (or after its lifetime)
 *       prints "udp PORT received N" per UDP port and exits.
 *
 *   soak client -d SECONDS [FLOW...]
 *       FLOW, ADDR is IPv4 or [IPv6]:
 *         long=ADDR:PORT      one long-lived TCP connection: 64-byte
 *                             messages, each echoed before the next, ~200/s
 *         new=ADDR:PORT       a new TCP connection every 50 ms: connect,
 *                             one message and its echo, close
 *         udp=ADDR:PORT       datagrams at ~500/s, each numbered; echoes counted
 *         deny-tcp=ADDR:PORT  a connection attempt every 50 ms that must never succeed
 *         deny-udp=ADDR:PORT  datagrams at ~200/s whose echoes must never come
 *       Prints one line per flow and a TOTAL line:
 *         allowed_lost=N denied_delivered=N tcp_resets=N tcp_retransmits=N
 *       allowed_lost counts allowed datagrams without echo, messages not
 *       echoed within 2 s and new connections that failed; tcp_retransmits
 *       (TCP_INFO) is what TCP hid of the drops. Exit 0 when the first three
 *       are 0.
 *
 * Every wait is bounded; SIGTERM/SIGINT end a client early (it still reports).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MSG 64
#define MAX_FLOWS 32
#define MAX_PORTS 16

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* "1.2.3.4:80" or "[fd00::1]:80" */
static int parse_addr(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[64];
	const char *port;
	memset(ss, 0, sizeof(*ss));
	if (s[0] == '[') {
		const char *end = strchr(s, ']');
		if (!end || end[1] != ':' || (size_t)(end - s - 1) >= sizeof(host))
			return -1;
		snprintf(host, sizeof(host), "%.*s", (int)(end - s - 1), s + 1);
		port = end + 2;
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)atoi(port));
		*len = sizeof(*a);
		return inet_pton(AF_INET6, host, &a->sin6_addr) == 1 ? 0 : -1;
	}
	const char *colon = strrchr(s, ':');
	if (!colon || (size_t)(colon - s) >= sizeof(host))
		return -1;
	snprintf(host, sizeof(host), "%.*s", (int)(colon - s), s);
	struct sockaddr_in *a = (struct sockaddr_in *)ss;
	a->sin_family = AF_INET;
	a->sin_port = htons((uint16_t)atoi(colon + 1));
	*len = sizeof(*a);
	return inet_pton(AF_INET, host, &a->sin_addr) == 1 ? 0 : -1;
}

/* ---- server ---- */

static atomic_ulong udp_received[MAX_PORTS];
static int udp_ports[MAX_PORTS], n_udp_ports;

static void *tcp_conn(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char buf[4096];
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			break;
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(fd, buf + off, (size_t)(n - off));
			if (w <= 0)
				goto out;
			off += w;
		}
	}
out:
	close(fd);
	return NULL;
}

static void *tcp_listener(void *arg)
{
	int lfd = (int)(intptr_t)arg;
	while (!stopping) {
		int fd = accept(lfd, NULL, NULL);
		if (fd < 0)
			continue;
		pthread_t t;
		if (pthread_create(&t, NULL, tcp_conn, (void *)(intptr_t)fd) == 0)
			pthread_detach(t);
		else
			close(fd);
	}
	return NULL;
}

struct udp_srv {
	int fd;
	int slot;
};

static void *udp_echo(void *arg)
{
	struct udp_srv *u = arg;
	char buf[2048];
	while (!stopping) {
		struct sockaddr_storage from;
		socklen_t flen = sizeof(from);
		ssize_t n = recvfrom(u->fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
		if (n < 0)
			continue;
		atomic_fetch_add(&udp_received[u->slot], 1);
		sendto(u->fd, buf, (size_t)n, 0, (struct sockaddr *)&from, flen);
	}
	return NULL;
}

static int listen_on(int family, int type, int port)
{
	int fd = socket(family, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	int big = 4 << 20;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	struct timeval tv = { .tv_sec = 0, .tv_usec = 200000 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	struct sockaddr_storage ss = { 0 };
	socklen_t len;
	if (family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		len = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		len = sizeof(*a);
	}
	if (bind(fd, (struct sockaddr *)&ss, len) || (type == SOCK_STREAM && listen(fd, 128))) {
		close(fd);
		return -1;
	}
	return fd;
}

static int parse_ports(const char *s, int *out, int max)
{
	int n = 0;
	for (const char *p = s; *p && n < max;) {
		out[n++] = atoi(p);
		const char *c = strchr(p, ',');
		if (!c)
			break;
		p = c + 1;
	}
	return n;
}

static int run_server(int argc, char **argv)
{
	int tcp[MAX_PORTS], n_tcp = 0, lifetime = 600, opt;
	const char *ready = NULL;
	while ((opt = getopt(argc, argv, "t:u:r:l:")) != -1) {
		switch (opt) {
		case 't':
			n_tcp = parse_ports(optarg, tcp, MAX_PORTS);
			break;
		case 'u':
			n_udp_ports = parse_ports(optarg, udp_ports, MAX_PORTS);
			break;
		case 'r':
			ready = optarg;
			break;
		case 'l':
			lifetime = atoi(optarg);
			break;
		default:
			return 2;
		}
	}
	static struct udp_srv us[2 * MAX_PORTS];
	int n_us = 0;
	for (int fam = 0; fam < 2; fam++) {
		int family = fam ? AF_INET6 : AF_INET;
		for (int i = 0; i < n_tcp; i++) {
			int fd = listen_on(family, SOCK_STREAM, tcp[i]);
			pthread_t t;
			if (fd < 0 || pthread_create(&t, NULL, tcp_listener, (void *)(intptr_t)fd)) {
				fprintf(stderr, "soak server: tcp %d: %s\n", tcp[i], strerror(errno));
				return 3;
			}
			pthread_detach(t);
		}
		for (int i = 0; i < n_udp_ports; i++) {
			int fd = listen_on(family, SOCK_DGRAM, udp_ports[i]);
			pthread_t t;
			us[n_us] = (struct udp_srv){ fd, i };
			if (fd < 0 || pthread_create(&t, NULL, udp_echo, &us[n_us])) {
				fprintf(stderr, "soak server: udp %d: %s\n", udp_ports[i], strerror(errno));
				return 3;
			}
			pthread_detach(t);
			n_us++;
		}
	}
	if (ready) {
		FILE *f = fopen(ready, "w");
		if (f) {
			fputs("ready\n", f);
			fclose(f);
		}
	}
	uint64_t end = now_ms() + (uint64_t)lifetime * 1000;
	while (!stopping && now_ms() < end)
		sleep_ms(50);
	for (int i = 0; i < n_udp_ports; i++)
		printf("udp %d received %lu\n", udp_ports[i], atomic_load(&udp_received[i]));
	fflush(stdout);
	_exit(0);
}

/* ---- client ---- */

enum kind { LONG, NEW, UDP, DENY_TCP, DENY_UDP };

struct flow {
	enum kind kind;
	const char *spec;
	struct sockaddr_storage to;
	socklen_t to_len;
	uint64_t duration_ms;
	/* results */
	unsigned long sent, ok, lost, denied_delivered, resets, retrans;
	char note[160];
};

static int tcp_connect(const struct flow *f, int timeout_ms)
{
	int fd = socket(f->to.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)&f->to, f->to_len) && errno != EINPROGRESS) {
		int e = -errno;
		close(fd);
		return e;
	}
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	if (poll(&p, 1, timeout_ms) != 1) {
		close(fd);
		return -ETIMEDOUT;
	}
	int soerr = 0;
	socklen_t sl = sizeof(soerr);
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
	if (soerr) {
		close(fd);
		return -soerr;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	struct timeval tv = { .tv_sec = 2 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
}

/* Send one numbered message and read its echo: 0, or -errno (-EAGAIN: no echo within 2 s). */
static int exchange(int fd, unsigned long seq)
{
	char msg[MSG] = { 0 }, back[MSG];
	snprintf(msg, sizeof(msg), "seq %lu", seq);
	if (write(fd, msg, MSG) != MSG)
		return -errno;
	size_t got = 0;
	while (got < MSG) {
		ssize_t n = read(fd, back + got, MSG - got);
		if (n == 0)
			return -ECONNRESET;
		if (n < 0)
			return -errno;
		got += (size_t)n;
	}
	return memcmp(msg, back, MSG) ? -EPROTO : 0;
}

static void *run_long(void *arg)
{
	struct flow *f = arg;
	int fd = tcp_connect(f, 2000);
	if (fd < 0) {
		f->lost++;
		snprintf(f->note, sizeof(f->note), "connect: %s", strerror(-fd));
		return NULL;
	}
	uint64_t end = now_ms() + f->duration_ms;
	while (!stopping && now_ms() < end) {
		int rc = exchange(fd, f->sent++);
		if (rc == 0) {
			f->ok++;
		} else if (rc == -EAGAIN || rc == -EWOULDBLOCK) {
			f->lost++; /* stalled over 2 s: an allowed packet did not get through */
		} else {
			f->resets++;
			snprintf(f->note, sizeof(f->note), "connection lost after %lu messages: %s", f->ok, strerror(-rc));
			break;
		}
		sleep_ms(5);
	}
	struct tcp_info ti;
	socklen_t tl = sizeof(ti);
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &tl) == 0)
		f->retrans = ti.tcpi_total_retrans;
	close(fd);
	return NULL;
}

static void *run_new(void *arg)
{
	struct flow *f = arg;
	uint64_t end = now_ms() + f->duration_ms;
	while (!stopping && now_ms() < end) {
		f->sent++;
		int fd = tcp_connect(f, 2000);
		int rc = fd < 0 ? fd : exchange(fd, f->sent);
		if (fd >= 0) {
			struct tcp_info ti;
			socklen_t tl = sizeof(ti);
			if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &tl) == 0)
				f->retrans += ti.tcpi_total_retrans;
			close(fd);
		}
		if (rc == 0) {
			f->ok++;
		} else {
			if (rc == -ECONNRESET || rc == -ECONNREFUSED)
				f->resets++;
			else
				f->lost++;
			snprintf(f->note, sizeof(f->note), "last failure: %s", strerror(-rc));
		}
		sleep_ms(50);
	}
	return NULL;
}

static void *run_deny_tcp(void *arg)
{
	struct flow *f = arg;
	uint64_t end = now_ms() + f->duration_ms;
	while (!stopping && now_ms() < end) {
		f->sent++;
		int fd = tcp_connect(f, 50);
		if (fd >= 0) {
			f->denied_delivered++;
			close(fd);
		} else if (fd == -ECONNREFUSED || fd == -ECONNRESET) {
			f->denied_delivered++; /* an RST came back: the SYN reached the server */
		}
		sleep_ms(50);
	}
	return NULL;
}

/* Numbered datagrams; a receiver half counts echoes by number. */
static void *run_udp(void *arg)
{
	struct flow *f = arg;
	int fd = socket(f->to.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (const struct sockaddr *)&f->to, f->to_len)) {
		snprintf(f->note, sizeof(f->note), "socket: %s", strerror(errno));
		return NULL;
	}
	int big = 4 << 20;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	bool deny = f->kind == DENY_UDP;
	unsigned interval_us = deny ? 5000 : 2000;
	size_t cap = (size_t)(f->duration_ms * 1000 / interval_us) + 1024;
	uint8_t *seen = calloc(cap, 1);
	if (!seen) {
		close(fd);
		return NULL;
	}
	uint64_t end = now_ms() + f->duration_ms, drain_end = 0;
	uint64_t next_send_us = 0, start = now_ms();
	unsigned long received = 0;
	for (;;) {
		uint64_t t = now_ms();
		if (!drain_end && (stopping || t >= end))
			drain_end = t + 1000; /* echoes in flight: wait for them */
		if (drain_end && t >= drain_end)
			break;
		uint64_t elapsed_us = (t - start) * 1000;
		if (!drain_end && elapsed_us >= next_send_us && f->sent < cap) {
			char msg[MSG] = { 0 };
			unsigned long seq = f->sent;
			memcpy(msg, &seq, sizeof(seq));
			if (send(fd, msg, sizeof(msg), 0) == (ssize_t)sizeof(msg))
				f->sent++;
			next_send_us += interval_us;
			continue;
		}
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, 1) == 1) {
			char buf[MSG];
			ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
			if (n == (ssize_t)sizeof(buf)) {
				unsigned long seq;
				memcpy(&seq, buf, sizeof(seq));
				if (seq < cap && !seen[seq]) {
					seen[seq] = 1;
					received++;
				}
			}
		}
	}
	if (deny) {
		f->denied_delivered = received;
	} else {
		f->ok = received;
		f->lost = f->sent - received;
	}
	free(seen);
	close(fd);
	return NULL;
}

static int run_client(int argc, char **argv)
{
	static struct flow flows[MAX_FLOWS];
	int n = 0, opt;
	uint64_t duration = 10000;
	while ((opt = getopt(argc, argv, "d:")) != -1) {
		if (opt != 'd')
			return 2;
		duration = (uint64_t)(atof(optarg) * 1000);
	}
	static const struct {
		const char *prefix;
		enum kind kind;
	} kinds[] = { { "long=", LONG }, { "new=", NEW }, { "udp=", UDP }, { "deny-tcp=", DENY_TCP }, { "deny-udp=", DENY_UDP } };
	for (int i = optind; i < argc && n < MAX_FLOWS; i++) {
		struct flow *f = &flows[n];
		bool found = false;
		for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]) && !found; k++) {
			size_t pl = strlen(kinds[k].prefix);
			if (strncmp(argv[i], kinds[k].prefix, pl) == 0) {
				f->kind = kinds[k].kind;
				found = parse_addr(argv[i] + pl, &f->to, &f->to_len) == 0;
			}
		}
		if (!found) {
			fprintf(stderr, "soak client: bad flow %s\n", argv[i]);
			return 2;
		}
		f->spec = argv[i];
		f->duration_ms = duration;
		n++;
	}
	pthread_t threads[MAX_FLOWS];
	for (int i = 0; i < n; i++) {
		void *(*fn)(void *) = flows[i].kind == LONG ? run_long : flows[i].kind == NEW ? run_new
				     : flows[i].kind == DENY_TCP ? run_deny_tcp : run_udp;
		pthread_create(&threads[i], NULL, fn, &flows[i]);
	}
	unsigned long lost = 0, delivered = 0, resets = 0, retrans = 0;
	for (int i = 0; i < n; i++) {
		pthread_join(threads[i], NULL);
		struct flow *f = &flows[i];
		printf("%-34s sent %7lu ok %7lu lost %4lu denied_delivered %4lu resets %2lu retrans %3lu %s\n", f->spec,
		       f->sent, f->ok, f->lost, f->denied_delivered, f->resets, f->retrans, f->note);
		lost += f->lost;
		delivered += f->denied_delivered;
		resets += f->resets;
		retrans += f->retrans;
	}
	printf("TOTAL allowed_lost=%lu denied_delivered=%lu tcp_resets=%lu tcp_retransmits=%lu\n", lost, delivered,
	       resets, retrans);
	return lost || delivered || resets ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (argc >= 2 && strcmp(argv[1], "server") == 0)
		return run_server(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "client") == 0)
		return run_client(argc - 1, argv + 1);
	fprintf(stderr, "usage: soak server -t PORTS -u PORTS [-r READY] [-l SECONDS]\n"
			"       soak client -d SECONDS FLOW...   (see the source)\n");
	return 2;
}
