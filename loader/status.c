/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * polc_datapath_status, polc_endpoints_list, polc_rules_list: what the
 * datapath holds and has counted, read without the pin dir's lock (a
 * reader never changes anything, and every object it reads is replaced
 * atomically: slot 0, the live state, map entries).
 */
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "loader/cleanup.h"
#include "loader/loader.h"

void polc_free(void *p)
{
	free(p);
}

/* The live generation and its state, found without recovering anything. */
struct view {
	struct polc_shared sh;
	struct polc_live live;
	struct polc_artifact *rec;
	struct polc_tables *tables;
};

static void view_release(struct view *v)
{
	polc_tables_free(v->tables);
	polc_artifact_free(v->rec);
	polc_live_release(&v->live);
	polc_shared_release(&v->sh);
}

/* 0 with v->live.prog_fd < 0 when nothing is loaded. */
static int view_open(const struct polc_datapath *dp, bool need_state, struct view *v, struct polc_error *err)
{
	memset(v, 0, sizeof(*v));
	polc_shared_init(&v->sh);
	v->live.prog_fd = -1;
	char path[PATH_MAX];
	if (polc_pin_path(path, sizeof(path), dp->pin_dir, "shared", POLC_MAP_GEN_PROG))
		return polc_errf(err, -ENAMETOOLONG, "%s: path too long", dp->pin_dir);
	v->sh.map_fd[POLC_SM_GEN_PROG] = bpf_obj_get(path);
	if (v->sh.map_fd[POLC_SM_GEN_PROG] < 0)
		return errno == ENOENT ? 0 : polc_errf_sys(err, -errno, "cannot open %s", path);
	int rc = polc_live_find(dp->pin_dir, &v->sh, false, &v->live, err);
	if (rc || v->live.prog_fd < 0)
		return rc;
	if (!v->live.name[0])
		return polc_errf(err, -ENOENT, "the live generation (program %u) is not pinned under %s",
				 v->live.prog_id, dp->pin_dir);
	rc = polc_record_read(v->live.dir, &v->rec, err);
	if (rc == -ENOENT && !need_state)
		return 0;
	if (rc == 0)
		rc = polc_tables_load(v->rec, &v->tables, err);
	return rc;
}

static int open_gen(const struct view *v, const char *name, struct bpf_map_info *info)
{
	char pinned[BPF_OBJ_NAME_LEN], path[PATH_MAX];
	polc_gen_pin_name(name, pinned, sizeof(pinned));
	if (polc_path(path, sizeof(path), "%s/%s", v->live.dir, pinned))
		return -ENAMETOOLONG;
	int fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	__u32 len = sizeof(*info);
	memset(info, 0, sizeof(*info));
	if (bpf_obj_get_info_by_fd(fd, info, &len)) {
		int rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}

static uint32_t count_keys(int fd, uint32_t key_size, uint32_t max)
{
	_cleanup_free_ uint8_t *a = malloc(key_size), *b = malloc(key_size);
	if (!a || !b)
		return 0;
	uint32_t n = 0;
	void *prev = NULL;
	while (n <= max && bpf_map_get_next_key(fd, prev, n % 2 ? a : b) == 0) {
		prev = n % 2 ? a : b;
		n++;
	}
	return n;
}

static void gen_map_counts(const struct view *v, const char *name, uint32_t *entries, uint32_t *max)
{
	struct bpf_map_info info;
	int fd = open_gen(v, name, &info);
	if (fd < 0)
		return;
	*max = info.max_entries;
	*entries = count_keys(fd, info.key_size, info.max_entries);
	close(fd);
}

int polc_datapath_status(struct polc_datapath *dp, struct polc_status *out, struct polc_error *err)
{
	if (err)
		memset(err, 0, sizeof(*err));
	if (!out || out->sz < sizeof(size_t))
		return polc_errf(err, -EINVAL, "polc_status: sz not set (use POLC_OPTS)");
	for (size_t i = sizeof(*out); i < out->sz; i++)
		if (((const uint8_t *)out)[i])
			return polc_errf(err, -EINVAL, "polc_status: unknown fields (libpolc is older than the caller)");
	struct polc_status st = { .sz = sizeof(st) };
	struct view v;
	int rc = view_open(dp, false, &v, err);
	if (rc)
		goto out;
	if (v.live.prog_fd < 0)
		goto done;
	st.loaded = 1;
	st.gen_prog_id = v.live.prog_id;
	st.artifact_revision = st.revision = v.live.revision;
	if (v.rec) {
		char buf[32] = "";
		uint64_t x = 0;
		polc_record_info_u64(v.rec, "revision", 16, &st.revision);
		polc_record_info_u64(v.rec, "base_revision", 16, &st.artifact_revision);
		if (polc_record_info_u64(v.rec, "changes", 10, &x) == 0)
			st.pods_changed = (uint32_t)x;
		st.pending = polc_record_info(v.rec, "pending", buf, sizeof(buf)) == 0;
		if (polc_record_info_u64(v.rec, "events", 10, &x) == 0)
			st.events = x == (POLC_GEN_F_EVENTS_DROP | POLC_GEN_F_EVENTS_ALLOW) ? POLC_EVENTS_ALL
				    : x == POLC_GEN_F_EVENTS_DROP				? POLC_EVENTS_DROPS
												: POLC_EVENTS_NONE;
		polc_artifact_info(v.rec, "polc_version", st.polc_version, sizeof(st.polc_version));
		st.identities = (uint32_t)v.tables->n_idents;
		st.rules = (uint32_t)v.tables->n_rules;
	}
	gen_map_counts(&v, POLC_MAP_ENDPOINTS, &st.endpoints, &st.endpoints_max);
	gen_map_counts(&v, POLC_MAP_IPCACHE, &st.ipcache_entries, &st.ipcache_max);
	gen_map_counts(&v, POLC_MAP_POLICY, &st.policy_entries, &st.policy_max);

	char path[PATH_MAX];
	if (polc_pin_path(path, sizeof(path), dp->pin_dir, "shared", POLC_MAP_CT) == 0) {
		_cleanup_close_ int fd = bpf_obj_get(path);
		struct bpf_map_info info = { 0 };
		__u32 len = sizeof(info);
		if (fd >= 0 && bpf_obj_get_info_by_fd(fd, &info, &len) == 0) {
			st.ct_max = info.max_entries;
			st.ct_entries = count_keys(fd, info.key_size, info.max_entries);
		}
	}
	if (polc_pin_path(path, sizeof(path), dp->pin_dir, "shared", POLC_MAP_EV_BUDGET) == 0) {
		_cleanup_close_ int fd = bpf_obj_get(path);
		int ncpu = libbpf_num_possible_cpus();
		_cleanup_free_ struct polc_ev_budget *b = ncpu > 0 ? calloc((size_t)ncpu, sizeof(*b)) : NULL;
		__u32 zero = 0;
		if (fd >= 0 && b && bpf_map_lookup_elem(fd, &zero, b) == 0) {
			for (int i = 0; i < ncpu; i++) {
				st.events_suppressed += b[i].suppressed;
				st.events_lost += b[i].lost;
			}
		}
	}
	{
		_cleanup_close_ int rec_fd = -1;
		_cleanup_free_ struct polc_attach_rec *recs = NULL;
		size_t n = 0;
		if (polc_attach_map_open(dp->pin_dir, false, &rec_fd, NULL) == 0 &&
		    polc_attach_list(rec_fd, &recs, &n, NULL) == 0 && n)
			st.attach_mode = (enum polc_attach_mode)POLC_ATTACH_MODE(recs[0].mode);
	}
done:
	if (out->sz) {
		size_t n = out->sz < sizeof(st) ? out->sz : sizeof(st);
		memcpy((uint8_t *)out + sizeof(size_t), (const uint8_t *)&st + sizeof(size_t), n - sizeof(size_t));
	}
out:
	view_release(&v);
	return rc;
}

static void addr_str(uint8_t family, const uint8_t *addr, char *buf, size_t size)
{
	if (!inet_ntop(family == 4 ? AF_INET : AF_INET6, addr, buf, (socklen_t)size))
		snprintf(buf, size, "?");
}

int polc_endpoints_list(struct polc_datapath *dp, struct polc_endpoint_info **out, size_t *n_out,
			struct polc_error *err)
{
	if (err)
		memset(err, 0, sizeof(*err));
	struct view v;
	int rc = view_open(dp, true, &v, err);
	if (rc) {
		view_release(&v);
		return rc;
	}
	size_t n = v.tables ? v.tables->n_eps : 0;
	struct polc_endpoint_info *list = calloc(n ? n : 1, sizeof(*list));
	if (!list) {
		view_release(&v);
		return polc_errf(err, -ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		const struct polc_ep_row *e = &v.tables->eps[i];
		struct polc_endpoint_info *o = &list[i];
		snprintf(o->namespace, sizeof(o->namespace), "%s", e->namespace);
		snprintf(o->name, sizeof(o->name), "%s", e->name);
		snprintf(o->ifname, sizeof(o->ifname), "%s", e->ifname);
		o->ifindex = if_nametoindex(e->ifname);
		o->endpoint_id = e->id;
		o->identity = e->identity;
		o->policy_ingress = e->policy[0];
		o->policy_egress = e->policy[1];
		o->flags = e->flags;
		const char *labels = polc_tables_labels(v.tables, e->identity);
		snprintf(o->labels, sizeof(o->labels), "%s", labels ? labels : "");
		for (size_t p = 0; p < v.tables->n_pods; p++) {
			const struct polc_pod_row *pod = &v.tables->pods[p];
			if (strcmp(pod->namespace, e->namespace) || strcmp(pod->name, e->name))
				continue;
			for (size_t a = 0; a < pod->n_addrs; a++)
				addr_str(pod->family[a], pod->addr[a], o->addrs[a], sizeof(o->addrs[a]));
		}
	}
	view_release(&v);
	*out = list;
	*n_out = n;
	return 0;
}

int polc_rules_list(struct polc_datapath *dp, struct polc_rule_info **out, size_t *n_out, struct polc_error *err)
{
	if (err)
		memset(err, 0, sizeof(*err));
	struct view v;
	int rc = view_open(dp, true, &v, err);
	if (rc) {
		view_release(&v);
		return rc;
	}
	size_t n = v.tables ? v.tables->n_rules : 0;
	struct polc_rule_info *list = calloc(n ? n : 1, sizeof(*list));
	int ncpu = libbpf_num_possible_cpus();
	struct polc_rule_stats *per_cpu = ncpu > 0 ? calloc((size_t)ncpu, sizeof(*per_cpu)) : NULL;
	struct bpf_map_info info;
	int fd = v.tables ? open_gen(&v, POLC_MAP_RULE_STATS, &info) : -1;
	if (!list || !per_cpu) {
		free(list);
		free(per_cpu);
		polc_closep(&fd);
		view_release(&v);
		return polc_errf(err, -ENOMEM, "out of memory");
	}
	bool percpu = fd >= 0 && info.type == BPF_MAP_TYPE_PERCPU_ARRAY;
	for (size_t i = 0; i < n; i++) {
		const struct polc_rule_row *r = &v.tables->rules[i];
		struct polc_rule_info *o = &list[i];
		o->id = r->id;
		snprintf(o->kind, sizeof(o->kind), "%s", r->kind);
		snprintf(o->namespace, sizeof(o->namespace), "%s", r->namespace);
		snprintf(o->name, sizeof(o->name), "%s", r->name);
		snprintf(o->direction, sizeof(o->direction), "%s", r->direction);
		snprintf(o->action, sizeof(o->action), "%s", r->action);
		snprintf(o->file, sizeof(o->file), "%s", r->file);
		snprintf(o->path, sizeof(o->path), "%s", r->path);
		o->line = r->line;
		o->column = r->column;
		o->audit = r->audit;
		__u32 key = r->id;
		if (fd >= 0 && bpf_map_lookup_elem(fd, &key, per_cpu) == 0) {
			for (int c = 0; c < (percpu ? ncpu : 1); c++) {
				o->packets += per_cpu[c].packets;
				o->bytes += per_cpu[c].bytes;
			}
		}
	}
	free(per_cpu);
	polc_closep(&fd);
	view_release(&v);
	*out = list;
	*n_out = n;
	return 0;
}
