/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * libpolc's endpoint operations (polc_endpoints_change, polc/libpolc.h):
 * pods created, deleted and relabelled on the live datapath, in place,
 * without a new generation and without clang.
 *
 *   1. lock the pin dir; find the live generation and its live state
 *   2. re-resolve (compiler/driver/reresolve.c): the state's sources
 *      through the front end and the passes with the pods changed, ids
 *      mapped onto the live ones; what the maps must hold, and a refusal
 *      when the compiled program cannot enforce it
 *   3. diff that against the kernel's maps (not against what we think
 *      they hold: a change a killed process left half done is finished
 *      by the next one), check the peak fits the compiled sizes
 *   4. write the new state, marked pending (a write-ahead record)
 *   5. apply: new and changed policy entries (nothing refers to them
 *      yet, or they only widen what both states allow), then ipcache
 *      entries, then endpoints; attach new interfaces (their endpoint
 *      entries exist by now), detach removed ones; delete stale
 *      endpoints, ipcache entries, policy entries; move the revision, so
 *      that conntrack entries of the old one are judged once more
 *   6. write the state again, no longer pending
 * Any failure in 5 is undone in reverse order and the old state written
 * back. A process killed in 5 leaves the pending state: the next change
 * reconciles the maps with it, and polc load of any artifact replaces the
 * generation (a pending state is never taken as "unchanged").
 *
 * Between the switch of a pod's ipcache entry and of its endpoint entry
 * (microseconds) a packet between two local pods may be judged by one
 * side's old and the other side's new view: never a drop of what both
 * states allow (each side's check passes in both); a connection opened
 * in that window that neither state allows is cut at its next packet,
 * when conntrack judges it again under the new revision.
 */
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "driver/reresolve.h"
#include "loader/cleanup.h"
#include "loader/loader.h"

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- pods as Kubernetes objects ---- */

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

static const char *proto_k8s(uint8_t p)
{
	return p == IPPROTO_UDP ? "UDP" : p == IPPROTO_SCTP ? "SCTP" : p == 0 || p == IPPROTO_TCP ? "TCP" : NULL;
}

/* A struct polc_pod as a v1 Pod: the front end then checks it as it checks any inventory. */
static int pod_to_json(const struct polc_pod *pod, char **out, size_t *len, struct polc_error *err)
{
	if (pod->sz < offsetof(struct polc_pod, host_network) + sizeof(pod->host_network)) {
		/* Older callers: their struct ends earlier; read only what they have. */
		if (pod->sz < offsetof(struct polc_pod, n_ports) + sizeof(pod->n_ports))
			return polc_errf(err, -EINVAL, "struct polc_pod: sz not set (use POLC_OPTS)");
	} else if (pod->sz > sizeof(*pod)) {
		for (size_t i = sizeof(*pod); i < pod->sz; i++)
			if (((const uint8_t *)pod)[i])
				return polc_errf(err, -EINVAL, "struct polc_pod: unknown fields (libpolc is older than the caller)");
	}
	if (!pod->name || !*pod->name)
		return polc_errf(err, -EINVAL, "a pod needs a name");
	for (size_t i = 0; i < pod->n_ports; i++)
		if (!proto_k8s(pod->ports[i].protocol))
			return polc_errf(err, -EINVAL, "pod %s: port %s: protocol %u is not TCP, UDP or SCTP", pod->name,
					 pod->ports[i].name ? pod->ports[i].name : "?", pod->ports[i].protocol);
	FILE *f = open_memstream(out, len);
	if (!f)
		return polc_errf(err, -ENOMEM, "out of memory");
	bool audit = pod->sz >= offsetof(struct polc_pod, audit) + sizeof(pod->audit) && pod->audit;
	bool host = pod->sz >= offsetof(struct polc_pod, host_network) + sizeof(pod->host_network) && pod->host_network;
	fputs("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":", f);
	json_str(f, pod->name);
	fputs(",\"namespace\":", f);
	json_str(f, pod->namespace ? pod->namespace : "default");
	fputs(",\"labels\":{", f);
	for (size_t i = 0; i < pod->n_labels; i++) {
		if (i)
			fputc(',', f);
		json_str(f, pod->labels[i].key);
		fputc(':', f);
		json_str(f, pod->labels[i].value);
	}
	fputs("},\"annotations\":{", f);
	if (pod->interface) {
		fputs("\"polc.io/interface\":", f);
		json_str(f, pod->interface);
	}
	if (audit)
		fprintf(f, "%s\"polc.io/audit\":\"true\"", pod->interface ? "," : "");
	fputs("}},\"spec\":{\"serviceAccountName\":", f);
	json_str(f, pod->service_account ? pod->service_account : "default");
	fprintf(f, ",\"hostNetwork\":%s,\"containers\":[{\"name\":\"c\",\"ports\":[", host ? "true" : "false");
	for (size_t i = 0; i < pod->n_ports; i++) {
		fputs(i ? ",{\"name\":" : "{\"name\":", f);
		json_str(f, pod->ports[i].name);
		fprintf(f, ",\"containerPort\":%u,\"protocol\":\"%s\"}", pod->ports[i].port, proto_k8s(pod->ports[i].protocol));
	}
	fputs("]}]},\"status\":{\"podIPs\":[", f);
	for (size_t i = 0; i < pod->n_ips; i++) {
		fputs(i ? ",{\"ip\":" : "{\"ip\":", f);
		json_str(f, pod->ips[i]);
		fputc('}', f);
	}
	fputs("]}}\n", f);
	if (fclose(f)) {
		free(*out);
		*out = NULL;
		return polc_errf(err, -ENOMEM, "out of memory");
	}
	return 0;
}

/* ---- the live maps and how they must change ---- */

enum map_role {
	ROLE_REFERENCED, /* policy entries (and any map the others point into): added first, removed last */
	ROLE_IPCACHE,
	ROLE_ENDPOINTS,
};

struct mapd {
	char name[BPF_OBJ_NAME_LEN];
	int fd;
	struct bpf_map_info info;
	enum map_role role;
	size_t pair;
	uint8_t *live; /* the kernel's entries, sorted */
	size_t n_live;
	uint8_t *want; /* what it must hold, sorted */
	size_t n_want;
	bool own_want;
	/* Indexes into want (add, chg) and live (chg_old, del). */
	size_t *add, n_add;
	size_t *chg, *chg_old, n_chg;
	size_t *del, n_del;
};

static int key_cmp(const void *a, const void *b, void *ks)
{
	return memcmp(a, b, *(const size_t *)ks);
}

static int read_live(struct mapd *m, struct polc_error *err)
{
	uint32_t ks = m->info.key_size, vs = m->info.value_size, max = m->info.max_entries;
	m->pair = (size_t)ks + vs;
	m->live = malloc((max ? max : 1) * m->pair);
	_cleanup_free_ uint8_t *keys = malloc((size_t)(max ? max : 1) * ks);
	_cleanup_free_ uint8_t *vals = malloc((size_t)(max ? max : 1) * vs);
	if (!m->live || !keys || !vals)
		return polc_errf(err, -ENOMEM, "out of memory");
	size_t n = 0;
	/* Batches where the kernel has them; the key walk otherwise. */
	uint8_t batch[64] = { 0 };
	bool first = true;
	for (;;) {
		__u32 count = max - (uint32_t)n;
		if (count == 0)
			break;
		LIBBPF_OPTS(bpf_map_batch_opts, bo);
		int rc = bpf_map_lookup_batch(m->fd, first ? NULL : batch, batch, keys + n * ks, vals + n * vs, &count, &bo);
		int e = rc ? errno : 0;
		n += count;
		first = false;
		if (rc && e == ENOENT)
			break;
		if (rc && (e == EINVAL || e == EOPNOTSUPP) && n == 0)
			goto walk;
		if (rc)
			return polc_errf_sys(err, -e, "cannot read map %s", m->name);
	}
	goto done;
walk:
	n = 0;
	for (uint8_t *prev = NULL; n < max; prev = keys + (n - 1) * ks) {
		if (bpf_map_get_next_key(m->fd, prev, keys + n * ks)) {
			if (errno == ENOENT)
				break;
			return polc_errf_sys(err, -errno, "cannot read map %s", m->name);
		}
		if (bpf_map_lookup_elem(m->fd, keys + n * ks, vals + n * vs)) {
			if (errno == ENOENT)
				continue; /* deleted under us: only the program writes none of these */
			return polc_errf_sys(err, -errno, "cannot read map %s", m->name);
		}
		n++;
	}
done:
	for (size_t i = 0; i < n; i++) {
		memcpy(m->live + i * m->pair, keys + i * ks, ks);
		memcpy(m->live + i * m->pair + ks, vals + i * vs, vs);
	}
	m->n_live = n;
	size_t kss = ks;
	qsort_r(m->live, n, m->pair, key_cmp, &kss);
	return 0;
}

static int diff(struct mapd *m, struct polc_error *err)
{
	size_t ks = m->info.key_size, vs = m->info.value_size;
	qsort_r(m->want, m->n_want, m->pair, key_cmp, &ks);
	size_t most = m->n_want + m->n_live + 1;
	m->add = calloc(most, sizeof(size_t));
	m->chg = calloc(most, sizeof(size_t));
	m->chg_old = calloc(most, sizeof(size_t));
	m->del = calloc(most, sizeof(size_t));
	if (!m->add || !m->chg || !m->chg_old || !m->del)
		return polc_errf(err, -ENOMEM, "out of memory");
	size_t i = 0, j = 0;
	while (i < m->n_want || j < m->n_live) {
		const uint8_t *w = i < m->n_want ? m->want + i * m->pair : NULL;
		const uint8_t *l = j < m->n_live ? m->live + j * m->pair : NULL;
		int c = !w ? 1 : !l ? -1 : memcmp(w, l, ks);
		if (c < 0) {
			m->add[m->n_add++] = i++;
		} else if (c > 0) {
			m->del[m->n_del++] = j++;
		} else {
			if (memcmp(w + ks, l + ks, vs) != 0) {
				m->chg[m->n_chg] = i;
				m->chg_old[m->n_chg++] = j;
			}
			i++, j++;
		}
	}
	return 0;
}

static void mapd_free(struct mapd *m)
{
	polc_closep(&m->fd);
	free(m->live);
	if (m->own_want)
		free(m->want);
	free(m->add);
	free(m->chg);
	free(m->chg_old);
	free(m->del);
}

/* ---- the operation ---- */

struct undo {
	struct mapd *m;
	const uint8_t *key;
	const uint8_t *old; /* NULL: the key was absent */
};

struct op {
	struct polc_datapath *dp;
	int lock_fd;
	struct polc_shared sh;
	int rec_fd;
	struct polc_attacher at;
	struct polc_live live;
	struct polc_artifact *rec;   /* the live state before */
	struct rr_result rr;
	struct polc_artifact *state; /* the live state after (and the map sections) */
	struct mapd *maps;
	size_t n_maps;
	struct polc_eps want_eps;
	struct polc_attach_rec *recs;
	size_t n_recs;
	enum polc_attach_mode mode;
	struct undo *log;
	size_t n_log;
	size_t n_log_upserts; /* log entries before the deletes */
	struct polc_attach_rec *attached; /* by this call, for rollback */
	size_t n_attached;
	struct polc_attach_rec *detached;
	size_t n_detached;
	struct polc_attach_rec *adopted; /* prepared interfaces that became endpoints: their old records */
	size_t n_adopted;
	char **texts; /* pod JSON made from struct polc_pod */
	size_t n_texts;
	bool state_written;
};

static void op_release(struct op *o)
{
	for (size_t i = 0; i < o->n_maps; i++)
		mapd_free(&o->maps[i]);
	free(o->maps);
	polc_eps_free(&o->want_eps);
	free(o->recs);
	free(o->log);
	free(o->attached);
	free(o->detached);
	free(o->adopted);
	for (size_t i = 0; i < o->n_texts; i++)
		free(o->texts[i]);
	free(o->texts);
	polc_artifact_free(o->state);
	rr_result_free(&o->rr);
	polc_artifact_free(o->rec);
	polc_live_release(&o->live);
	polc_closep(&o->rec_fd);
	polc_shared_release(&o->sh);
	polc_closep(&o->lock_fd);
}

/* The live state to pin: the new state without its map sections, pending or not. */
static int state_bytes(const struct polc_artifact *st, bool pending, void **out, size_t *size)
{
	struct polc_artifact_writer *w = polc_artifact_writer_new();
	if (!w)
		return -ENOMEM;
	int rc = 0;
	for (uint32_t i = 0; i < st->header->n_sections && !rc; i++) {
		const char *name = st->sections[i].name;
		if (strncmp(name, "map/", 4) == 0 || strcmp(name, "live/info") == 0)
			continue;
		size_t len;
		const void *data = polc_artifact_section(st, name, &len);
		rc = polc_artifact_add(w, name, data, len);
	}
	/* live/info without its pending line, then the one we mean. */
	size_t len = 0;
	const char *info = polc_artifact_section(st, "live/info", &len);
	char *buf = NULL;
	size_t blen = 0;
	FILE *f = rc ? NULL : open_memstream(&buf, &blen);
	if (!rc && !f)
		rc = -ENOMEM;
	for (const char *line = info, *end = info ? info + len : NULL; f && line && line < end;) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		const char *le = nl ? nl : end;
		if (!((size_t)(le - line) >= 8 && memcmp(line, "pending=", 8) == 0))
			fprintf(f, "%.*s\n", (int)(le - line), line);
		line = nl ? nl + 1 : end;
	}
	if (f) {
		if (pending)
			fputs("pending=1\n", f);
		if (fclose(f))
			rc = -ENOMEM;
	}
	if (!rc)
		rc = polc_artifact_add(w, "live/info", buf ? buf : "", blen);
	free(buf);
	if (!rc)
		rc = polc_artifact_serialize(w, out, size);
	polc_artifact_writer_free(w);
	return rc;
}

static int write_state(struct op *o, const struct polc_artifact *st, bool pending, struct polc_error *err)
{
	void *data = NULL;
	size_t size = 0;
	int rc = state_bytes(st, pending, &data, &size);
	if (rc)
		return polc_errf(err, rc, "cannot build the live state: %s", strerror(-rc));
	rc = polc_record_write(o->live.dir, data, size, err);
	free(data);
	return rc;
}

static int open_gen_map(struct op *o, const char *name, struct mapd *m, struct polc_error *err)
{
	char pinned[BPF_OBJ_NAME_LEN], path[PATH_MAX];
	polc_gen_pin_name(name, pinned, sizeof(pinned));
	snprintf(m->name, sizeof(m->name), "%s", name);
	m->fd = -1;
	if (polc_path(path, sizeof(path), "%s/%s", o->live.dir, pinned))
		return polc_errf(err, -ENAMETOOLONG, "%s: path too long", o->live.dir);
	m->fd = bpf_obj_get(path);
	if (m->fd < 0)
		return polc_errf_sys(err, -errno, "cannot open %s of the live generation", path);
	__u32 len = sizeof(m->info);
	if (bpf_obj_get_info_by_fd(m->fd, &m->info, &len))
		return polc_errf_sys(err, -errno, "cannot query %s", path);
	m->pair = (size_t)m->info.key_size + m->info.value_size;
	return 0;
}

static uint32_t map_max(struct op *o, const char *name)
{
	struct mapd m = { .fd = -1 };
	uint32_t max = open_gen_map(o, name, &m, NULL) == 0 ? m.info.max_entries : 0;
	polc_closep(&m.fd);
	return max;
}

static struct mapd *add_mapd(struct op *o)
{
	struct mapd *p = realloc(o->maps, (o->n_maps + 1) * sizeof(*p));
	if (!p)
		return NULL;
	o->maps = p;
	memset(&p[o->n_maps], 0, sizeof(*p));
	p[o->n_maps].fd = -1;
	return &p[o->n_maps++];
}

/* A map section of the new state: a hash map to diff, or an array that must not have changed. */
static int plan_section(struct op *o, const char *section, struct polc_error *err)
{
	const char *name = section + 4;
	struct polc_map_view v;
	int rc = polc_artifact_map_view(o->state, name, &v);
	if (rc)
		return polc_errf(err, -EPROTO, "re-resolution wrote a malformed %s", section);
	struct mapd *m = add_mapd(o);
	if (!m)
		return polc_errf(err, -ENOMEM, "out of memory");
	if ((rc = open_gen_map(o, name, m, err)))
		return rc;
	uint32_t type = m->info.type;
	if (type == BPF_MAP_TYPE_ARRAY || type == BPF_MAP_TYPE_PERCPU_ARRAY) {
		char key[64], want[32];
		size_t len;
		const void *data = polc_artifact_section(o->state, section, &len);
		snprintf(key, sizeof(key), "array.%s", name);
		snprintf(want, sizeof(want), "%016llx", (unsigned long long)polc_hash64(data, len, POLC_HASH_SEED));
		char have[32];
		if (polc_record_info(o->rec, key, have, sizeof(have)) || strcmp(have, want) != 0)
			return polc_errf(err, -EOPNOTSUPP,
					 "the change needs other contents in map %s than the live program was compiled "
					 "with: needs polc compile (with the new inventory) and polc load",
					 name);
		mapd_free(m);
		o->n_maps--;
		return 0;
	}
	if (v.key_size != m->info.key_size || v.value_size != m->info.value_size)
		return polc_errf(err, -EPROTO, "re-resolution wrote %s with key %u value %u, the live map has %u/%u",
				 section, v.key_size, v.value_size, m->info.key_size, m->info.value_size);
	m->role = strcmp(name, POLC_MAP_IPCACHE) == 0 ? ROLE_IPCACHE : ROLE_REFERENCED;
	m->want = (uint8_t *)v.entries;
	m->n_want = v.n_entries;
	return 0;
}

static const struct polc_attach_rec *rec_by_name(const struct op *o, const char *ifname)
{
	for (size_t i = 0; i < o->n_recs; i++)
		if (strncmp(o->recs[i].ifname, ifname, sizeof(o->recs[i].ifname)) == 0)
			return &o->recs[i];
	return NULL;
}

static const struct polc_attach_rec *rec_by_index(const struct op *o, uint32_t ifindex)
{
	for (size_t i = 0; i < o->n_recs; i++)
		if (o->recs[i].ifindex == ifindex)
			return &o->recs[i];
	return NULL;
}

/* The endpoints the new state lists, on this node's interfaces. */
static int plan_endpoints(struct op *o, struct polc_error *err)
{
	struct mapd *m = add_mapd(o);
	if (!m)
		return polc_errf(err, -ENOMEM, "out of memory");
	int rc = open_gen_map(o, POLC_MAP_ENDPOINTS, m, err);
	if (rc)
		return rc;
	m->role = ROLE_ENDPOINTS;
	if (m->info.key_size != sizeof(struct polc_endpoint_key) || m->info.value_size != sizeof(struct polc_endpoint))
		return polc_errf(err, -EPROTO, "the live %s has another layout", POLC_MAP_ENDPOINTS);
	size_t len;
	const char *text = polc_artifact_section(o->state, "meta/endpoints", &len);
	if ((rc = polc_eps_parse(text ? text : "", text ? len : 0, POLC_ENDPOINTS_LIMIT, &o->want_eps, err)))
		return rc;
	if (o->want_eps.n > m->info.max_entries)
		return polc_errf(err, -ENOSPC,
				 "the change leaves %zu local endpoints; the live program was compiled with room for %u: "
				 "needs polc compile (with the new inventory) and polc load",
				 o->want_eps.n, m->info.max_entries);
	if ((rc = polc_attach_list(o->rec_fd, &o->recs, &o->n_recs, err)))
		return rc;
	m->want = malloc((o->want_eps.n ? o->want_eps.n : 1) * m->pair);
	m->own_want = true;
	if (!m->want)
		return polc_errf(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < o->want_eps.n; i++) {
		struct polc_ep *ep = &o->want_eps.v[i];
		uint32_t idx = if_nametoindex(ep->ifname);
		if (!idx) {
			/* An interface gone with its pod not yet deleted: its entry stays as it is. */
			const struct polc_attach_rec *r = rec_by_name(o, ep->ifname);
			struct polc_endpoint_key k = { .ifindex = r ? r->ifindex : 0 };
			struct polc_endpoint v;
			if (!r || bpf_map_lookup_elem(m->fd, &k, &v))
				return polc_errf(err, -ENODEV, "interface %s of pod %s does not exist in this network "
							       "namespace",
						 ep->ifname, ep->pod);
			idx = r->ifindex;
		}
		ep->ifindex = idx;
		struct polc_endpoint_key key = { .ifindex = idx };
		memcpy(m->want + i * m->pair, &key, sizeof(key));
		memcpy(m->want + i * m->pair + sizeof(key), &ep->value, sizeof(ep->value));
	}
	m->n_want = o->want_eps.n;
	return 0;
}

static int do_update(struct op *o, struct mapd *m, const uint8_t *pair, const uint8_t *old, struct polc_error *err)
{
	if (bpf_map_update_elem(m->fd, pair, pair + m->info.key_size, BPF_ANY))
		return polc_errf_sys(err, -errno, "cannot update map %s", m->name);
	o->log[o->n_log++] = (struct undo){ m, pair, old };
	return 0;
}

static int do_delete(struct op *o, struct mapd *m, const uint8_t *pair, struct polc_error *err)
{
	if (bpf_map_delete_elem(m->fd, pair) && errno != ENOENT)
		return polc_errf_sys(err, -errno, "cannot delete from map %s", m->name);
	o->log[o->n_log++] = (struct undo){ m, pair, pair + m->info.key_size };
	return 0;
}

static int upserts(struct op *o, enum map_role role, struct polc_endpoints_result *r, struct polc_error *err)
{
	for (size_t i = 0; i < o->n_maps; i++) {
		struct mapd *m = &o->maps[i];
		if (m->role != role)
			continue;
		for (size_t k = 0; k < m->n_add; k++) {
			int rc = do_update(o, m, m->want + m->add[k] * m->pair, NULL, err);
			if (rc)
				return rc;
			r->entries_added++;
		}
		for (size_t k = 0; k < m->n_chg; k++) {
			int rc = do_update(o, m, m->want + m->chg[k] * m->pair,
					   m->live + m->chg_old[k] * m->pair + m->info.key_size, err);
			if (rc)
				return rc;
			r->entries_changed++;
		}
	}
	return 0;
}

static int deletes(struct op *o, enum map_role role, struct polc_endpoints_result *r, struct polc_error *err)
{
	for (size_t i = 0; i < o->n_maps; i++) {
		struct mapd *m = &o->maps[i];
		if (m->role != role)
			continue;
		for (size_t k = 0; k < m->n_del; k++) {
			int rc = do_delete(o, m, m->live + m->del[k] * m->pair, err);
			if (rc)
				return rc;
			r->entries_removed++;
		}
	}
	return 0;
}

static bool wanted_ifindex(const struct op *o, uint32_t ifindex)
{
	for (size_t i = 0; i < o->want_eps.n; i++)
		if (o->want_eps.v[i].ifindex == ifindex)
			return true;
	return false;
}

static int attach_new(struct op *o, struct polc_endpoints_result *r, struct polc_error *err)
{
	for (size_t i = 0; i < o->want_eps.n; i++) {
		const struct polc_ep *ep = &o->want_eps.v[i];
		const struct polc_attach_rec *rec = rec_by_index(o, ep->ifindex);
		if (rec && (rec->mode & POLC_ATTACH_F_PREPARED)) {
			/* Attached when it appeared: now an endpoint like any other (detached with its pod). */
			struct polc_attach_rec now = *rec;
			now.mode &= ~POLC_ATTACH_F_PREPARED;
			if (bpf_map_update_elem(o->rec_fd, &now.ifindex, &now, BPF_ANY))
				return polc_errf_sys(err, -errno, "cannot update the attachment record of %s", ep->ifname);
			o->adopted[o->n_adopted++] = *rec;
		}
		if (rec)
			continue;
		bool changed = false;
		int rc = polc_attach_iface(&o->at, ep->ifindex, ep->ifname, o->mode, &changed, err);
		struct polc_attach_rec mine = { .ifindex = ep->ifindex, .mode = (uint32_t)o->mode };
		snprintf(mine.ifname, sizeof(mine.ifname), "%s", ep->ifname);
		o->attached[o->n_attached++] = mine; /* even half attached: rollback detaches */
		if (rc) {
			polc_err_prefix(err, "pod %s", ep->pod);
			return rc;
		}
		r->attached++;
	}
	return 0;
}

static int detach_gone(struct op *o, struct polc_endpoints_result *r, struct polc_error *err)
{
	for (size_t i = 0; i < o->n_recs; i++) {
		if (wanted_ifindex(o, o->recs[i].ifindex) || polc_attach_keep_prepared(&o->recs[i]))
			continue;
		int rc = polc_detach_iface(&o->at, &o->recs[i], err);
		if (rc)
			return rc;
		o->detached[o->n_detached++] = o->recs[i];
		r->detached++;
	}
	return 0;
}

static int set_revision(struct op *o, uint64_t revision, struct polc_error *err)
{
	uint32_t rev = (uint32_t)revision;
	return polc_live_state_write(o->live.dir, o->rec, &rev, NULL, err);
}

static void undo_log(struct op *o, size_t down_to)
{
	for (; o->n_log > down_to; o->n_log--) {
		const struct undo *u = &o->log[o->n_log - 1];
		if (u->old)
			bpf_map_update_elem(u->m->fd, u->key, u->old, BPF_ANY);
		else
			bpf_map_delete_elem(u->m->fd, u->key);
	}
}

/* Everything apply did, undone in the reverse order. */
static void rollback(struct op *o, uint64_t old_revision)
{
	set_revision(o, old_revision, NULL);
	if (o->n_log > o->n_log_upserts)
		undo_log(o, o->n_log_upserts);
	for (size_t i = o->n_detached; i-- > 0;) {
		bool changed;
		polc_attach_iface_flags(&o->at, o->detached[i].ifindex, o->detached[i].ifname,
					(enum polc_attach_mode)POLC_ATTACH_MODE(o->detached[i].mode),
					o->detached[i].mode & ~0xffu, &changed, NULL);
	}
	for (size_t i = 0; i < o->n_adopted; i++)
		bpf_map_update_elem(o->rec_fd, &o->adopted[i].ifindex, &o->adopted[i], BPF_ANY);
	for (size_t i = o->n_attached; i-- > 0;)
		polc_detach_iface(&o->at, &o->attached[i], NULL);
	undo_log(o, 0);
	if (o->state_written)
		write_state(o, o->rec, false, NULL);
}

static int open_live(struct op *o, struct polc_error *err)
{
	struct polc_datapath *dp = o->dp;
	int rc = polc_lock_dir(dp->pin_dir, false, dp->lock_timeout_ms, &o->lock_fd, err);
	if (rc == -ENOENT)
		return polc_errf(err, -ENOENT, "no polc datapath at %s: polc load a policy first", dp->pin_dir);
	bool created = false;
	if (rc || (rc = polc_shared_open_pinned(dp->pin_dir, false, &o->sh, &created, err)) ||
	    (rc = polc_attach_map_open(dp->pin_dir, false, &o->rec_fd, err)) ||
	    (rc = polc_live_find(dp->pin_dir, &o->sh, true, &o->live, err)))
		return rc == -ENOENT ? polc_errf(err, -ENOENT, "no polc datapath at %s: polc load a policy first",
						 dp->pin_dir)
				     : rc;
	if (o->live.prog_fd < 0 || !o->live.name[0])
		return polc_errf(err, -ENOENT, "no policy is live at %s: polc load one first", dp->pin_dir);
	o->at = (struct polc_attacher){ .pin_dir = dp->pin_dir, .rec_fd = o->rec_fd, .sh = &o->sh };
	return polc_record_read(o->live.dir, &o->rec, err);
}

static int resolve(struct op *o, const struct polc_pod_change *changes, size_t n, struct polc_endpoints_result *r,
		   struct polc_error *err)
{
	struct rr_change *rc_changes = calloc(n ? n : 1, sizeof(*rc_changes));
	struct rr_label **labels = calloc(n ? n : 1, sizeof(*labels));
	o->texts = calloc(n ? n : 1, sizeof(*o->texts));
	int rc = 0;
	if (!rc_changes || !labels || !o->texts)
		rc = polc_errf(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n && !rc; i++) {
		const struct polc_pod_change *c = &changes[i];
		struct rr_change *x = &rc_changes[i];
		x->op = (enum rr_op)c->op;
		x->namespace = c->namespace ? c->namespace : "default";
		x->name = c->name;
		switch (c->op) {
		case POLC_POD_ADD:
		case POLC_POD_UPDATE:
		case POLC_POD_UPSERT:
			if (c->pod) {
				size_t len = 0;
				rc = pod_to_json(c->pod, &o->texts[o->n_texts], &len, err);
				if (rc)
					break;
				x->text = o->texts[o->n_texts++];
				x->len = len;
				x->text_name = "<struct polc_pod>";
			} else if (c->yaml) {
				x->text = c->yaml;
				x->len = c->yaml_len;
				x->text_name = c->yaml_name ? c->yaml_name : "<pods>";
			} else {
				rc = polc_errf(err, -EINVAL, "change %zu: neither a pod nor YAML", i + 1);
			}
			break;
		case POLC_POD_DELETE:
			break;
		case POLC_POD_RELABEL:
			labels[i] = calloc(c->n_labels ? c->n_labels : 1, sizeof(**labels));
			if (!labels[i]) {
				rc = polc_errf(err, -ENOMEM, "out of memory");
				break;
			}
			for (size_t k = 0; k < c->n_labels; k++)
				labels[i][k] = (struct rr_label){ c->labels[k].key, c->labels[k].value };
			x->labels = labels[i];
			x->n_labels = c->n_labels;
			break;
		default:
			rc = polc_errf(err, -EINVAL, "change %zu: unknown operation %d", i + 1, (int)c->op);
		}
	}
	if (!rc) {
		struct codegen_sizes sizes = {
			.endpoints = map_max(o, POLC_MAP_ENDPOINTS),
			.ipcache = map_max(o, POLC_MAP_IPCACHE),
			.policy = map_max(o, POLC_MAP_POLICY),
			.rules = map_max(o, POLC_MAP_RULE_STATS),
		};
		uint64_t t0 = now_ns();
		rc = reresolve(o->rec, rc_changes, n, &sizes, (struct rr_cache **)&o->dp->rr_cache, &o->rr);
		r->resolve_ns = now_ns() - t0;
		if (rc)
			rc = polc_errf(err, rc, "%s", o->rr.message ? o->rr.message : strerror(-rc));
	}
	for (size_t i = 0; labels && i < n; i++)
		free(labels[i]);
	free(labels);
	free(rc_changes);
	if (rc)
		return rc;
	char msg[256];
	rc = polc_artifact_parse(o->rr.state, o->rr.state_size, &o->state, msg, sizeof(msg));
	return rc ? polc_errf(err, -EPROTO, "re-resolution wrote a bad state: %s", msg) : 0;
}

static void write_result(struct polc_endpoints_result *out, const struct polc_endpoints_result *r)
{
	if (!out || out->sz < sizeof(size_t))
		return;
	size_t n = out->sz < sizeof(*r) ? out->sz : sizeof(*r);
	memcpy((uint8_t *)out + sizeof(size_t), (const uint8_t *)r + sizeof(size_t), n - sizeof(size_t));
}

int polc_endpoints_change(struct polc_datapath *dp, const struct polc_pod_change *changes, size_t n_changes,
			  struct polc_endpoints_result *result, struct polc_error *err)
{
	uint64_t t0 = now_ns();
	if (err)
		memset(err, 0, sizeof(*err));
	if (result && result->sz < sizeof(size_t))
		return polc_errf(err, -EINVAL, "polc_endpoints_result: sz not set (use POLC_OPTS)");
	if (result && result->sz > sizeof(*result))
		for (size_t i = sizeof(*result); i < result->sz; i++)
			if (((const uint8_t *)result)[i])
				return polc_errf(err, -EINVAL, "polc_endpoints_result: unknown fields");
	if (!polc_have_bpf_privileges())
		return polc_errf(err, -EPERM, "changing endpoints needs root, or CAP_BPF and CAP_NET_ADMIN");

	struct op o = { .dp = dp, .lock_fd = -1, .rec_fd = -1, .live = { .prog_fd = -1 } };
	polc_shared_init(&o.sh);
	struct polc_endpoints_result r = { .sz = sizeof(r) };
	uint64_t old_revision = 0;
	int rc = open_live(&o, err);
	if (rc)
		goto out;
	polc_record_info_u64(o.rec, "revision", 16, &old_revision);
	r.prev_revision = old_revision;
	if ((rc = resolve(&o, changes, n_changes, &r, err)))
		goto out;
	r.revision = o.rr.revision;
	r.pods_changed = o.rr.pods_changed;
	r.identities_added = o.rr.identities_added;
	r.identities_removed = o.rr.identities_removed;

	/* What the kernel must change, and whether the compiled maps have room for it. */
	for (uint32_t i = 0; i < o.state->header->n_sections && !rc; i++)
		if (strncmp(o.state->sections[i].name, "map/", 4) == 0)
			rc = plan_section(&o, o.state->sections[i].name, err);
	if (rc || (rc = plan_endpoints(&o, err)))
		goto out;
	size_t total = 0;
	for (size_t i = 0; i < o.n_maps; i++) {
		struct mapd *m = &o.maps[i];
		if ((rc = read_live(m, err)) || (rc = diff(m, err)))
			goto out;
		if (m->n_live + m->n_add > m->info.max_entries) {
			rc = polc_errf(err, -ENOSPC,
				       "map %s would need %zu entries (%zu now, %zu new) but the live program was compiled "
				       "with room for %u: needs polc compile (with the new inventory) and polc load",
				       m->name, m->n_live + m->n_add, m->n_live, m->n_add, m->info.max_entries);
			goto out;
		}
		total += m->n_add + m->n_chg + m->n_del;
	}
	r.endpoints = (uint32_t)o.want_eps.n;
	o.log = calloc(total + 1, sizeof(*o.log));
	o.attached = calloc(o.want_eps.n + 1, sizeof(*o.attached));
	o.detached = calloc(o.n_recs + 1, sizeof(*o.detached));
	o.adopted = calloc(o.want_eps.n + 1, sizeof(*o.adopted));
	if (!o.log || !o.attached || !o.detached || !o.adopted) {
		rc = polc_errf(err, -ENOMEM, "out of memory");
		goto out;
	}
	if (o.want_eps.n && (rc = polc_choose_mode(dp, o.rec_fd, o.want_eps.v[0].ifindex, &o.mode, err)))
		goto out;

	/* Nothing to do in the kernel and nothing new to say: leave the state as it is. */
	bool same_state = o.rr.revision == old_revision && total == 0 && !o.rr.pods_changed;
	char pending[8];
	bool was_pending = polc_record_info(o.rec, "pending", pending, sizeof(pending)) == 0;
	if (!same_state || was_pending) {
		if ((rc = write_state(&o, o.state, true, err)))
			goto out;
		o.state_written = true;
		o.n_log_upserts = SIZE_MAX;
		if ((rc = upserts(&o, ROLE_REFERENCED, &r, err)) || (rc = upserts(&o, ROLE_IPCACHE, &r, err)) ||
		    (rc = upserts(&o, ROLE_ENDPOINTS, &r, err)) || (o.n_log_upserts = o.n_log, false) ||
		    (rc = attach_new(&o, &r, err)) ||
		    (rc = detach_gone(&o, &r, err)) || (rc = deletes(&o, ROLE_ENDPOINTS, &r, err)) ||
		    (rc = deletes(&o, ROLE_IPCACHE, &r, err)) || (rc = deletes(&o, ROLE_REFERENCED, &r, err)) ||
		    (rc = set_revision(&o, o.rr.revision, err)) || (rc = write_state(&o, o.state, false, err))) {
			rollback(&o, old_revision);
			goto out;
		}
	}
	r.total_ns = now_ns() - t0;
	write_result(result, &r);
out:
	op_release(&o);
	return rc;
}

/* ---- one change each ---- */

int polc_endpoint_add(struct polc_datapath *dp, const struct polc_pod *pod, struct polc_endpoints_result *result,
		      struct polc_error *err)
{
	struct polc_pod_change c = { .op = POLC_POD_ADD, .pod = pod };
	return polc_endpoints_change(dp, &c, 1, result, err);
}

int polc_endpoint_update(struct polc_datapath *dp, const struct polc_pod *pod, struct polc_endpoints_result *result,
			 struct polc_error *err)
{
	struct polc_pod_change c = { .op = POLC_POD_UPDATE, .pod = pod };
	return polc_endpoints_change(dp, &c, 1, result, err);
}

int polc_endpoint_delete(struct polc_datapath *dp, const char *namespace, const char *name,
			 struct polc_endpoints_result *result, struct polc_error *err)
{
	struct polc_pod_change c = { .op = POLC_POD_DELETE, .namespace = namespace, .name = name };
	return polc_endpoints_change(dp, &c, 1, result, err);
}

int polc_endpoint_relabel(struct polc_datapath *dp, const char *namespace, const char *name,
			  const struct polc_label *labels, size_t n_labels, struct polc_endpoints_result *result,
			  struct polc_error *err)
{
	struct polc_pod_change c = {
		.op = POLC_POD_RELABEL, .namespace = namespace, .name = name, .labels = labels, .n_labels = n_labels
	};
	return polc_endpoints_change(dp, &c, 1, result, err);
}

/* ---- interfaces attached ahead of their pods ---- */

int polc_interface_prepare(struct polc_datapath *dp, const char *ifname, struct polc_error *err)
{
	if (err)
		memset(err, 0, sizeof(*err));
	if (!polc_have_bpf_privileges())
		return polc_errf(err, -EPERM, "attaching needs root, or CAP_BPF and CAP_NET_ADMIN");
	uint32_t ifindex = ifname ? if_nametoindex(ifname) : 0;
	if (!ifindex)
		return polc_errf(err, -ENODEV, "interface %s does not exist in this network namespace",
				 ifname ? ifname : "(none)");
	struct op o = { .dp = dp, .lock_fd = -1, .rec_fd = -1, .live = { .prog_fd = -1 } };
	polc_shared_init(&o.sh);
	int rc = open_live(&o, err);
	if (rc == 0) {
		/* An endpoint's interface is attached already: nothing to prepare. */
		struct polc_attach_rec rec;
		if (bpf_map_lookup_elem(o.rec_fd, &ifindex, &rec) == 0 && !(rec.mode & POLC_ATTACH_F_PREPARED) &&
		    strncmp(rec.ifname, ifname, sizeof(rec.ifname)) == 0)
			goto out;
		enum polc_attach_mode mode = POLC_ATTACH_AUTO;
		bool changed;
		if ((rc = polc_choose_mode(dp, o.rec_fd, ifindex, &mode, err)))
			goto out;
		rc = polc_attach_iface_flags(&o.at, ifindex, ifname, mode, POLC_ATTACH_F_PREPARED, &changed, err);
		if (rc) {
			struct polc_attach_rec undo = { .ifindex = ifindex, .mode = (uint32_t)mode };
			snprintf(undo.ifname, sizeof(undo.ifname), "%s", ifname);
			polc_detach_iface(&o.at, &undo, NULL);
		}
	}
out:
	op_release(&o);
	return rc;
}
