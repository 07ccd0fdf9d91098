/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Test support: load entry + generation objects, fill maps, run packets (see runner.h). */
#include "runner.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

/* The maps every generation shares with the entry object (maps_shared.h). */
static const char *const shared_maps[] = {
	POLC_MAP_GEN_PROG, POLC_MAP_CT, POLC_MAP_FRAG, POLC_MAP_EVENTS, POLC_MAP_EV_BUDGET,
};

static int map_fd(struct bpf_object *obj, const char *name)
{
	struct bpf_map *map = bpf_object__find_map_by_name(obj, name);

	return map ? bpf_map__fd(map) : -ENOENT;
}

static int prog_fd(struct bpf_object *obj, const char *name)
{
	struct bpf_program *prog = bpf_object__find_program_by_name(obj, name);

	return prog ? bpf_program__fd(prog) : -ENOENT;
}

static struct bpf_object *open_embedded(const char *file, const char *object_name)
{
	const struct embedded_file *f = embedded_find(polc_test_objects, file);

	if (!f)
		f = embedded_find(polc_entry_objects, file);
	if (!f) {
		errno = ENOENT;
		return NULL;
	}
	LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = object_name);
	struct bpf_object *obj = bpf_object__open_mem(f->data, f->size, &opts);

	if (!obj && !errno)
		errno = EINVAL;
	return obj;
}

void gen_close(struct gen *g)
{
	bpf_object__close(g->obj);
	memset(g, 0, sizeof(*g));
	g->prog = -1;
}

/* Load an opened generation object with the runner's shared maps; takes obj. */
static int gen_load_obj(struct runner *r, struct bpf_object *obj, const struct polc_gen_state *state,
			struct gen *out)
{
	static const struct polc_gen_state zero_state;
	struct gen g = { .obj = obj };
	int err;

	for (size_t i = 0; i < sizeof(shared_maps) / sizeof(shared_maps[0]); i++) {
		struct bpf_map *map = bpf_object__find_map_by_name(g.obj, shared_maps[i]);

		err = map ? bpf_map__reuse_fd(map, map_fd(r->entry, shared_maps[i])) : -ENOENT;
		if (err)
			goto fail;
	}

	struct bpf_map *data = bpf_object__find_map_by_name(g.obj, ".data");

	if (!data) {
		err = -ENOENT;
		goto fail;
	}
	err = bpf_map__set_initial_value(data, state ? state : &zero_state, sizeof(*state));
	if (err)
		goto fail;
	err = bpf_object__load(g.obj);
	if (err)
		goto fail;

	g.prog = prog_fd(g.obj, "polc_gen");
	g.endpoints = map_fd(g.obj, POLC_MAP_ENDPOINTS);
	g.ipcache = map_fd(g.obj, POLC_MAP_IPCACHE);
	g.ports = map_fd(g.obj, POLC_MAP_PORTS);
	g.policy = map_fd(g.obj, POLC_MAP_POLICY);
	g.rule_stats = map_fd(g.obj, POLC_MAP_RULE_STATS);
	g.state = bpf_map__fd(data);
	if (g.prog < 0 || g.endpoints < 0 || g.ipcache < 0 || g.ports < 0 || g.policy < 0 || g.rule_stats < 0) {
		err = -ENOENT;
		goto fail;
	}
	*out = g;
	return 0;
fail:
	bpf_object__close(g.obj);
	return err;
}

int gen_load(struct runner *r, const char *gen_name, const struct polc_gen_state *state, struct gen *out)
{
	char file[64];

	snprintf(file, sizeof(file), "gen_%s.bpf.o", gen_name);

	struct bpf_object *obj = open_embedded(file, "polc_gen");

	return obj ? gen_load_obj(r, obj, state, out) : -errno;
}

int gen_load_file(struct runner *r, const char *path, const struct polc_gen_state *state, struct gen *out)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = "polc_gen");
	struct bpf_object *obj = bpf_object__open_file(path, &opts);

	return obj ? gen_load_obj(r, obj, state, out) : -errno;
}

int runner_install(struct runner *r, struct gen *g)
{
	__u32 slot = 0;
	int fd = g->prog;

	if (bpf_map_update_elem(r->gen_prog_map, &slot, &fd, BPF_ANY))
		return -errno;
	if (r->gen.obj)
		gen_close(&r->gen);
	r->gen = *g;
	memset(g, 0, sizeof(*g));
	return 0;
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct runner *r = ctx;

	if (size < sizeof(struct polc_event) || r->n_ev >= RUNNER_MAX_EVENTS)
		return 0;
	memcpy(&r->ev[r->n_ev++], data, sizeof(struct polc_event));
	return 0;
}

int runner_open(struct runner *r, const char *gen_name, const struct polc_gen_state *state)
{
	struct gen g;
	int err;

	memset(r, 0, sizeof(*r));
	r->entry = open_embedded("entry.bpf.o", "polc_entry");
	if (!r->entry)
		return -errno;
	err = bpf_object__load(r->entry);
	if (err)
		goto fail;
	r->from_pod = prog_fd(r->entry, "polc_from_pod");
	r->to_pod = prog_fd(r->entry, "polc_to_pod");
	r->gen_prog_map = map_fd(r->entry, POLC_MAP_GEN_PROG);
	r->ct = map_fd(r->entry, POLC_MAP_CT);
	r->frag = map_fd(r->entry, POLC_MAP_FRAG);
	r->events = map_fd(r->entry, POLC_MAP_EVENTS);
	r->ev_budget = map_fd(r->entry, POLC_MAP_EV_BUDGET);
	if (r->from_pod < 0 || r->to_pod < 0 || r->gen_prog_map < 0 || r->ct < 0 || r->frag < 0 || r->events < 0 ||
	    r->ev_budget < 0) {
		err = -ENOENT;
		goto fail;
	}
	r->rb = ring_buffer__new(r->events, on_event, r, NULL);
	if (!r->rb) {
		err = -errno;
		goto fail;
	}
	err = gen_load(r, gen_name, state, &g);
	if (err)
		goto fail;
	err = runner_install(r, &g);
	if (err) {
		gen_close(&g);
		goto fail;
	}
	return 0;
fail:
	runner_close(r);
	return err;
}

void runner_close(struct runner *r)
{
	ring_buffer__free(r->rb);
	if (r->gen.obj)
		gen_close(&r->gen);
	bpf_object__close(r->entry);
	memset(r, 0, sizeof(*r));
}

/* BPF_PROG_TEST_RUN of a tc program; cb[0] as given (the entry programs overwrite it). */
static int test_run(int fd, int ifindex, uint32_t cb0, const struct pkt *p, uint32_t repeat, int *verdict)
{
	struct __sk_buff ctx = { .ifindex = (__u32)ifindex, .cb = { cb0 } };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = p->data, .data_size_in = (__u32)p->len, .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = repeat);

	if (bpf_prog_test_run_opts(fd, &opts))
		return -errno;
	*verdict = (int)opts.retval;
	return 0;
}

int runner_run_repeat(struct runner *r, int ifindex, int dir, const struct pkt *p, uint32_t repeat, int *verdict)
{
	return test_run(dir == POLC_DIR_EGRESS ? r->from_pod : r->to_pod, ifindex, 0, p, repeat, verdict);
}

int gen_run(struct gen *g, int ifindex, uint32_t cb0, const struct pkt *p, int *verdict)
{
	return test_run(g->prog, ifindex, cb0, p, 1, verdict);
}

int runner_run(struct runner *r, int ifindex, int dir, const struct pkt *p, int *verdict)
{
	return runner_run_repeat(r, ifindex, dir, p, 1, verdict);
}

static int update(int fd, const void *key, const void *value)
{
	return bpf_map_update_elem(fd, key, value, BPF_ANY) ? -errno : 0;
}

int gen_endpoint(struct gen *g, int ifindex, uint32_t endpoint_id, uint32_t identity, uint32_t policy_ingress,
		 uint32_t policy_egress, uint32_t flags)
{
	struct polc_endpoint_key key = { .ifindex = (__u32)ifindex };
	struct polc_endpoint ep = {
		.endpoint_id = endpoint_id,
		.identity = identity,
		.policy = { policy_ingress, policy_egress },
		.flags = flags,
	};

	return update(g->endpoints, &key, &ep);
}

int gen_endpoint_del(struct gen *g, int ifindex)
{
	struct polc_endpoint_key key = { .ifindex = (__u32)ifindex };

	return bpf_map_delete_elem(g->endpoints, &key) ? -errno : 0;
}

int gen_ipcache(struct gen *g, const char *cidr, uint32_t identity, uint32_t cidr_class)
{
	char addr[64];
	const char *slash = strchr(cidr, '/');
	size_t n = slash ? (size_t)(slash - cidr) : strlen(cidr);

	if (n >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, cidr, n);
	addr[n] = 0;

	struct polc_ipcache_key key;

	memset(&key, 0, sizeof(key));

	int family = pkt_addr(addr, key.addr);

	if (family < 0)
		return family;

	int max = family == 4 ? 32 : 128;
	int plen = slash ? atoi(slash + 1) : max;

	if (plen < 0 || plen > max)
		return -EINVAL;
	for (int bit = plen; bit < 128; bit++)
		key.addr[bit / 8] &= (uint8_t)~(0x80 >> (bit % 8));
	key.family = (__u8)(family == 4 ? POLC_AF_INET : POLC_AF_INET6);
	key.prefixlen = (__u8)plen;

	struct polc_ipcache_value val = { .identity = identity, .cidr_class = cidr_class };

	return update(g->ipcache, &key, &val);
}

int gen_port_class(struct gen *g, int slot, uint16_t lo, uint16_t hi, uint16_t cls)
{
	for (uint32_t port = lo; port <= hi; port++) {
		__u32 index = (__u32)slot * POLC_PORT_SLOT_SIZE + port / 4;
		struct polc_port_classes pc;

		if (bpf_map_lookup_elem(g->ports, &index, &pc))
			return -errno;
		pc.cls[port % 4] = cls;

		int err = update(g->ports, &index, &pc);

		if (err)
			return err;
	}
	return 0;
}

static struct polc_policy_key policy_key(uint32_t policy, uint32_t peer, uint8_t proto, uint16_t port_class)
{
	struct polc_policy_key key;

	memset(&key, 0, sizeof(key));
	key.policy = policy;
	key.peer = peer;
	key.proto = proto;
	/* Tests name ports through classes; a class of 0 is the any-port entry. */
	key.port_kind = port_class ? POLC_PORT_RANGE : POLC_PORT_ANY;
	key.port = port_class;
	return key;
}

int gen_policy_exact(struct gen *g, uint32_t policy, uint32_t peer, uint8_t proto, uint16_t port, uint8_t action,
		     uint32_t rule)
{
	struct polc_policy_key key = policy_key(policy, peer, proto, 0);
	struct polc_policy_value val = { .rule = rule, .action = action };

	key.port_kind = POLC_PORT_EXACT;
	key.port = port;
	return update(g->policy, &key, &val);
}

int gen_policy(struct gen *g, uint32_t policy, uint32_t peer, uint8_t proto, uint16_t port_class, uint8_t action,
	       uint32_t rule)
{
	struct polc_policy_key key = policy_key(policy, peer, proto, port_class);
	struct polc_policy_value val = { .rule = rule, .action = action };

	return update(g->policy, &key, &val);
}

int gen_policy_del(struct gen *g, uint32_t policy, uint32_t peer, uint8_t proto, uint16_t port_class)
{
	struct polc_policy_key key = policy_key(policy, peer, proto, port_class);

	return bpf_map_delete_elem(g->policy, &key) ? -errno : 0;
}

int gen_state(struct gen *g, uint32_t revision, uint32_t flags)
{
	__u32 zero = 0;
	struct polc_gen_state state = { .revision = revision, .flags = flags };

	return update(g->state, &zero, &state);
}

int gen_rule_stats(struct gen *g, uint32_t rule, struct polc_rule_stats *out)
{
	int ncpus = libbpf_num_possible_cpus();

	if (ncpus <= 0)
		return ncpus ? ncpus : -EINVAL;

	struct polc_rule_stats *per_cpu = calloc((size_t)ncpus, sizeof(*per_cpu));

	if (!per_cpu)
		return -ENOMEM;

	int err = bpf_map_lookup_elem(g->rule_stats, &rule, per_cpu) ? -errno : 0;

	memset(out, 0, sizeof(*out));
	for (int i = 0; !err && i < ncpus; i++) {
		out->packets += per_cpu[i].packets;
		out->bytes += per_cpu[i].bytes;
	}
	free(per_cpu);
	return err;
}

int runner_events(struct runner *r)
{
	int n = ring_buffer__consume(r->rb);

	return n < 0 ? n : (int)r->n_ev;
}

void runner_events_clear(struct runner *r)
{
	ring_buffer__consume(r->rb);
	r->n_ev = 0;
}

int runner_ct_count(struct runner *r)
{
	struct polc_ct_key key, next;
	int n = 0;
	void *prev = NULL;

	while (bpf_map_get_next_key(r->ct, prev, &next) == 0) {
		key = next;
		prev = &key;
		n++;
	}
	return n;
}

/* The canonical key (conntrack.h): lower (address, port) end first. */
static int ct_key(int ifindex, const char *src, uint16_t sport, const char *dst, uint16_t dport, uint8_t proto,
		  struct polc_ct_key *key)
{
	uint8_t s[16], d[16];
	int family = pkt_addr(src, s);

	if (family < 0 || pkt_addr(dst, d) != family)
		return -EINVAL;

	int cmp = memcmp(s, d, 16);
	bool src_lo = cmp < 0 || (cmp == 0 && sport < dport);

	memset(key, 0, sizeof(*key));
	key->ifindex = (__u32)ifindex;
	key->family = (__u8)(family == 4 ? POLC_AF_INET : POLC_AF_INET6);
	key->proto = proto;
	memcpy(key->addr_lo, src_lo ? s : d, 16);
	memcpy(key->addr_hi, src_lo ? d : s, 16);
	key->port_lo = src_lo ? sport : dport;
	key->port_hi = src_lo ? dport : sport;
	return 0;
}

int runner_ct_get(struct runner *r, int ifindex, const char *src, uint16_t sport, const char *dst, uint16_t dport,
		  uint8_t proto, struct polc_ct_entry *out)
{
	struct polc_ct_key key;
	int err = ct_key(ifindex, src, sport, dst, dport, proto, &key);

	if (err)
		return err;
	return bpf_map_lookup_elem(r->ct, &key, out) ? -errno : 0;
}

int runner_ct_put(struct runner *r, int ifindex, const char *src, uint16_t sport, const char *dst, uint16_t dport,
		  uint8_t proto, const struct polc_ct_entry *e)
{
	struct polc_ct_key key;
	int err = ct_key(ifindex, src, sport, dst, dport, proto, &key);

	return err ? err : update(r->ct, &key, e);
}

uint32_t prog_verified_insns(int fd)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return 0;
	return info.verified_insns;
}

int gen_verify_file(const char *path, uint32_t *verified_insns)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);

	if (!obj)
		return -errno;

	int err = bpf_object__load(obj);

	if (!err) {
		int fd = prog_fd(obj, "polc_gen");

		if (fd < 0)
			err = fd;
		else
			*verified_insns = prog_verified_insns(fd);
	}
	bpf_object__close(obj);
	return err;
}
