/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * serve: the peer that real-traffic tests talk to, one process per pod
 * network namespace. TCP and SCTP ports accept and close; UDP ports echo
 * each datagram back from the address it was sent to. One epoll loop;
 * lifetime bounded by a timer so a forgotten server cannot outlive its
 * test for long; SIGTERM/SIGINT end it cleanly.
 *
 *   serve [-4|-6|-D] [-t PORTS] [-u PORTS] [-s PORTS] [-l SECONDS]
 *         [-r READY_FILE] [-v]
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include <arpa/inet.h>

#ifndef IPPROTO_SCTP
#define IPPROTO_SCTP 132
#endif

#define MAX_PORTS 64
#define MAX_SOCKS (MAX_PORTS * 3 * 2)
#define MAX_LIFETIME_S 86400
#define DEFAULT_LIFETIME_S 300
/* Datagrams echoed per wake-up of one socket, so one busy port cannot starve the rest. */
#define UDP_BATCH 64

enum l4 { L4_TCP, L4_UDP, L4_SCTP };

struct listener {
	int fd;
	enum l4 proto;
	int family;
	uint16_t port;
};

struct server {
	struct listener socks[MAX_SOCKS];
	size_t n_socks;
	int epfd;
	int sigfd;
	int timerfd;
	bool verbose;
	unsigned long accepted;
	unsigned long echoed;
};

struct options {
	uint16_t ports[3][MAX_PORTS];
	size_t n_ports[3];
	bool want4;
	bool want6;
	bool dual; /* one AF_INET6 socket per port that also takes IPv4 */
	unsigned lifetime_s;
	const char *ready_file;
	bool verbose;
};

static const char *const l4_names[] = { "tcp", "udp", "sctp" };

static void usage(FILE *out)
{
	fprintf(out,
		"usage: serve [-4|-6|-D] [-t PORTS] [-u PORTS] [-s PORTS] [-l SECONDS] [-r FILE] [-v]\n"
		"  -t PORTS    TCP ports to accept and close (comma-separated)\n"
		"  -u PORTS    UDP ports to echo\n"
		"  -s PORTS    SCTP ports to accept and close\n"
		"  -4, -6      IPv4 only, IPv6 only (default: both, separate v6only sockets)\n"
		"  -D          dual-stack: one IPv6 socket per port that also accepts IPv4\n"
		"  -l SECONDS  exit after this long (default %d, at most %d)\n"
		"  -r FILE     create FILE once every socket listens\n"
		"  -v          log every connection and datagram to stderr\n",
		DEFAULT_LIFETIME_S, MAX_LIFETIME_S);
}

static int parse_ports(const char *arg, uint16_t *ports, size_t *n)
{
	char *copy = strdup(arg);
	char *save = NULL;

	if (!copy)
		return -ENOMEM;
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *end;
		long v = strtol(tok, &end, 10);

		bool dup = false;

		if (*end || v < 1 || v > 65535 || *n >= MAX_PORTS) {
			free(copy);
			return -EINVAL;
		}
		for (size_t i = 0; i < *n; i++)
			dup |= ports[i] == v;
		if (!dup)
			ports[(*n)++] = (uint16_t)v;
	}
	free(copy);
	return 0;
}

static int parse_options(int argc, char **argv, struct options *o)
{
	int c;
	bool only4 = false, only6 = false;

	memset(o, 0, sizeof(*o));
	o->lifetime_s = DEFAULT_LIFETIME_S;
	while ((c = getopt(argc, argv, "46Dt:u:s:l:r:vh")) != -1) {
		switch (c) {
		case '4':
			only4 = true;
			break;
		case '6':
			only6 = true;
			break;
		case 'D':
			o->dual = true;
			break;
		case 't':
		case 'u':
		case 's': {
			enum l4 p = c == 't' ? L4_TCP : c == 'u' ? L4_UDP : L4_SCTP;

			if (parse_ports(optarg, o->ports[p], &o->n_ports[p]) < 0) {
				fprintf(stderr, "serve: bad port list '%s'\n", optarg);
				return -EINVAL;
			}
			break;
		}
		case 'l': {
			char *end;
			long v = strtol(optarg, &end, 10);

			if (*end || v < 1 || v > MAX_LIFETIME_S) {
				fprintf(stderr, "serve: lifetime must be 1..%d seconds\n", MAX_LIFETIME_S);
				return -EINVAL;
			}
			o->lifetime_s = (unsigned)v;
			break;
		}
		case 'r':
			o->ready_file = optarg;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind != argc || (only4 && only6) || (o->dual && (only4 || only6))) {
		usage(stderr);
		return -EINVAL;
	}
	if (!o->n_ports[L4_TCP] && !o->n_ports[L4_UDP] && !o->n_ports[L4_SCTP]) {
		fprintf(stderr, "serve: no ports given\n");
		return -EINVAL;
	}
	o->want4 = !only6 && !o->dual;
	o->want6 = !only4;
	return 0;
}

static int epoll_add(int epfd, int fd, uint64_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = tag };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

static int open_listener(struct server *s, int family, enum l4 proto, uint16_t port, bool dual)
{
	static const int one = 1;
	struct sockaddr_storage ss = { 0 };
	socklen_t len;
	int type = proto == L4_UDP ? SOCK_DGRAM : SOCK_STREAM;
	int ipproto = proto == L4_TCP ? IPPROTO_TCP : proto == L4_UDP ? IPPROTO_UDP : IPPROTO_SCTP;
	int fd, err;

	if (s->n_socks >= MAX_SOCKS)
		return -ENOSPC;
	fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, ipproto);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		goto fail;
	if (family == AF_INET6) {
		int v6only = dual ? 0 : 1;
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only)) < 0)
			goto fail;
		if (proto == L4_UDP &&
		    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one)) < 0)
			goto fail;
		/* On a dual socket IPv4 datagrams come with a v4-mapped IPV6_PKTINFO, which
		 * sendmsg() accepts back as the IPv4 source. */
		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = in6addr_any;
		sin6->sin6_port = htons(port);
		len = sizeof(*sin6);
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		if (proto == L4_UDP && setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) < 0)
			goto fail;
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(INADDR_ANY);
		sin->sin_port = htons(port);
		len = sizeof(*sin);
	}
	if (bind(fd, (struct sockaddr *)&ss, len) < 0)
		goto fail;
	if (proto != L4_UDP && listen(fd, 1024) < 0)
		goto fail;
	err = epoll_add(s->epfd, fd, s->n_socks);
	if (err < 0) {
		close(fd);
		return err;
	}
	s->socks[s->n_socks++] = (struct listener){ .fd = fd, .proto = proto, .family = family, .port = port };
	return 0;
fail:
	err = -errno;
	close(fd);
	return err;
}

static void log_peer(const struct server *s, const struct listener *l, const char *what,
		     const struct sockaddr_storage *peer)
{
	char addr[INET6_ADDRSTRLEN] = "?";
	uint16_t port = 0;

	if (!s->verbose)
		return;
	if (peer->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)peer;

		inet_ntop(AF_INET, &sin->sin_addr, addr, sizeof(addr));
		port = ntohs(sin->sin_port);
	} else if (peer->ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)peer;

		inet_ntop(AF_INET6, &sin6->sin6_addr, addr, sizeof(addr));
		port = ntohs(sin6->sin6_port);
	}
	fprintf(stderr, "serve: %s %s/%u from %s port %u\n", what, l4_names[l->proto], l->port, addr, port);
}

static void handle_stream(struct server *s, const struct listener *l)
{
	/* Bounded: the accept queue holds at most the backlog. */
	for (int i = 0; i < 1024; i++) {
		struct sockaddr_storage peer;
		socklen_t len = sizeof(peer);
		int fd = accept4(l->fd, (struct sockaddr *)&peer, &len, SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ECONNABORTED && errno != EINTR)
				fprintf(stderr, "serve: accept %s/%u: %s\n", l4_names[l->proto], l->port,
					strerror(errno));
			return;
		}
		s->accepted++;
		log_peer(s, l, "accept", &peer);
		close(fd);
	}
}

/* Reply from the address the datagram was sent to, whatever the routing table would pick. */
static void handle_datagram(struct server *s, const struct listener *l)
{
	for (int i = 0; i < UDP_BATCH; i++) {
		char buf[2048];
		union {
			char raw[CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(struct in_pktinfo))];
			struct cmsghdr align;
		} ctl_in, ctl_out;
		struct sockaddr_storage peer;
		struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
		struct msghdr msg = {
			.msg_name = &peer, .msg_namelen = sizeof(peer),
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = ctl_in.raw, .msg_controllen = sizeof(ctl_in.raw),
		};
		struct msghdr reply = { 0 };
		struct cmsghdr *out;
		ssize_t n = recvmsg(l->fd, &msg, 0);

		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				fprintf(stderr, "serve: recv udp/%u: %s\n", l->port, strerror(errno));
			return;
		}
		log_peer(s, l, "echo", &peer);
		memset(&ctl_out, 0, sizeof(ctl_out));
		iov.iov_len = (size_t)n;
		reply.msg_name = &peer;
		reply.msg_namelen = msg.msg_namelen;
		reply.msg_iov = &iov;
		reply.msg_iovlen = 1;
		reply.msg_control = ctl_out.raw;
		reply.msg_controllen = sizeof(ctl_out.raw);
		out = CMSG_FIRSTHDR(&reply);
		reply.msg_controllen = 0;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
			if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
				struct in_pktinfo in, pi = { 0 };

				memcpy(&in, CMSG_DATA(c), sizeof(in));
				pi.ipi_spec_dst = in.ipi_addr;
				out->cmsg_level = IPPROTO_IP;
				out->cmsg_type = IP_PKTINFO;
				out->cmsg_len = CMSG_LEN(sizeof(pi));
				memcpy(CMSG_DATA(out), &pi, sizeof(pi));
				reply.msg_controllen = CMSG_SPACE(sizeof(pi));
				break;
			}
			if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
				struct in6_pktinfo pi;

				memcpy(&pi, CMSG_DATA(c), sizeof(pi));
				out->cmsg_level = IPPROTO_IPV6;
				out->cmsg_type = IPV6_PKTINFO;
				out->cmsg_len = CMSG_LEN(sizeof(pi));
				memcpy(CMSG_DATA(out), &pi, sizeof(pi));
				reply.msg_controllen = CMSG_SPACE(sizeof(pi));
				break;
			}
		}
		if (!reply.msg_controllen)
			reply.msg_control = NULL;
		if (sendmsg(l->fd, &reply, 0) < 0)
			fprintf(stderr, "serve: send udp/%u: %s\n", l->port, strerror(errno));
		else
			s->echoed++;
	}
}

static int write_ready_file(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	char line[32];
	int len;

	if (fd < 0)
		return -errno;
	len = snprintf(line, sizeof(line), "%ld\n", (long)getpid());
	if (write(fd, line, (size_t)len) != len) {
		int err = -errno;

		close(fd);
		return err ? err : -EIO;
	}
	return close(fd) < 0 ? -errno : 0;
}

static int setup_fds(struct server *s, const struct options *o)
{
	struct itimerspec its = { .it_value = { .tv_sec = o->lifetime_s } };
	sigset_t mask;
	int err;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return -errno;
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s->epfd < 0)
		return -errno;
	s->sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (s->sigfd < 0)
		return -errno;
	s->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (s->timerfd < 0)
		return -errno;
	if (timerfd_settime(s->timerfd, 0, &its, NULL) < 0)
		return -errno;
	err = epoll_add(s->epfd, s->sigfd, UINT64_MAX);
	if (err < 0)
		return err;
	return epoll_add(s->epfd, s->timerfd, UINT64_MAX - 1);
}

static int setup(struct server *s, const struct options *o)
{
	int err = setup_fds(s, o);

	if (err < 0) {
		fprintf(stderr, "serve: setup: %s\n", strerror(-err));
		return err;
	}
	for (int p = L4_TCP; p <= L4_SCTP; p++) {
		for (size_t i = 0; i < o->n_ports[p]; i++) {
			int fams[2], n = 0;

			if (o->want4)
				fams[n++] = AF_INET;
			if (o->want6)
				fams[n++] = AF_INET6;
			for (int f = 0; f < n; f++) {
				err = open_listener(s, fams[f], (enum l4)p, o->ports[p][i], o->dual);
				if (err < 0) {
					fprintf(stderr, "serve: %s/%u (%s): %s\n", l4_names[p], o->ports[p][i],
						fams[f] == AF_INET ? "IPv4" : "IPv6", strerror(-err));
					return err;
				}
			}
		}
	}
	return 0;
}

static void teardown(struct server *s)
{
	for (size_t i = 0; i < s->n_socks; i++)
		close(s->socks[i].fd);
	if (s->timerfd >= 0)
		close(s->timerfd);
	if (s->sigfd >= 0)
		close(s->sigfd);
	if (s->epfd >= 0)
		close(s->epfd);
}

static int run(struct server *s)
{
	for (;;) {
		struct epoll_event evs[64];
		int n = epoll_wait(s->epfd, evs, 64, -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (int i = 0; i < n; i++) {
			uint64_t tag = evs[i].data.u64;

			if (tag == UINT64_MAX) {
				struct signalfd_siginfo si;

				if (read(s->sigfd, &si, sizeof(si)) == sizeof(si) && s->verbose)
					fprintf(stderr, "serve: signal %u, exiting\n", si.ssi_signo);
				return 0;
			}
			if (tag == UINT64_MAX - 1) {
				if (s->verbose)
					fprintf(stderr, "serve: lifetime over, exiting\n");
				return 0;
			}
			if (tag >= s->n_socks)
				continue;
			if (s->socks[tag].proto == L4_UDP)
				handle_datagram(s, &s->socks[tag]);
			else
				handle_stream(s, &s->socks[tag]);
		}
	}
}

int main(int argc, char **argv)
{
	struct server s = { .epfd = -1, .sigfd = -1, .timerfd = -1 };
	struct options o;
	int err;

	if (parse_options(argc, argv, &o) < 0)
		return 2;
	s.verbose = o.verbose;
	err = setup(&s, &o);
	if (err < 0) {
		teardown(&s);
		return 1;
	}
	if (o.ready_file) {
		err = write_ready_file(o.ready_file);
		if (err < 0) {
			fprintf(stderr, "serve: %s: %s\n", o.ready_file, strerror(-err));
			teardown(&s);
			return 1;
		}
	}
	err = run(&s);
	if (err < 0)
		fprintf(stderr, "serve: epoll: %s\n", strerror(-err));
	if (s.verbose)
		fprintf(stderr, "serve: %lu accepted, %lu datagrams echoed\n", s.accepted, s.echoed);
	teardown(&s);
	return err < 0 ? 1 : 0;
}
