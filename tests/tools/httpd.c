/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * httpd: the HTTP/1.1 server of the L7 real-traffic tests. Keep-alive,
 * pipelining (every complete request in what it has read is answered, in
 * order), Content-Length and chunked request bodies. Every request it
 * receives is logged as one line "METHOD TARGET body=N" to the log file,
 * so a test can prove that a request polc refused never reached it. The
 * answer is "200 OK" with "METHOD TARGET\n" as its body.
 *
 *   httpd -p PORT[,PORT...] -L LOG [-r READY_FILE] [-l SECONDS]
 *
 * Dual-stack (one IPv6 socket per port, v4-mapped addresses allowed). One
 * process per connection (fork): simple, and a test's few connections
 * cost nothing. Lifetime bounded (default 300 s), a connection idle for
 * 30 s is closed, SIGTERM ends the server, and its children with it.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_PORTS 8
#define BUF_SIZE (1 << 20)
#define IDLE_S 30

static const char *log_path;

static void log_request(const char *method, const char *target, size_t body)
{
	char line[8192];
	int n = snprintf(line, sizeof(line), "%s %s body=%zu\n", method, target, body);
	int fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	if (n > 0 && write(fd, line, (size_t)n) < 0)
		perror("httpd: log");
	close(fd);
}

static bool write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

/* The value of header name in head[0..len), or NULL; *vlen its length. */
static const char *header(const char *head, size_t len, const char *name, size_t *vlen)
{
	size_t nl = strlen(name);
	const char *p = memchr(head, '\n', len);
	while (p && (size_t)(p - head) + 1 < len) {
		const char *line = p + 1;
		const char *end = memchr(line, '\n', len - (size_t)(line - head));
		if (!end)
			break;
		if ((size_t)(end - line) > nl && strncasecmp(line, name, nl) == 0 && line[nl] == ':') {
			const char *v = line + nl + 1;
			while (v < end && (*v == ' ' || *v == '\t'))
				v++;
			const char *e = end;
			while (e > v && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
				e--;
			*vlen = (size_t)(e - v);
			return v;
		}
		p = end;
	}
	return NULL;
}

/*
 * One request at buf[0..len): its length (head, and a chunked body), 0
 * if incomplete, -1 if malformed. Fills method, target, body length,
 * close, chunked (a Content-Length body is left to the caller).
 */
static long request(const char *buf, size_t len, char *method, char *target, size_t *body, bool *close_after,
		    bool *chunked)
{
	const char *end = NULL;
	for (size_t i = 0; i + 3 < len; i++)
		if (memcmp(buf + i, "\r\n\r\n", 4) == 0) {
			end = buf + i + 4;
			break;
		}
	if (!end)
		return len > 65536 ? -1 : 0;
	size_t head_len = (size_t)(end - buf);
	if (sscanf(buf, "%63s %4095s", method, target) != 2)
		return -1;
	const char *v;
	size_t vl;
	*close_after = memmem(buf, head_len, "HTTP/1.0\r\n", 10) != NULL;
	if ((v = header(buf, head_len, "connection", &vl)) && vl == 5 && strncasecmp(v, "close", 5) == 0)
		*close_after = true;
	*chunked = false;
	if ((v = header(buf, head_len, "transfer-encoding", &vl)) && vl == 7 && strncasecmp(v, "chunked", 7) == 0) {
		*chunked = true;
		/* Chunks: size line, data, CRLF; a zero size, trailers, an empty line. */
		size_t pos = head_len;
		*body = 0;
		for (;;) {
			const char *nl = memmem(buf + pos, len - pos, "\r\n", 2);
			if (!nl)
				return 0;
			size_t size = strtoul(buf + pos, NULL, 16);
			pos = (size_t)(nl - buf) + 2;
			if (size == 0) {
				for (;;) {
					const char *t = memmem(buf + pos, len - pos, "\r\n", 2);
					if (!t)
						return 0;
					bool empty = t == buf + pos;
					pos = (size_t)(t - buf) + 2;
					if (empty)
						return (long)pos;
				}
			}
			if (pos + size + 2 > len)
				return 0;
			pos += size + 2;
			*body += size;
		}
	}
	*body = 0;
	if ((v = header(buf, head_len, "content-length", &vl)))
		*body = strtoul(v, NULL, 10);
	/* The head only: the caller reads the body through, however long. */
	return (long)head_len;
}

static void serve_connection(int fd)
{
	char *buf = malloc(BUF_SIZE);
	size_t len = 0;
	if (!buf)
		_exit(1);
	struct timeval tv = {.tv_sec = IDLE_S};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (;;) {
		ssize_t n = read(fd, buf + len, BUF_SIZE - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		for (;;) {
			char method[64], target[4096], resp[8192];
			size_t body = 0;
			bool close_after = false, chunked = false;
			long used = request(buf, len, method, target, &body, &close_after, &chunked);
			if (used < 0) {
				static const char bad[] = "HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
				write_all(fd, bad, sizeof(bad) - 1);
				goto out;
			}
			if (used == 0)
				break;
			/* A Content-Length body: what is buffered, then read and counted, not kept. */
			size_t have = len - (size_t)used < body ? len - (size_t)used : body;
			if (!chunked) {
				size_t rest = body - have;
				memmove(buf, buf + used + have, len - (size_t)used - have);
				len -= (size_t)used + have;
				used = 0;
				while (rest) {
					char sink[65536];
					ssize_t r = read(fd, sink, rest < sizeof(sink) ? rest : sizeof(sink));
					if (r < 0 && errno == EINTR)
						continue;
					if (r <= 0)
						goto out;
					rest -= (size_t)r;
				}
			}
			log_request(method, target, body);
			char text[4200];
			int tl = snprintf(text, sizeof(text), "%s %s\n", method, target);
			int rl = snprintf(resp, sizeof(resp), "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n"
							      "content-length: %d\r\n%s\r\n%s",
					  tl, close_after ? "connection: close\r\n" : "", text);
			if (!write_all(fd, resp, (size_t)rl) || close_after)
				goto out;
			memmove(buf, buf + used, len - (size_t)used);
			len -= (size_t)used;
		}
	}
out:
	free(buf);
	close(fd);
	_exit(0);
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	int ports[MAX_PORTS], n_ports = 0, lifetime = 300, opt;
	const char *ready = NULL;
	while ((opt = getopt(argc, argv, "p:L:r:l:")) != -1) {
		switch (opt) {
		case 'p':
			for (char *tok = strtok(optarg, ","); tok && n_ports < MAX_PORTS; tok = strtok(NULL, ","))
				ports[n_ports++] = atoi(tok);
			break;
		case 'L':
			log_path = optarg;
			break;
		case 'r':
			ready = optarg;
			break;
		case 'l':
			lifetime = atoi(optarg);
			break;
		default:
			fprintf(stderr, "usage: httpd -p PORT[,PORT...] -L LOG [-r READY_FILE] [-l SECONDS]\n");
			return 2;
		}
	}
	if (!n_ports || !log_path || lifetime <= 0 || lifetime > 86400) {
		fprintf(stderr, "usage: httpd -p PORT[,PORT...] -L LOG [-r READY_FILE] [-l SECONDS]\n");
		return 2;
	}
	struct pollfd pfd[MAX_PORTS];
	for (int i = 0; i < n_ports; i++) {
		int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0), off = 0, on = 1;
		struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)ports[i])};
		if (fd < 0 || setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)) ||
		    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) || bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
		    listen(fd, 64)) {
			perror("httpd: listen");
			return 1;
		}
		pfd[i] = (struct pollfd){.fd = fd, .events = POLLIN};
	}
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGCHLD, SIG_IGN); /* children are reaped by the kernel */
	if (ready) {
		FILE *f = fopen(ready, "w");
		if (f) {
			fprintf(f, "%d\n", (int)getpid());
			fclose(f);
		}
	}
	time_t end = time(NULL) + lifetime;
	while (!stop && time(NULL) < end) {
		int n = poll(pfd, (nfds_t)n_ports, 200);
		for (int i = 0; n > 0 && i < n_ports; i++) {
			if (!(pfd[i].revents & POLLIN))
				continue;
			int c = accept4(pfd[i].fd, NULL, NULL, SOCK_CLOEXEC);
			if (c < 0)
				continue;
			pid_t pid = fork();
			if (pid == 0) {
				for (int k = 0; k < n_ports; k++)
					close(pfd[k].fd);
				signal(SIGTERM, SIG_DFL);
				prctl(PR_SET_PDEATHSIG, SIGTERM);
				if (getppid() == 1)
					_exit(0);
				alarm((unsigned)(end - time(NULL)) + 1);
				serve_connection(c);
			}
			close(c);
		}
	}
	/* Children end with their connections, their idle timeout, or this process (PR_SET_PDEATHSIG). */
	return 0;
}
