/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Identities: every distinct label set gets a number, as Cilium's
 * security identities. A pod's label set is its own labels plus its
 * namespace (name and labels), service account and cluster, so that pod
 * and namespace selectors are both plain label matches. Pods with the
 * same label set share an identity: a new pod with a known label set
 * needs no new policy entries.
 *
 * Numbering: reserved identities keep Cilium's numbers; the rest are
 * numbered from POLC_ID_FIRST_DYNAMIC in the sorted order of their
 * canonical key, so identical input gives identical numbers.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../util/strbuf.h"
#include "passes.h"

static const struct {
	uint32_t id;
	const char *label;
} reserved_identities[] = {
	{POLC_ID_HOST, "reserved:host"},
	{POLC_ID_WORLD, "reserved:world"},
	{POLC_ID_UNMANAGED, "reserved:unmanaged"},
	{POLC_ID_HEALTH, "reserved:health"},
	{POLC_ID_INIT, "reserved:init"},
	{POLC_ID_REMOTE_NODE, "reserved:remote-node"},
	{POLC_ID_KUBE_APISERVER, "reserved:kube-apiserver"},
	{POLC_ID_INGRESS, "reserved:ingress"},
	{POLC_ID_WORLD_IPV4, "reserved:world-ipv4"},
	{POLC_ID_WORLD_IPV6, "reserved:world-ipv6"},
};

const struct pass_limits pass_default_limits = {
	.max_policy_entries = 4u << 20,
	.max_ipcache_entries = 1u << 20,
};

int pass_ctx_init(struct pass_ctx *ctx, struct arena *arena, struct diag_sink *diags,
		  struct ir_program *prog, struct ir_datapath *dp)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->arena = arena;
	ctx->diags = diags;
	ctx->prog = prog;
	ctx->dp = dp;
	ctx->limits = pass_default_limits;
	return hashmap_init(&ctx->peer_sets, arena, sizeof(const void *), sizeof(struct id_set));
}

static const struct ir_namespace *find_namespace(const struct ir_program *prog, const char *name)
{
	for (size_t i = 0; i < prog->namespaces.len; i++)
		if (strcmp(prog->namespaces.items[i].name, name) == 0)
			return &prog->namespaces.items[i];
	return NULL;
}

static char *prefixed(struct arena *arena, const char *prefix, const char *key)
{
	return arena_printf(arena, "k8s:%s%s", prefix, key);
}

/* The identity labels of a pod, sorted. */
static int pod_identity_labels(struct pass_ctx *ctx, const struct ir_pod *pod, struct ir_labels *out)
{
	struct arena *a = ctx->arena;
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < pod->labels.len; i++) {
		char *key = prefixed(a, "", pod->labels.items[i].key);
		if (!key || ir_labels_set(a, out, key, pod->labels.items[i].value))
			return -ENOMEM;
	}
	const struct ir_namespace *ns = find_namespace(ctx->prog, pod->namespace);
	for (size_t i = 0; ns && i < ns->labels.len; i++) {
		char *key = prefixed(a, IR_LABEL_NS_LABELS_PREFIX, ns->labels.items[i].key);
		if (!key || ir_labels_set(a, out, key, ns->labels.items[i].value))
			return -ENOMEM;
	}
	char *ns_key = prefixed(a, "", IR_LABEL_NAMESPACE);
	char *sa_key = prefixed(a, "", IR_LABEL_SERVICE_ACCOUNT);
	char *cluster_key = prefixed(a, "", IR_LABEL_CLUSTER);
	if (!ns_key || !sa_key || !cluster_key ||
	    ir_labels_set(a, out, ns_key, pod->namespace) ||
	    ir_labels_set(a, out, sa_key, pod->service_account ? pod->service_account : "default") ||
	    ir_labels_set(a, out, cluster_key, ctx->prog->cluster_name))
		return -ENOMEM;
	ir_labels_sort(out);
	return 0;
}

static char *labels_key(struct arena *arena, const struct ir_labels *labels)
{
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = 0; i < labels->len; i++)
		strbuf_printf(&sb, "%s%s=%s", i ? "," : "", labels->items[i].key, labels->items[i].value);
	char *key = strbuf_error(&sb) ? NULL : arena_strdup(arena, strbuf_cstr(&sb));
	strbuf_free(&sb);
	return key;
}

struct pod_key {
	const char *key;
	size_t pod;
	struct ir_labels labels;
};

static int pod_key_cmp(const void *a, const void *b)
{
	const struct pod_key *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	if (c)
		return c;
	return x->pod < y->pod ? -1 : x->pod > y->pod;
}

/*
 * The API server's combined identities (apiserver.c), labelled with both
 * halves so that entities and reserved: selectors of either match them.
 * Only those some address has: without an Endpoints input nothing changes.
 */
static int apiserver_identities(struct pass_ctx *ctx)
{
	static const struct {
		uint32_t id;
		const char *other; /* the label besides reserved:kube-apiserver */
	} combined[] = {
		{POLC_ID_KUBE_APISERVER, "reserved:remote-node"},
		{POLC_ID_HOST_APISERVER, "reserved:host"},
		{POLC_ID_WORLD_IPV4_APISERVER, "reserved:world-ipv4"},
		{POLC_ID_WORLD_IPV6_APISERVER, "reserved:world-ipv6"},
	};
	struct ir_datapath *dp = ctx->dp;
	for (size_t c = 0; c < sizeof(combined) / sizeof(combined[0]); c++) {
		bool used = false;
		for (size_t i = 0; i < ctx->prog->apiserver.len && !used; i++)
			used = apiserver_identity(ctx->prog, &ctx->prog->apiserver.items[i].addr) == combined[c].id;
		if (!used)
			continue;
		struct dp_identity *id = NULL;
		for (size_t i = 0; i < dp->identities.len; i++)
			if (dp->identities.items[i].id == combined[c].id)
				id = &dp->identities.items[i];
		if (!id) {
			/* Reserved identities are added in id order, before every pod's. */
			id = vec_add(ctx->arena, &dp->identities);
			if (!id)
				return -ENOMEM;
			id->id = combined[c].id;
			id->reserved = true;
		}
		if (ir_labels_set(ctx->arena, &id->labels, "reserved:kube-apiserver", "") ||
		    ir_labels_set(ctx->arena, &id->labels, combined[c].other, ""))
			return -ENOMEM;
		/* As the single reserved labels are keyed: the bare labels, in order. */
		const char *api = "reserved:kube-apiserver", *other = combined[c].other;
		bool first = strcmp(other, api) < 0;
		id->key = arena_printf(ctx->arena, "%s,%s", first ? other : api, first ? api : other);
		if (!id->key)
			return -ENOMEM;
	}
	return 0;
}

int pass_identities(struct pass_ctx *ctx)
{
	struct ir_program *prog = ctx->prog;
	struct ir_datapath *dp = ctx->dp;
	struct arena *a = ctx->arena;

	for (size_t i = 0; i < sizeof(reserved_identities) / sizeof(reserved_identities[0]); i++) {
		struct dp_identity *id = vec_add(a, &dp->identities);
		if (!id || ir_labels_set(a, &id->labels, reserved_identities[i].label, ""))
			return -ENOMEM;
		id->id = reserved_identities[i].id;
		id->key = reserved_identities[i].label;
		id->reserved = true;
	}
	if (apiserver_identities(ctx))
		return -ENOMEM;

	dp->pod_identity = arena_calloc(a, prog->pods.len + 1, sizeof(uint32_t));
	struct pod_key *keys = arena_calloc(a, prog->pods.len + 1, sizeof(*keys));
	if (!dp->pod_identity || !keys)
		return -ENOMEM;
	size_t n = 0;
	for (size_t i = 0; i < prog->pods.len; i++) {
		const struct ir_pod *pod = &prog->pods.items[i];
		/* Host-network pods are the node as far as policy goes. */
		if (pod->host_network)
			continue;
		struct pod_key *k = &keys[n++];
		int err = pod_identity_labels(ctx, pod, &k->labels);
		if (err)
			return err;
		k->key = labels_key(a, &k->labels);
		if (!k->key)
			return -ENOMEM;
		k->pod = i;
	}
	qsort(keys, n, sizeof(*keys), pod_key_cmp);

	uint32_t next_id = POLC_ID_FIRST_DYNAMIC;
	for (size_t i = 0; i < n; i++) {
		if (i == 0 || strcmp(keys[i].key, keys[i - 1].key) != 0) {
			if (next_id > POLC_ID_MAX) {
				int err = diag_error(ctx->diags, prog->pods.items[keys[i].pod].loc, NULL,
						     "too-many-identities", NULL, "more than %u distinct label sets",
						     POLC_ID_MAX);
				return err ? err : -EINVAL;
			}
			struct dp_identity *id = vec_add(a, &dp->identities);
			if (!id)
				return -ENOMEM;
			id->id = next_id++;
			id->labels = keys[i].labels;
			id->key = keys[i].key;
		}
		struct dp_identity *id = &dp->identities.items[dp->identities.len - 1];
		id->n_pods++;
		dp->pod_identity[keys[i].pod] = id->id;
	}
	return 0;
}
