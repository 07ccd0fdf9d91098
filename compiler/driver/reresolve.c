/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Re-resolution of a live datapath (reresolve.h): the artifact's inputs
 * through the front end again, the pods changed, the passes, ids mapped
 * onto the live ones, tables written by codegen without clang. One arena
 * per call, freed at the end; what the caller gets is malloc'd.
 */
#include "reresolve.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../frontend/frontend.h"
#include "../ir/datapath.h"
#include "../util/hashmap.h"
#include "../util/strbuf.h"
#include "../util/strmap.h"
#include "driver.h"

/* The name the live pods are parsed under: diagnostics about them say it. */
#define LIVE_PODS_NAME "<live pods>"

struct rr {
	struct arena *arena;
	struct source_set sources;
	struct diag_sink diags;
	const struct polc_artifact *state;
	struct strbuf msg; /* a refusal's reason, when there are no diagnostics */
};

/*
 * The artifact's inputs through the front end, kept between calls by a
 * caller that makes many (a node agent's datapath handle): parsing the
 * policies and the inventory again is most of a re-resolution's time.
 * Nothing later writes into it: each call copies the vectors it changes
 * (policies are sorted, namespaces added, pods merged) into its own arena.
 */
struct rr_cache {
	uint64_t base_revision;
	struct arena *arena;
	struct source_set sources;
	struct diag_sink diags;
	struct ir_program prog; /* front end output, not finished */
};

void rr_cache_free(struct rr_cache *c)
{
	if (!c)
		return;
	arena_free(c->arena);
	free(c);
}

/* ---- text sections: tab-separated lines, read with polc_meta_parse ---- */

struct row {
	char *f[8];
	size_t n;
};

struct row_sink {
	struct arena *arena;
	struct row *rows;
	size_t n, cap;
};

/* Keep a copy of the row's first 8 fields in the arena. */
static int keep_row(const struct polc_meta_row *mr, void *ctx)
{
	struct row_sink *s = ctx;
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 16;
		struct row *rows = arena_realloc(s->arena, s->rows, s->cap * sizeof(*rows), cap * sizeof(*rows));
		if (!rows)
			return -ENOMEM;
		s->rows = rows;
		s->cap = cap;
	}
	struct row *r = &s->rows[s->n++];
	memset(r, 0, sizeof(*r));
	for (size_t i = 0; i < mr->n && i < 8; i++)
		if (!(r->f[r->n++] = arena_strdup(s->arena, mr->field[i])))
			return -ENOMEM;
	return 0;
}

/* Split a section into rows of at most 8 unescaped fields. */
static int split_rows(struct arena *a, const char *text, size_t len, struct row **out, size_t *n_out)
{
	struct row_sink s = {.arena = a};
	int err = polc_meta_parse(text, len, keep_row, &s);
	if (err)
		return err;
	*out = s.rows;
	*n_out = s.n;
	return 0;
}

static const char *section_text(const struct polc_artifact *a, const char *name, size_t *len)
{
	const char *s = polc_artifact_section(a, name, len);
	if (!s)
		*len = 0;
	return s ? s : "";
}

static bool parse_u32(const char *s, uint32_t *out)
{
	char *end;
	if (!s || !*s)
		return false;
	unsigned long long v = strtoull(s, &end, 10);
	if (*end || v > UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}

/* ---- live/info ---- */

struct kv {
	const char *key;
	const char *value;
};

struct info {
	struct kv v[64];
	size_t n;
};

static int info_parse(struct arena *a, const char *text, size_t len, struct info *out)
{
	memset(out, 0, sizeof(*out));
	const char *end = text + len;
	for (const char *line = text; line < end;) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		const char *le = nl ? nl : end;
		const char *eq = memchr(line, '=', (size_t)(le - line));
		if (eq && out->n < 64) {
			out->v[out->n].key = arena_strndup(a, line, (size_t)(eq - line));
			out->v[out->n].value = arena_strndup(a, eq + 1, (size_t)(le - eq - 1));
			if (!out->v[out->n].key || !out->v[out->n].value)
				return -ENOMEM;
			out->n++;
		}
		line = nl ? nl + 1 : end;
	}
	return 0;
}

static const char *info_get(const struct info *in, const char *key)
{
	for (size_t i = 0; i < in->n; i++)
		if (strcmp(in->v[i].key, key) == 0)
			return in->v[i].value;
	return NULL;
}

static int info_set(struct arena *a, struct info *in, const char *key, const char *value)
{
	for (size_t i = 0; i < in->n; i++) {
		if (strcmp(in->v[i].key, key) == 0) {
			in->v[i].value = value;
			return 0;
		}
	}
	if (in->n == 64)
		return -E2BIG;
	in->v[in->n].key = arena_strdup(a, key);
	in->v[in->n++].value = value;
	return in->v[in->n - 1].key ? 0 : -ENOMEM;
}

static int info_set_u64(struct arena *a, struct info *in, const char *key, uint64_t v, bool hex)
{
	char *s = hex ? arena_printf(a, "%016" PRIx64, v) : arena_printf(a, "%" PRIu64, v);
	return s ? info_set(a, in, key, s) : -ENOMEM;
}

static void info_write(const struct info *in, struct strbuf *sb)
{
	for (size_t i = 0; i < in->n; i++)
		strbuf_printf(sb, "%s=%s\n", in->v[i].key, in->v[i].value);
}

static bool parse_hex64(const char *s, uint64_t *out)
{
	char *end;
	if (!s || strlen(s) != 16)
		return false;
	*out = strtoull(s, &end, 16);
	return *end == '\0';
}

/* ---- pods as canonical JSON (live/pods) ---- */

static const char *proto_k8s(uint8_t proto)
{
	switch (proto) {
	case IR_PROTO_UDP:
		return "UDP";
	case IR_PROTO_SCTP:
		return "SCTP";
	default:
		return "TCP";
	}
}

static int label_ptr_cmp(const void *a, const void *b)
{
	return strcmp((*(const struct ir_label *const *)a)->key, (*(const struct ir_label *const *)b)->key);
}

/* One pod as a v1 Pod object with exactly the fields polc reads, keys in a fixed order. */
static void pod_json(struct strbuf *sb, const struct ir_pod *pod)
{
	strbuf_puts(sb, "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":");
	strbuf_json_string(sb, pod->name);
	strbuf_puts(sb, ",\"namespace\":");
	strbuf_json_string(sb, pod->namespace);
	if (pod->labels.len) {
		const struct ir_label **sorted = malloc(pod->labels.len * sizeof(*sorted));
		if (!sorted) {
			sb->failed = true;
			return;
		}
		for (size_t i = 0; i < pod->labels.len; i++)
			sorted[i] = &pod->labels.items[i];
		qsort(sorted, pod->labels.len, sizeof(sorted[0]), label_ptr_cmp);
		strbuf_puts(sb, ",\"labels\":{");
		for (size_t i = 0; i < pod->labels.len; i++) {
			strbuf_puts(sb, i ? "," : "");
			strbuf_json_string(sb, sorted[i]->key);
			strbuf_putc(sb, ':');
			strbuf_json_string(sb, sorted[i]->value);
		}
		strbuf_putc(sb, '}');
		free(sorted);
	}
	if (pod->interface || pod->audit) {
		strbuf_puts(sb, ",\"annotations\":{");
		if (pod->audit)
			strbuf_printf(sb, "\"polc.io/audit\":\"true\"%s", pod->interface ? "," : "");
		if (pod->interface) {
			strbuf_puts(sb, "\"polc.io/interface\":");
			strbuf_json_string(sb, pod->interface);
		}
		strbuf_putc(sb, '}');
	}
	strbuf_puts(sb, "},\"spec\":{");
	bool comma = false;
	if (pod->service_account) {
		strbuf_puts(sb, "\"serviceAccountName\":");
		strbuf_json_string(sb, pod->service_account);
		comma = true;
	}
	if (pod->host_network) {
		strbuf_printf(sb, "%s\"hostNetwork\":true", comma ? "," : "");
		comma = true;
	}
	if (pod->n_ports) {
		strbuf_printf(sb, "%s\"containers\":[{\"name\":\"c\",\"ports\":[", comma ? "," : "");
		for (size_t i = 0; i < pod->n_ports; i++) {
			strbuf_puts(sb, i ? ",{\"name\":" : "{\"name\":");
			strbuf_json_string(sb, pod->ports[i].name);
			strbuf_printf(sb, ",\"containerPort\":%u,\"protocol\":\"%s\"}", pod->ports[i].port,
				      proto_k8s(pod->ports[i].proto));
		}
		strbuf_puts(sb, "]}]");
	}
	strbuf_puts(sb, "},\"status\":{");
	if (pod->n_addrs) {
		strbuf_puts(sb, "\"podIPs\":[");
		for (size_t i = 0; i < pod->n_addrs; i++) {
			char buf[64];
			ir_cidr_str(&pod->addrs[i], buf, sizeof(buf));
			char *slash = strchr(buf, '/');
			if (slash)
				*slash = '\0';
			strbuf_printf(sb, "%s{\"ip\":\"%s\"}", i ? "," : "", buf);
		}
		strbuf_putc(sb, ']');
	}
	strbuf_puts(sb, "}}");
}

/* ---- the inventory: base pods, live pods, changes ---- */

struct pod_slot {
	const struct ir_pod *pod; /* NULL: deleted */
	const struct ir_pod *base; /* the artifact's pod of that name, if any */
	bool touched;
};

static char *pod_key(struct arena *a, const char *ns, const char *name)
{
	return arena_printf(a, "%s/%s", ns, name);
}

/* Parse Pod objects from a buffer with a front end of their own (nothing but pods allowed). */
static int load_pods(struct rr *r, const char *name, const char *text, size_t len, struct ir_program *out)
{
	int id = source_add_buffer(&r->sources, name, text, len);
	if (id < 0)
		return id;
	if (ir_program_init(out, r->arena))
		return -ENOMEM;
	struct frontend fe;
	struct frontend_options fo = {.mode = FRONTEND_COMPILE};
	int err = frontend_init(&fe, out, &r->diags, &r->sources, &fo);
	if (!err)
		err = frontend_load_file(&fe, (uint32_t)id);
	if (err)
		return err;
	if (out->policies.len || out->namespaces.len || out->nodes.len) {
		struct src_loc at = {.file = (uint32_t)id, .line = 1, .col = 1};
		diag_error(&r->diags, at, NULL,
			   "not-a-pod", "endpoint changes take v1 Pod objects; policies need polc compile",
			   "%s holds objects other than Pods", name);
		return -EINVAL;
	}
	return 0;
}

struct inventory {
	struct strmap by_name; /* "ns/name" -> struct pod_slot */
	VEC(const char *) order; /* keys, in order of first appearance */
};

static struct pod_slot *inv_slot(struct rr *r, struct inventory *inv, const char *ns, const char *name, bool create)
{
	char *key = pod_key(r->arena, ns, name);
	if (!key)
		return NULL;
	struct pod_slot *s = strmap_get(&inv->by_name, key, strlen(key));
	if (s || !create)
		return s;
	s = arena_calloc(r->arena, 1, sizeof(*s));
	if (!s || strmap_set(&inv->by_name, key, strlen(key), s) || vec_push(r->arena, &inv->order, key))
		return NULL;
	return s;
}

static bool pods_equal(struct arena *a, const struct ir_pod *x, const struct ir_pod *y)
{
	(void)a;
	struct strbuf sx = STRBUF_INIT, sy = STRBUF_INIT;
	pod_json(&sx, x);
	pod_json(&sy, y);
	bool eq = !strbuf_error(&sx) && !strbuf_error(&sy) && sx.len == sy.len && memcmp(sx.data, sy.data, sx.len) == 0;
	strbuf_free(&sx);
	strbuf_free(&sy);
	return eq;
}

static int refuse(struct rr *r, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int refuse(struct rr *r, int rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	strbuf_vprintf(&r->msg, fmt, ap);
	va_end(ap);
	return rc;
}

static int apply_pods(struct rr *r, struct inventory *inv, const struct rr_change *c, const struct ir_program *p,
		      uint32_t *changed)
{
	for (size_t i = 0; i < p->pods.len; i++) {
		const struct ir_pod *pod = &p->pods.items[i];
		struct pod_slot *s = inv_slot(r, inv, pod->namespace, pod->name, true);
		if (!s)
			return -ENOMEM;
		if (c->op == RR_ADD && s->pod)
			return refuse(r, -EEXIST, "pod %s/%s exists already (update it, or delete it first)",
				      pod->namespace, pod->name);
		if (c->op == RR_UPDATE && !s->pod)
			return refuse(r, -ENOENT, "no pod %s/%s to update", pod->namespace, pod->name);
		s->pod = pod;
		s->touched = true;
		(*changed)++;
	}
	return 0;
}

/* A pod to relabel, as JSON with its new labels: the front end then checks them as it checks any pod. */
static int relabel_text(struct rr *r, const struct ir_pod *cur, const struct rr_change *c, struct strbuf *sb)
{
	struct ir_pod pod = *cur;
	memset(&pod.labels, 0, sizeof(pod.labels));
	for (size_t i = 0; i < c->n_labels; i++) {
		const char *k = arena_strdup(r->arena, c->labels[i].key ? c->labels[i].key : "");
		const char *v = arena_strdup(r->arena, c->labels[i].value ? c->labels[i].value : "");
		if (!k || !v || ir_labels_set(r->arena, &pod.labels, k, v))
			return -ENOMEM;
	}
	strbuf_puts(sb, "{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":[");
	pod_json(sb, &pod);
	strbuf_puts(sb, "]}\n");
	return strbuf_error(sb);
}

static int apply_change(struct rr *r, struct inventory *inv, const struct rr_change *c, size_t index,
			uint32_t *changed)
{
	if (c->op == RR_DELETE || c->op == RR_RELABEL) {
		if (!c->namespace || !c->name)
			return refuse(r, -EINVAL, "change %zu: a namespace and a name are needed", index + 1);
		struct pod_slot *s = inv_slot(r, inv, c->namespace, c->name, false);
		if (!s || !s->pod)
			return refuse(r, -ENOENT, "no pod %s/%s", c->namespace, c->name);
		if (c->op == RR_DELETE) {
			s->pod = NULL;
			s->touched = true;
			(*changed)++;
			return 0;
		}
		struct strbuf sb = STRBUF_INIT;
		int err = relabel_text(r, s->pod, c, &sb);
		struct ir_program p;
		char *name = arena_printf(r->arena, "<labels of pod %s/%s>", c->namespace, c->name);
		if (!err && !name)
			err = -ENOMEM;
		if (!err)
			err = load_pods(r, name, sb.data, sb.len, &p);
		strbuf_free(&sb);
		if (!err) {
			struct rr_change upd = {.op = RR_UPDATE};
			err = apply_pods(r, inv, &upd, &p, changed);
		}
		return err;
	}
	if (c->op != RR_ADD && c->op != RR_UPDATE && c->op != RR_UPSERT)
		return refuse(r, -EINVAL, "change %zu: unknown operation %d", index + 1, (int)c->op);
	if (!c->text)
		return refuse(r, -EINVAL, "change %zu: no pod given", index + 1);
	struct ir_program p;
	int err = load_pods(r, c->text_name ? c->text_name : "<pods>", c->text, c->len, &p);
	if (err)
		return err;
	if (p.pods.len == 0)
		return refuse(r, -EINVAL, "%s holds no Pod", c->text_name ? c->text_name : "the change");
	return apply_pods(r, inv, c, &p, changed);
}

/* Two pods cannot own one address or one interface: the front end checks it per file, we for the merge. */
static int check_claims(struct rr *r, const struct ir_program *prog)
{
	struct strmap addrs, ifaces;
	strmap_init(&addrs, r->arena);
	strmap_init(&ifaces, r->arena);
	int ret = 0;
	for (size_t i = 0; i < prog->pods.len; i++) {
		const struct ir_pod *pod = &prog->pods.items[i];
		void *prev = NULL;
		for (size_t a = 0; a < pod->n_addrs && !pod->host_network; a++) {
			int rc = strmap_add(&addrs, (const char *)&pod->addrs[a], sizeof(pod->addrs[a]), (void *)pod, &prev);
			if (rc < 0)
				return rc;
			if (rc == 0) {
				const struct ir_pod *o = prev;
				char buf[64];
				ir_cidr_str(&pod->addrs[a], buf, sizeof(buf));
				*strchr(buf, '/') = '\0';
				diag_error(&r->diags, pod->loc, "status.podIPs", "duplicate-pod-ip",
					   "two pods cannot own one address; delete the old pod first",
					   "pod %s/%s has address %s, as does pod %s/%s", pod->namespace, pod->name, buf,
					   o->namespace, o->name);
				ret = -EINVAL;
			}
		}
		if (pod->interface) {
			int rc = strmap_add(&ifaces, pod->interface, strlen(pod->interface), (void *)pod, &prev);
			if (rc < 0)
				return rc;
			if (rc == 0) {
				const struct ir_pod *o = prev;
				diag_error(&r->diags, pod->loc, "metadata.annotations", "duplicate-interface",
					   "each local pod has its own host-side interface",
					   "pod %s/%s has interface %s, as does pod %s/%s", pod->namespace, pod->name,
					   pod->interface, o->namespace, o->name);
				ret = -EINVAL;
			}
		}
	}
	return ret;
}

/* ---- ids: fresh numbering -> live numbering ---- */

struct idmap {
	struct hashmap m; /* u32 fresh -> u32 live */
};

static int idmap_put(struct idmap *im, uint32_t fresh, uint32_t live)
{
	void *slot;
	bool inserted;
	if (hashmap_upsert(&im->m, &fresh, &slot, &inserted))
		return -ENOMEM;
	memcpy(slot, &live, sizeof(live));
	return 0;
}

static uint32_t idmap_get(const struct idmap *im, uint32_t fresh)
{
	const uint32_t *v = hashmap_find(&im->m, &fresh);
	return v ? *v : fresh;
}

struct live_tables {
	struct strmap identity; /* key -> (uintptr_t)id */
	struct strmap endpoint; /* ns/name -> id */
	struct strmap policy;   /* signature -> id */
	uint32_t max_identity, max_endpoint, max_policy;
};

static int load_table(struct rr *r, const char *section, size_t key_col, struct strmap *out, uint32_t *max,
		      uint32_t min_id)
{
	size_t len;
	const char *text = section_text(r->state, section, &len);
	struct row *rows;
	size_t n;
	int err = split_rows(r->arena, text, len, &rows, &n);
	if (err)
		return err;
	strmap_init(out, r->arena);
	for (size_t i = 0; i < n; i++) {
		uint32_t id;
		if (rows[i].n <= key_col || !parse_u32(rows[i].f[0], &id))
			return refuse(r, -EPROTO, "live state: %s line %zu is malformed", section, i + 1);
		if (id < min_id)
			continue;
		if (strmap_set(out, rows[i].f[key_col], strlen(rows[i].f[key_col]), (void *)(uintptr_t)id))
			return -ENOMEM;
		if (id > *max)
			*max = id;
	}
	return 0;
}

static int next_id(struct rr *r, const struct info *info, const char *key, uint32_t max_used, uint32_t floor,
		   uint32_t *out)
{
	uint32_t v = 0;
	const char *s = info_get(info, key);
	if (s && !parse_u32(s, &v))
		return refuse(r, -EPROTO, "live state: live/info %s is malformed", key);
	if (v <= max_used)
		v = max_used + 1;
	if (v < floor)
		v = floor;
	*out = v;
	return 0;
}

static int u32_cmp_identity(const void *a, const void *b)
{
	const struct dp_identity *x = a, *y = b;
	return x->id < y->id ? -1 : x->id > y->id;
}

static int endpoint_cmp(const void *a, const void *b)
{
	const struct dp_endpoint *x = a, *y = b;
	return x->endpoint_id < y->endpoint_id ? -1 : x->endpoint_id > y->endpoint_id;
}

static int policy_ptr_cmp(const void *a, const void *b)
{
	const struct dp_policy *x = *(const struct dp_policy *const *)a, *y = *(const struct dp_policy *const *)b;
	return x->id < y->id ? -1 : x->id > y->id;
}

static int entry_cmp(const void *a, const void *b)
{
	return memcmp(&((const struct dp_policy_entry *)a)->key, &((const struct dp_policy_entry *)b)->key,
		      sizeof(struct polc_policy_key));
}

struct counters {
	uint32_t next_identity, next_endpoint, next_policy;
	uint32_t identities_added, identities_removed;
};

static int translate(struct rr *r, const struct ir_program *prog, struct ir_datapath *dp, struct live_tables *lt,
		     struct counters *cnt)
{
	struct idmap ids, pols;
	if (hashmap_init(&ids.m, r->arena, sizeof(uint32_t), sizeof(uint32_t)) ||
	    hashmap_init(&pols.m, r->arena, sizeof(uint32_t), sizeof(uint32_t)))
		return -ENOMEM;

	size_t kept = 0;
	for (size_t i = 0; i < dp->identities.len; i++) {
		struct dp_identity *id = &dp->identities.items[i];
		if (id->id < POLC_ID_FIRST_DYNAMIC)
			continue;
		void *v = strmap_get(&lt->identity, id->key, strlen(id->key));
		uint32_t live;
		if (v) {
			live = (uint32_t)(uintptr_t)v;
			kept++;
		} else {
			if (cnt->next_identity > POLC_ID_MAX)
				return refuse(r, -EOVERFLOW, "identity numbers are used up (%u): needs polc compile",
					      POLC_ID_MAX);
			live = cnt->next_identity++;
			cnt->identities_added++;
		}
		if (idmap_put(&ids, id->id, live))
			return -ENOMEM;
		id->id = live;
	}
	cnt->identities_removed = (uint32_t)(lt->identity.len - kept);
	if (dp->identities.len > 1)
		qsort(dp->identities.items, dp->identities.len, sizeof(*dp->identities.items), u32_cmp_identity);

	struct strbuf sig = STRBUF_INIT;
	for (size_t i = 0; i < dp->policies.len; i++) {
		struct dp_policy *pol = dp->policies.items[i];
		strbuf_reset(&sig);
		codegen_policy_signature(&sig, pol);
		if (strbuf_error(&sig)) {
			strbuf_free(&sig);
			return -ENOMEM;
		}
		void *v = strmap_get(&lt->policy, sig.data, sig.len);
		uint32_t live = v ? (uint32_t)(uintptr_t)v : cnt->next_policy++;
		if (idmap_put(&pols, pol->id, live)) {
			strbuf_free(&sig);
			return -ENOMEM;
		}
		pol->id = live;
	}
	strbuf_free(&sig);
	if (dp->policies.len > 1)
		qsort(dp->policies.items, dp->policies.len, sizeof(*dp->policies.items), policy_ptr_cmp);

	for (size_t i = 0; i < dp->endpoints.len; i++) {
		struct dp_endpoint *ep = &dp->endpoints.items[i];
		char *key = pod_key(r->arena, ep->pod->namespace, ep->pod->name);
		if (!key)
			return -ENOMEM;
		void *v = strmap_get(&lt->endpoint, key, strlen(key));
		ep->endpoint_id = v ? (uint32_t)(uintptr_t)v : cnt->next_endpoint++;
		ep->identity = idmap_get(&ids, ep->identity);
		for (int d = 0; d < 2; d++)
			if (ep->policy[d])
				ep->policy[d] = idmap_get(&pols, ep->policy[d]);
	}
	if (dp->endpoints.len > 1)
		qsort(dp->endpoints.items, dp->endpoints.len, sizeof(*dp->endpoints.items), endpoint_cmp);

	for (size_t i = 0; i < prog->pods.len; i++)
		if (dp->pod_identity[i] >= POLC_ID_FIRST_DYNAMIC)
			dp->pod_identity[i] = idmap_get(&ids, dp->pod_identity[i]);
	for (size_t i = 0; i < dp->ipcache.len; i++) {
		struct polc_ipcache_value *v = &dp->ipcache.items[i].value;
		if (v->identity >= POLC_ID_FIRST_DYNAMIC)
			v->identity = idmap_get(&ids, v->identity);
	}
	for (size_t i = 0; i < dp->entries.len; i++) {
		struct polc_policy_key *k = &dp->entries.items[i].key;
		k->policy = idmap_get(&pols, k->policy);
		if (k->peer < POLC_PEER_CIDR && k->peer >= POLC_ID_FIRST_DYNAMIC)
			k->peer = idmap_get(&ids, k->peer);
	}
	if (dp->entries.len > 1)
		qsort(dp->entries.items, dp->entries.len, sizeof(*dp->entries.items), entry_cmp);
	return 0;
}

/* ---- what the compiled program can do ---- */

/* Switches where 1 compiled and 0 needed is fine: the program probes for entries that do not exist. */
static bool switch_is_monotone(const char *name)
{
	return strncmp(name, "POLC_GEN_PROBE_", 15) == 0 || strcmp(name, "POLC_GEN_HAVE_DENY") == 0 ||
	       strcmp(name, "POLC_GEN_HAVE_AUDIT") == 0;
}

/* "32, 24, 8": is every length of need among those of have? */
static bool lengths_subset(const char *need, const char *have)
{
	for (const char *p = need; *p;) {
		char *end;
		long v = strtol(p, &end, 10);
		if (end == p)
			break;
		bool found = false;
		for (const char *q = have; *q && !found;) {
			char *qe;
			long w = strtol(q, &qe, 10);
			if (qe == q)
				break;
			found = w == v;
			q = qe;
			while (*q == ',' || *q == ' ')
				q++;
		}
		if (!found)
			return false;
		p = end;
		while (*p == ',' || *p == ' ')
			p++;
	}
	return true;
}

static int check_switches(struct rr *r, const char *needed, size_t needed_len)
{
	size_t have_len;
	const char *have_text = section_text(r->state, "meta/switches", &have_len);
	struct row *have, *need;
	size_t n_have, n_need;
	int err = split_rows(r->arena, have_text, have_len, &have, &n_have);
	if (!err)
		err = split_rows(r->arena, needed, needed_len, &need, &n_need);
	if (err)
		return err;
	if (n_have == 0)
		return refuse(r, -EPROTO, "the live policy's artifact has no meta/switches: recompile it with this polc");
	for (size_t i = 0; i < n_need; i++) {
		if (need[i].n != 2)
			continue;
		const char *name = need[i].f[0], *want = need[i].f[1];
		const char *got = NULL;
		for (size_t j = 0; j < n_have && !got; j++)
			if (have[j].n == 2 && strcmp(have[j].f[0], name) == 0)
				got = have[j].f[1];
		if (!got)
			return refuse(r, -EOPNOTSUPP, "the new inventory needs %s %s, which the live program does not "
						      "know: needs polc compile", name, want);
		if (strcmp(got, want) == 0)
			continue;
		/* The counts follow their lists. */
		if (strstr(name, "_NR_PREFIXLENS"))
			continue;
		if (strstr(name, "_PREFIXLENS") && lengths_subset(want, got))
			continue;
		if (switch_is_monotone(name) && strcmp(got, "1") == 0 && strcmp(want, "0") == 0)
			continue;
		return refuse(r, -EOPNOTSUPP,
			      "the new inventory needs %s %s but the live program was compiled with %s: needs polc "
			      "compile (with the new inventory) and polc load",
			      name, want, got);
	}
	return 0;
}

/* ---- the result ---- */

static int copy_section(struct polc_artifact_writer *w, const struct polc_artifact *from, const char *name)
{
	size_t len;
	const void *data = polc_artifact_section(from, name, &len);
	if (!data)
		return 0;
	return polc_artifact_add(w, name, data, len);
}

static bool same_section(const struct polc_artifact *a, const struct polc_artifact *b, const char *name)
{
	size_t la, lb;
	const void *da = polc_artifact_section(a, name, &la);
	const void *db = polc_artifact_section(b, name, &lb);
	return da && db && la == lb && memcmp(da, db, la) == 0;
}

static int finish_message(struct rr *r, struct rr_result *out)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	if (!f)
		return -ENOMEM;
	if (r->msg.len)
		fprintf(f, "%s\n", strbuf_cstr(&r->msg));
	diag_sort(&r->diags);
	diag_print(&r->diags, f, DIAG_FORMAT_TEXT, DIAG_WARNING, false);
	if (fclose(f)) {
		free(buf);
		return -ENOMEM;
	}
	while (size && buf[size - 1] == '\n')
		buf[--size] = '\0';
	out->message = buf;
	return 0;
}

/* Load the artifact's inputs as polc compile did, into c. */
static int load_base(struct rr *r, struct rr_cache *c)
{
	struct frontend fe_base, *fe = &fe_base;
	struct frontend_options fo = {.mode = FRONTEND_COMPILE};
	if (ir_program_init(&c->prog, c->arena) || frontend_init(fe, &c->prog, &c->diags, &c->sources, &fo))
		return -ENOMEM;
	size_t len;
	const char *text = section_text(r->state, "meta/sources", &len);
	struct row *rows;
	size_t n;
	int err = split_rows(r->arena, text, len, &rows, &n);
	if (err)
		return err;
	if (n == 0)
		return refuse(r, -EPROTO, "the live policy's artifact carries no sources (compiled by an older polc): "
					  "recompile it with this polc to change endpoints without clang");
	for (size_t i = 0; i < n; i++) {
		uint32_t idx;
		char section[POLC_ARTIFACT_NAME_MAX];
		if (rows[i].n != 2 || !parse_u32(rows[i].f[0], &idx))
			return refuse(r, -EPROTO, "live state: meta/sources line %zu is malformed", i + 1);
		snprintf(section, sizeof(section), "source/%u", idx);
		size_t slen;
		const char *data = polc_artifact_section(r->state, section, &slen);
		if (!data)
			return refuse(r, -EPROTO, "live state: %s is missing", section);
		int id = source_add_buffer(&c->sources, rows[i].f[1], data, slen);
		if (id < 0)
			return id;
		err = frontend_load_file(fe, (uint32_t)id);
		if (err == -ENOMEM)
			return err;
		if (err)
			return refuse(r, -EPROTO, "the live policy's sources no longer compile with this polc");
	}
	return 0;
}

/* The cache for this state's artifact: the one given if it is that artifact's, else a fresh one. */
static int use_cache(struct rr *r, uint64_t base_revision, struct rr_cache **cache)
{
	if (*cache && (*cache)->base_revision == base_revision)
		return 0;
	struct rr_cache *c = calloc(1, sizeof(*c));
	if (!c || !(c->arena = arena_new())) {
		free(c);
		return -ENOMEM;
	}
	c->base_revision = base_revision;
	source_set_init(&c->sources, c->arena);
	diag_sink_init(&c->diags, c->arena, &c->sources);
	c->diags.suppress_warnings = true;
	int err = load_base(r, c);
	if (err == 0 && diag_has_errors(&c->diags))
		err = refuse(r, -EPROTO, "the live policy's sources no longer compile with this polc");
	if (err) {
		rr_cache_free(c);
		return err;
	}
	rr_cache_free(*cache);
	*cache = c;
	return 0;
}

/* This call's program: the cached front end output, with vectors of its own where it changes them. */
static int fresh_program(struct rr *r, const struct rr_cache *c, struct ir_program *prog)
{
	struct arena *a = r->arena;
	*prog = c->prog;
	prog->arena = a;
	memset(&prog->policies, 0, sizeof(prog->policies));
	memset(&prog->rules, 0, sizeof(prog->rules));
	memset(&prog->namespaces, 0, sizeof(prog->namespaces));
	memset(&prog->pods, 0, sizeof(prog->pods));
	memset(&prog->nodes, 0, sizeof(prog->nodes));
	for (size_t i = 0; i < c->prog.policies.len; i++)
		if (vec_push(a, &prog->policies, c->prog.policies.items[i]))
			return -ENOMEM;
	for (size_t i = 0; i < c->prog.rules.len; i++)
		if (vec_push(a, &prog->rules, c->prog.rules.items[i]))
			return -ENOMEM;
	for (size_t i = 0; i < c->prog.namespaces.len; i++)
		if (vec_push(a, &prog->namespaces, c->prog.namespaces.items[i]))
			return -ENOMEM;
	for (size_t i = 0; i < c->prog.nodes.len; i++)
		if (vec_push(a, &prog->nodes, c->prog.nodes.items[i]))
			return -ENOMEM;
	/* Diagnostics about the changes quote their text: our sources are the cached ones and those. */
	for (size_t i = 0; i < c->sources.files.len; i++)
		if (vec_push(a, &r->sources.files, c->sources.files.items[i]))
			return -ENOMEM;
	return 0;
}

static int build(struct rr *r, const struct rr_change *changes, size_t n_changes, const struct codegen_sizes *sizes,
		 struct rr_cache **cache, struct rr_result *out)
{
	struct arena *a = r->arena;
	struct info info;
	size_t len;
	const char *text = section_text(r->state, "live/info", &len);
	int err = info_parse(a, text, len, &info);
	if (err)
		return err;
	uint64_t base_revision;
	if (!parse_hex64(info_get(&info, "base_revision"), &base_revision))
		return refuse(r, -EPROTO, "live state: live/info has no base_revision");
	if ((err = use_cache(r, base_revision, cache)))
		return err;
	const struct rr_cache *c = *cache;
	struct ir_program prog;
	if ((err = fresh_program(r, c, &prog)))
		return err;
	struct frontend fe;
	struct frontend_options fo = {.mode = FRONTEND_COMPILE};
	if ((err = frontend_init(&fe, &prog, &r->diags, &r->sources, &fo)))
		return err;

	/* The inventory now: the artifact's pods, less the deleted, with the live ones over them. */
	struct inventory inv = {0};
	strmap_init(&inv.by_name, a);
	for (size_t i = 0; i < c->prog.pods.len; i++) {
		const struct ir_pod *pod = &c->prog.pods.items[i];
		struct pod_slot *s = inv_slot(r, &inv, pod->namespace, pod->name, true);
		if (!s)
			return -ENOMEM;
		s->pod = s->base = pod;
	}
	text = section_text(r->state, "live/deleted", &len);
	struct row *rows;
	size_t n_rows;
	if ((err = split_rows(a, text, len, &rows, &n_rows)))
		return err;
	for (size_t i = 0; i < n_rows; i++) {
		char *slash = strchr(rows[i].f[0], '/');
		if (!slash)
			return refuse(r, -EPROTO, "live state: live/deleted line %zu is malformed", i + 1);
		*slash = '\0';
		struct pod_slot *s = inv_slot(r, &inv, rows[i].f[0], slash + 1, false);
		if (s)
			s->pod = NULL;
	}
	text = section_text(r->state, "live/pods", &len);
	if (len) {
		struct ir_program live;
		if ((err = load_pods(r, LIVE_PODS_NAME, text, len, &live)))
			return err == -EINVAL ? refuse(r, -EPROTO, "live state: live/pods does not parse") : err;
		for (size_t i = 0; i < live.pods.len; i++) {
			const struct ir_pod *pod = &live.pods.items[i];
			struct pod_slot *s = inv_slot(r, &inv, pod->namespace, pod->name, true);
			if (!s)
				return -ENOMEM;
			s->pod = pod;
		}
	}

	for (size_t i = 0; i < n_changes; i++)
		if ((err = apply_change(r, &inv, &changes[i], i, &out->pods_changed)))
			return err;

	/* The merged pod list, and what differs from the artifact's. */
	struct strbuf live_pods = STRBUF_INIT, deleted = STRBUF_INIT;
	size_t n_live = 0;
	VEC(struct ir_pod) pods = {0};
	for (size_t i = 0; i < inv.order.len && !err; i++) {
		const char *key = inv.order.items[i];
		struct pod_slot *s = strmap_get(&inv.by_name, key, strlen(key));
		if (s->pod && vec_push(a, &pods, *s->pod))
			err = -ENOMEM;
		if (s->base && !s->pod) {
			strbuf_puts(&deleted, key);
			strbuf_putc(&deleted, '\n');
		} else if (s->pod && s->pod != s->base && !(s->base && pods_equal(a, s->base, s->pod))) {
			strbuf_puts(&live_pods, n_live++ ? ",\n" : "{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":[\n");
			pod_json(&live_pods, s->pod);
		}
	}
	if (n_live)
		strbuf_puts(&live_pods, "\n]}\n");
	if (!err)
		err = strbuf_error(&live_pods) ? -ENOMEM : strbuf_error(&deleted) ? -ENOMEM : 0;
	if (err) {
		strbuf_free(&live_pods);
		strbuf_free(&deleted);
		return err;
	}
	prog.pods.items = pods.items;
	prog.pods.len = pods.len;
	prog.pods.cap = pods.cap;

	uint64_t revision = base_revision;
	if (live_pods.len || deleted.len) {
		revision = polc_hash64(live_pods.data ? live_pods.data : "", live_pods.len, base_revision ^ POLC_HASH_SEED);
		revision = polc_hash64("\n", 1, revision);
		revision = polc_hash64(deleted.data ? deleted.data : "", deleted.len, revision);
	}
	out->revision = revision;
	out->base_revision = base_revision;

	struct ir_datapath dp = {0};
	struct counters cnt = {0};
	struct live_tables lt = {0};
	void *art = NULL;
	size_t art_size = 0;
	struct polc_artifact *gen = NULL;
	struct polc_artifact_writer *w = NULL;
	struct strbuf switches = STRBUF_INIT, sb = STRBUF_INIT;
	char msg[256];

	if ((err = check_claims(r, &prog)) || (err = frontend_finish(&fe)))
		goto out;
	driver_canonicalize(&prog);
	if ((err = driver_run_passes(a, &r->diags, &prog, &dp)))
		goto out;
	if (diag_has_errors(&r->diags)) {
		err = -EINVAL;
		goto out;
	}

	if ((err = load_table(r, "meta/identities", 1, &lt.identity, &lt.max_identity, POLC_ID_FIRST_DYNAMIC)) ||
	    (err = load_table(r, "meta/endpoints", 2, &lt.endpoint, &lt.max_endpoint, 1)) ||
	    (err = load_table(r, "meta/policies", 1, &lt.policy, &lt.max_policy, 1)))
		goto out;
	if ((err = next_id(r, &info, "next_identity", lt.max_identity, POLC_ID_FIRST_DYNAMIC, &cnt.next_identity)) ||
	    (err = next_id(r, &info, "next_endpoint", lt.max_endpoint, 1, &cnt.next_endpoint)) ||
	    (err = next_id(r, &info, "next_policy", lt.max_policy, 1, &cnt.next_policy)))
		goto out;
	if ((err = translate(r, &prog, &dp, &lt, &cnt)))
		goto out;
	out->identities_added = cnt.identities_added;
	out->identities_removed = cnt.identities_removed;

	if ((err = codegen_switches(&switches, &prog, &dp, sizes)) ||
	    (err = check_switches(r, switches.data ? switches.data : "", switches.len)))
		goto out;

	struct codegen_artifact_opts co = {.no_sources = true, .no_revision = true};
	if ((err = codegen_artifact_opts(&prog, &dp, &r->sources, sizes, "", 0, &co, &art, &art_size)))
		goto out;
	if ((err = polc_artifact_parse(art, art_size, &gen, msg, sizeof(msg)))) {
		err = refuse(r, -EPROTO, "re-resolution wrote a bad artifact: %s", msg);
		goto out;
	}
	/* Rules come from the policies alone: if they differ, this polc does not read the sources as the compiler did. */
	if (!same_section(gen, r->state, "meta/rules")) {
		err = refuse(r, -EPROTO, "this polc resolves the live policy's sources to other rules than the "
					 "artifact has (compiled by another polc version?): recompile and load it");
		goto out;
	}

	if ((err = info_set(a, &info, "revision", arena_printf(a, "%016" PRIx64, revision))) ||
	    (err = info_set_u64(a, &info, "next_identity", cnt.next_identity, false)) ||
	    (err = info_set_u64(a, &info, "next_endpoint", cnt.next_endpoint, false)) ||
	    (err = info_set_u64(a, &info, "next_policy", cnt.next_policy, false)))
		goto out;
	uint32_t changes_so_far = 0;
	parse_u32(info_get(&info, "changes"), &changes_so_far);
	if ((err = info_set_u64(a, &info, "changes", (uint64_t)changes_so_far + out->pods_changed, false)))
		goto out;
	info_write(&info, &sb);

	w = polc_artifact_writer_new();
	if (!w) {
		err = -ENOMEM;
		goto out;
	}
	static const char *const kept[] = {"meta/info", "meta/rules", "meta/sources", "meta/switches"};
	for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]) && !err; i++)
		err = copy_section(w, r->state, kept[i]);
	for (uint32_t i = 0; i < r->state->header->n_sections && !err; i++)
		if (strncmp(r->state->sections[i].name, "source/", 7) == 0)
			err = copy_section(w, r->state, r->state->sections[i].name);
	static const char *const fresh[] = {"meta/identities", "meta/endpoints", "meta/policies", "meta/pods"};
	for (size_t i = 0; i < sizeof(fresh) / sizeof(fresh[0]) && !err; i++)
		err = copy_section(w, gen, fresh[i]);
	for (uint32_t i = 0; i < gen->header->n_sections && !err; i++)
		if (strncmp(gen->sections[i].name, "map/", 4) == 0)
			err = copy_section(w, gen, gen->sections[i].name);
	if (!err)
		err = polc_artifact_add(w, "live/pods", live_pods.data ? live_pods.data : "", live_pods.len);
	if (!err)
		err = polc_artifact_add(w, "live/deleted", deleted.data ? deleted.data : "", deleted.len);
	if (!err)
		err = strbuf_error(&sb) ? -ENOMEM : polc_artifact_add(w, "live/info", sb.data, sb.len);
	if (!err)
		err = polc_artifact_serialize(w, &out->state, &out->state_size);
out:
	polc_artifact_writer_free(w);
	polc_artifact_free(gen);
	free(art);
	strbuf_free(&switches);
	strbuf_free(&sb);
	strbuf_free(&live_pods);
	strbuf_free(&deleted);
	return err;
}

int reresolve(const struct polc_artifact *state, const struct rr_change *changes, size_t n_changes,
	      const struct codegen_sizes *sizes, struct rr_cache **cache, struct rr_result *out)
{
	struct rr_cache *local = NULL;
	if (!cache)
		cache = &local;
	memset(out, 0, sizeof(*out));
	struct rr r = {.state = state};
	r.arena = arena_new();
	if (!r.arena)
		return -ENOMEM;
	source_set_init(&r.sources, r.arena);
	diag_sink_init(&r.diags, r.arena, &r.sources);
	r.diags.suppress_warnings = true;

	int err = build(&r, changes, n_changes, sizes, cache, out);
	if (err == 0 && diag_has_errors(&r.diags))
		err = -EINVAL;
	if (err && err != -ENOMEM) {
		if (!r.msg.len && !diag_has_errors(&r.diags))
			refuse(&r, err, "re-resolution failed: %s", strerror(-err));
		if (finish_message(&r, out))
			err = -ENOMEM;
	}
	if (err) {
		free(out->state);
		out->state = NULL;
		out->state_size = 0;
	}
	strbuf_free(&r.msg);
	arena_free(r.arena);
	rr_cache_free(local);
	return err;
}

void rr_result_free(struct rr_result *r)
{
	if (!r)
		return;
	free(r->state);
	free(r->message);
	memset(r, 0, sizeof(*r));
}

int rr_initial_state(const struct polc_artifact *artifact, const char *extra_info, void **out, size_t *out_size)
{
	char rev[32];
	int err = polc_artifact_info(artifact, "revision", rev, sizeof(rev));
	if (err)
		return err == -ENOENT ? -EINVAL : err;
	struct polc_artifact_writer *w = polc_artifact_writer_new();
	if (!w)
		return -ENOMEM;
	for (uint32_t i = 0; i < artifact->header->n_sections && !err; i++) {
		const char *name = artifact->sections[i].name;
		if (strcmp(name, "bpf/gen.o") == 0 || strncmp(name, "map/", 4) == 0 || strncmp(name, "live/", 5) == 0)
			continue;
		err = copy_section(w, artifact, name);
	}
	struct strbuf sb = STRBUF_INIT;
	strbuf_printf(&sb, "base_revision=%s\nrevision=%s\nchanges=0\n%s", rev, rev, extra_info ? extra_info : "");
	if (!err)
		err = strbuf_error(&sb) ? -ENOMEM : polc_artifact_add(w, "live/info", sb.data, sb.len);
	if (!err)
		err = polc_artifact_add(w, "live/pods", "", 0);
	if (!err)
		err = polc_artifact_add(w, "live/deleted", "", 0);
	if (!err)
		err = polc_artifact_serialize(w, out, out_size);
	strbuf_free(&sb);
	polc_artifact_writer_free(w);
	return err;
}

int rr_state_set_info(const struct polc_artifact *state, const char *key, uint64_t value, void **out, size_t *out_size)
{
	struct arena *a = arena_new();
	if (!a)
		return -ENOMEM;
	struct info info;
	size_t len;
	const char *text = section_text(state, "live/info", &len);
	int err = info_parse(a, text, len, &info);
	if (!err)
		err = info_set_u64(a, &info, key, value, false);
	struct strbuf sb = STRBUF_INIT;
	struct polc_artifact_writer *w = err ? NULL : polc_artifact_writer_new();
	if (!err && !w)
		err = -ENOMEM;
	for (uint32_t i = 0; !err && i < state->header->n_sections; i++)
		if (strcmp(state->sections[i].name, "live/info") != 0)
			err = copy_section(w, state, state->sections[i].name);
	if (!err) {
		info_write(&info, &sb);
		err = strbuf_error(&sb) ? -ENOMEM : polc_artifact_add(w, "live/info", sb.data, sb.len);
	}
	if (!err)
		err = polc_artifact_serialize(w, out, out_size);
	polc_artifact_writer_free(w);
	strbuf_free(&sb);
	arena_free(a);
	return err;
}
