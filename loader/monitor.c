/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * polc_monitor_*: the verdict events of the shared ring buffer
 * (polc_events), decoded into Hubble-style flows. An event carries
 * numbers (rule id, identities, endpoint id) and the revision of the
 * generation that judged it; the names come from that revision's live
 * state, so that an event read after a swap or an endpoint change still
 * names the rule that decided it. The monitor keeps the tables of the
 * last few revisions it has seen and reads the live state again when an
 * event brings a revision it does not know.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "loader/cleanup.h"
#include "loader/loader.h"

#define TABLE_CACHE 8

struct cached {
	uint32_t revision;
	struct polc_tables *t;
	uint64_t used;
};

struct polc_monitor {
	char pin_dir[PATH_MAX];
	int lock_fd;
	int ring_fd;
	struct ring_buffer *rb;
	struct cached cache[TABLE_CACHE];
	uint64_t tick;
	int64_t realtime_offset; /* CLOCK_REALTIME - CLOCK_MONOTONIC, ns */
	/* The callback of the poll in progress. */
	polc_flow_fn fn;
	void *ctx;
	int stop;
	int count;
	char ifname[IF_NAMESIZE];
};

static int64_t clock_ns(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

/* The tables of revision rev, reading the live state if it is that revision. */
static const struct polc_tables *tables_for(struct polc_monitor *m, uint32_t rev)
{
	struct cached *oldest = &m->cache[0];
	for (int i = 0; i < TABLE_CACHE; i++) {
		struct cached *c = &m->cache[i];
		if (c->t && c->revision == rev) {
			c->used = ++m->tick;
			return c->t;
		}
		if (!c->t || c->used < oldest->used)
			oldest = c;
	}
	struct polc_shared sh;
	polc_shared_init(&sh);
	struct polc_live live = { .prog_fd = -1 };
	struct polc_artifact *rec = NULL;
	struct polc_tables *t = NULL;
	char path[PATH_MAX];
	if (polc_pin_path(path, sizeof(path), m->pin_dir, "shared", POLC_MAP_GEN_PROG) == 0)
		sh.map_fd[POLC_SM_GEN_PROG] = bpf_obj_get(path);
	if (sh.map_fd[POLC_SM_GEN_PROG] >= 0 && polc_live_find(m->pin_dir, &sh, false, &live, NULL) == 0 &&
	    live.name[0] && polc_record_read(live.dir, &rec, NULL) == 0)
		polc_tables_load(rec, &t, NULL);
	polc_artifact_free(rec);
	polc_live_release(&live);
	polc_shared_release(&sh);
	if (!t)
		return NULL;
	/* Whatever revision is live now is worth keeping; the event's may still be missing. */
	uint32_t live_rev = (uint32_t)t->revision;
	for (int i = 0; i < TABLE_CACHE; i++) {
		if (m->cache[i].t && m->cache[i].revision == live_rev) {
			polc_tables_free(t);
			return live_rev == rev ? m->cache[i].t : NULL;
		}
	}
	polc_tables_free(oldest->t);
	oldest->t = t;
	oldest->revision = live_rev;
	oldest->used = ++m->tick;
	return live_rev == rev ? t : NULL;
}

static const char *reason_desc(uint8_t reason)
{
	switch (reason) {
	case POLC_REASON_POLICY:
		return "POLICY_DENY";
	case POLC_REASON_DEFAULT_DENY:
		return "POLICY_DENIED";
	case POLC_REASON_FRAGMENT:
		return "FIRST_LOGICAL_DATAGRAM_FRAGMENT_NOT_FOUND";
	case POLC_REASON_MALFORMED:
		return "INVALID_PACKET_DROPPED";
	case POLC_REASON_NO_ENDPOINT:
		return "NO_MATCHING_LOCAL_CONTAINER_FOUND";
	case POLC_REASON_NO_PROGRAM:
		return "MISSED_TAIL_CALL";
	case POLC_REASON_VLAN:
		return "VLAN_FILTERED";
	case POLC_REASON_L7: /* an HTTP request no rule allows */
		return "POLICY_DENIED";
	case POLC_REASON_L7_MALFORMED: /* an HTTP stream polc cannot judge */
		return "INVALID_PACKET_DROPPED";
	case POLC_REASON_DNS: /* a DNS query no rule allows (Cilium's proxy logs it so) */
		return "POLICY_DENIED";
	case POLC_REASON_DNS_MALFORMED: /* a DNS message polc cannot parse */
		return "INVALID_PACKET_DROPPED";
	}
	return "DROP_REASON_UNKNOWN";
}

static const char *l4_name(uint8_t proto, uint8_t family)
{
	switch (proto) {
	case IPPROTO_TCP:
		return "TCP";
	case IPPROTO_UDP:
		return "UDP";
	case IPPROTO_SCTP:
		return "SCTP";
	case IPPROTO_ICMP:
		return family == 4 ? "ICMPv4" : NULL;
	case IPPROTO_ICMPV6:
		return family == 6 ? "ICMPv6" : NULL;
	}
	return NULL;
}

static void fill_peer(const struct polc_tables *t, struct polc_flow_peer *p, uint8_t family, const uint8_t *addr,
		      uint32_t identity)
{
	memset(p, 0, sizeof(*p));
	p->identity = identity;
	if (family == 4 || family == 6)
		inet_ntop(family == 4 ? AF_INET : AF_INET6, addr, p->ip, sizeof(p->ip));
	if (!t)
		return;
	p->labels = polc_tables_labels(t, identity);
	const struct polc_pod_row *pod = polc_tables_pod_by_addr(t, family, addr);
	if (pod) {
		p->namespace = pod->namespace;
		p->pod_name = pod->name;
	}
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct polc_monitor *m = ctx;
	if (m->stop || size < sizeof(struct polc_event))
		return 0;
	struct polc_event e;
	memcpy(&e, data, sizeof(e));
	const struct polc_tables *t = tables_for(m, e.revision);

	struct polc_flow f = { 0 };
	f.raw = data;
	f.revision = e.revision;
	f.length = e.len;
	f.time_ns = (uint64_t)((int64_t)e.timestamp_ns + m->realtime_offset);
	f.verdict = e.verdict == POLC_VERDICT_ALLOW ? "FORWARDED" : e.verdict == POLC_VERDICT_AUDIT ? "AUDIT" : "DROPPED";
	f.drop_reason_desc = e.verdict == POLC_VERDICT_ALLOW ? NULL : reason_desc(e.reason);
	f.traffic_direction = e.dir == POLC_DIR_INGRESS ? "INGRESS" : "EGRESS";
	f.ip_version = e.family;
	fill_peer(t, &f.source, e.family, e.saddr, e.src_identity);
	fill_peer(t, &f.destination, e.family, e.daddr, e.dst_identity);
	f.l4_protocol = l4_name(e.proto, e.family);
	f.source_port = e.sport;
	f.destination_port = e.dport;
	f.endpoint_id = e.endpoint_id;
	const struct polc_ep_row *ep = t ? polc_tables_endpoint(t, e.endpoint_id) : NULL;
	if (ep) {
		f.ifname = ep->ifname;
		/* The local side is the endpoint even when its address is not in the tables. */
		struct polc_flow_peer *local = e.dir == POLC_DIR_INGRESS ? &f.destination : &f.source;
		local->namespace = ep->namespace;
		local->pod_name = ep->name;
	} else if (if_indextoname(e.ifindex, m->ifname)) {
		f.ifname = m->ifname;
	}
	f.policy.rule = e.rule;
	const struct polc_rule_row *r = t && e.rule != POLC_RULE_NONE ? polc_tables_rule(t, e.rule) : NULL;
	if (r) {
		f.policy.kind = r->kind;
		f.policy.namespace = r->namespace;
		f.policy.name = r->name;
		f.policy.path = r->path;
		f.policy.file = r->file;
		f.policy.direction = r->direction;
		f.policy.action = r->action;
		f.policy.line = r->line;
		f.policy.column = r->column;
		f.policy.audit = r->audit;
	}
	m->count++;
	if (m->fn && m->fn(&f, m->ctx))
		m->stop = 1;
	return 0;
}

int polc_monitor_open(struct polc_datapath *dp, struct polc_monitor **out, struct polc_error *err)
{
	if (err)
		memset(err, 0, sizeof(*err));
	struct polc_monitor *m = calloc(1, sizeof(*m));
	if (!m)
		return polc_errf(err, -ENOMEM, "out of memory");
	m->lock_fd = m->ring_fd = -1;
	snprintf(m->pin_dir, sizeof(m->pin_dir), "%s", dp->pin_dir);
	char path[PATH_MAX];
	int rc = 0;
	if (polc_pin_path(path, sizeof(path), dp->pin_dir, "shared", NULL)) {
		rc = polc_errf(err, -ENAMETOOLONG, "%s: path too long", dp->pin_dir);
		goto fail;
	}
	m->lock_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (m->lock_fd < 0) {
		rc = errno == ENOENT ? polc_errf(err, -ENOENT, "no polc datapath at %s", dp->pin_dir)
				     : polc_errf_sys(err, -errno, "cannot open %s", path);
		goto fail;
	}
	/* One reader per ring buffer: two would each see some of the events. */
	if (flock(m->lock_fd, LOCK_EX | LOCK_NB)) {
		rc = errno == EWOULDBLOCK ? polc_errf(err, -EBUSY, "another process reads the events of %s "
								  "(a ring buffer has one reader)",
						     dp->pin_dir)
					  : polc_errf_sys(err, -errno, "cannot lock %s", path);
		goto fail;
	}
	polc_pin_path(path, sizeof(path), dp->pin_dir, "shared", POLC_MAP_EVENTS);
	m->ring_fd = bpf_obj_get(path);
	if (m->ring_fd < 0) {
		rc = polc_errf_sys(err, -errno, "cannot open %s", path);
		goto fail;
	}
	m->rb = ring_buffer__new(m->ring_fd, on_event, m, NULL);
	if (!m->rb) {
		rc = polc_errf_sys(err, -errno, "cannot map the event ring buffer %s", path);
		goto fail;
	}
	m->realtime_offset = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC);
	*out = m;
	return 0;
fail:
	polc_monitor_close(m);
	return rc;
}

int polc_monitor_fd(const struct polc_monitor *m)
{
	return ring_buffer__epoll_fd(m->rb);
}

int polc_monitor_poll(struct polc_monitor *m, int timeout_ms, polc_flow_fn fn, void *ctx, struct polc_error *err)
{
	if (err)
		memset(err, 0, sizeof(*err));
	m->fn = fn;
	m->ctx = ctx;
	m->stop = 0;
	m->count = 0;
	/* The clocks drift apart (NTP slews realtime): measure again each time. */
	m->realtime_offset = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC);
	int rc = timeout_ms == 0 ? ring_buffer__consume(m->rb) : ring_buffer__poll(m->rb, timeout_ms);
	m->fn = NULL;
	if (rc < 0 && rc != -EINTR)
		return polc_errf_sys(err, rc, "cannot read events");
	return rc == -EINTR ? rc : m->count;
}

void polc_monitor_close(struct polc_monitor *m)
{
	if (!m)
		return;
	ring_buffer__free(m->rb);
	polc_closep(&m->ring_fd);
	polc_closep(&m->lock_fd);
	for (int i = 0; i < TABLE_CACHE; i++)
		polc_tables_free(m->cache[i].t);
	free(m);
}

/* ---- formatting ---- */

struct out {
	char *buf;
	size_t size, len;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(o->len < o->size ? o->buf + o->len : NULL, o->len < o->size ? o->size - o->len : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len += (size_t)n;
}

static void put_json_str(struct out *o, const char *s)
{
	put(o, "\"");
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			put(o, "\\%c", *p);
		else if (*p < 0x20)
			put(o, "\\u%04x", *p);
		else
			put(o, "%c", *p);
	}
	put(o, "\"");
}

static void put_time(struct out *o, uint64_t ns, bool rfc3339)
{
	time_t s = (time_t)(ns / 1000000000ull);
	struct tm tm;
	gmtime_r(&s, &tm);
	char buf[64];
	if (rfc3339) {
		strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
		put(o, "%s.%09lluZ", buf, (unsigned long long)(ns % 1000000000ull));
	} else {
		strftime(buf, sizeof(buf), "%b %e %H:%M:%S", &tm);
		put(o, "%s.%06llu", buf, (unsigned long long)(ns % 1000000000ull / 1000));
	}
}

static void put_peer_json(struct out *o, const struct polc_flow_peer *p)
{
	put(o, "{\"identity\":%u", p->identity);
	if (p->namespace) {
		put(o, ",\"namespace\":");
		put_json_str(o, p->namespace);
		put(o, ",\"pod_name\":");
		put_json_str(o, p->pod_name);
	}
	if (p->labels) {
		put(o, ",\"labels\":[");
		const char *s = p->labels;
		for (bool first = true; *s; first = false) {
			const char *comma = strchr(s, ',');
			size_t len = comma ? (size_t)(comma - s) : strlen(s);
			char label[512];
			snprintf(label, sizeof(label), "%.*s", (int)(len < sizeof(label) ? len : sizeof(label) - 1), s);
			put(o, first ? "" : ",");
			put_json_str(o, label);
			s += len + (comma ? 1 : 0);
		}
		put(o, "]");
	}
	put(o, "}");
}

int polc_flow_json(const struct polc_flow *f, char *buf, size_t size)
{
	struct out o = { buf, size, 0 };
	if (size)
		buf[0] = '\0';
	put(&o, "{\"time\":\"");
	put_time(&o, f->time_ns, true);
	put(&o, "\",\"verdict\":\"%s\"", f->verdict);
	if (f->drop_reason_desc)
		put(&o, ",\"drop_reason_desc\":\"%s\"", f->drop_reason_desc);
	put(&o, ",\"traffic_direction\":\"%s\"", f->traffic_direction);
	put(&o, ",\"IP\":{\"source\":\"%s\",\"destination\":\"%s\",\"ipVersion\":\"IPv%u\"}", f->source.ip,
	    f->destination.ip, f->ip_version);
	if (f->l4_protocol) {
		if (strncmp(f->l4_protocol, "ICMP", 4) == 0)
			put(&o, ",\"l4\":{\"%s\":{\"type\":%u}}", f->l4_protocol, f->destination_port);
		else
			put(&o, ",\"l4\":{\"%s\":{\"source_port\":%u,\"destination_port\":%u}}", f->l4_protocol,
			    f->source_port, f->destination_port);
	}
	put(&o, ",\"source\":");
	put_peer_json(&o, &f->source);
	put(&o, ",\"destination\":");
	put_peer_json(&o, &f->destination);
	if (f->ifname) {
		put(&o, ",\"interface\":{\"name\":");
		put_json_str(&o, f->ifname);
		put(&o, "}");
	}
	put(&o, ",\"Type\":\"L3_L4\",\"event_type\":{\"type\":%d}", f->drop_reason_desc && strcmp(f->verdict, "DROPPED") == 0 ? 1 : 5);
	if (f->policy.rule != POLC_RULE_NONE) {
		put(&o, ",\"policy\":{\"rule_id\":%u", f->policy.rule);
		if (f->policy.name) {
			put(&o, ",\"name\":");
			put_json_str(&o, f->policy.name);
			put(&o, ",\"namespace\":");
			put_json_str(&o, f->policy.namespace);
			put(&o, ",\"kind\":");
			put_json_str(&o, f->policy.kind);
			put(&o, ",\"rule\":");
			put_json_str(&o, f->policy.path);
			put(&o, ",\"action\":\"%s\",\"direction\":\"%s\",\"mode\":\"%s\",\"file\":", f->policy.action,
			    f->policy.direction, f->policy.audit ? "audit" : "enforce");
			put_json_str(&o, f->policy.file);
			put(&o, ",\"line\":%u,\"column\":%u", f->policy.line, f->policy.column);
		}
		put(&o, "}");
		/* Hubble's own field for the same: egress_allowed_by, ingress_denied_by, ... */
		if (f->policy.name) {
			bool allowed = strcmp(f->verdict, "FORWARDED") == 0;
			put(&o, ",\"%s_%s_by\":[{\"name\":", strcmp(f->traffic_direction, "INGRESS") == 0 ? "ingress" : "egress",
			    allowed ? "allowed" : "denied");
			put_json_str(&o, f->policy.name);
			put(&o, ",\"namespace\":");
			put_json_str(&o, f->policy.namespace);
			put(&o, ",\"kind\":");
			put_json_str(&o, f->policy.kind);
			put(&o, ",\"revision\":%u}]", f->revision);
		}
	}
	put(&o, ",\"policy_revision\":%u,\"Summary\":\"%s %s\"}", f->revision, f->l4_protocol ? f->l4_protocol : "IP",
	    f->verdict);
	return (int)o.len;
}

static void put_end(struct out *o, const struct polc_flow_peer *p, uint16_t port, bool ports)
{
	if (p->namespace)
		put(o, "%s/%s", p->namespace, p->pod_name);
	else
		put(o, strchr(p->ip, ':') ? "[%s]" : "%s", p->ip);
	if (ports)
		put(o, ":%u", port);
	put(o, " (ID:%u)", p->identity);
}

int polc_flow_text(const struct polc_flow *f, char *buf, size_t size)
{
	struct out o = { buf, size, 0 };
	if (size)
		buf[0] = '\0';
	bool ports = f->l4_protocol && strncmp(f->l4_protocol, "ICMP", 4) != 0;
	put_time(&o, f->time_ns, false);
	put(&o, ": ");
	put_end(&o, &f->source, f->source_port, ports);
	put(&o, " -> ");
	put_end(&o, &f->destination, f->destination_port, ports);
	put(&o, " %s %s %s", f->traffic_direction, f->verdict, f->l4_protocol ? f->l4_protocol : "IP");
	if (f->l4_protocol && !ports)
		put(&o, " type %u", f->destination_port);
	if (f->drop_reason_desc)
		put(&o, " (%s)", f->drop_reason_desc);
	if (f->policy.rule != POLC_RULE_NONE && f->policy.name)
		put(&o, " by %s %s%s%s %s at %s:%u:%u%s", f->policy.kind, f->policy.namespace,
		    *f->policy.namespace ? "/" : "", f->policy.name, f->policy.path, f->policy.file, f->policy.line,
		    f->policy.column, f->policy.audit ? " (audit)" : "");
	else if (f->policy.rule != POLC_RULE_NONE)
		put(&o, " by rule %u", f->policy.rule);
	else if (strcmp(f->verdict, "FORWARDED") == 0)
		put(&o, " (no policy selects the endpoint)");
	return (int)o.len;
}
