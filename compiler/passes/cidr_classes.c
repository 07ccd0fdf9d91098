/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * CIDR classes and the ipcache.
 *
 * Every prefix that a rule names (a CIDR or one of its excepts) is a node
 * of a binary trie and gets a class. An address belongs to the class of
 * the longest such prefix containing it, and that alone decides which
 * CIDR peers match it: peer (C, excepts E) matches class P exactly when C
 * contains P and no e in E does (all prefixes containing an address form
 * a chain, and P is its longest link). So a CIDR peer becomes the classes
 * in C's subtree, pruned at its excepts, and the datapath needs one
 * longest-prefix match per packet, whatever the number of rules.
 *
 * Pods and nodes are addresses too, but Cilium's CIDR rules never match
 * them while Kubernetes ipBlocks do. Their ipcache entries therefore
 * carry an "endpoint class": the longest prefix among those of peers
 * that may match endpoints. Such prefixes get a second class id, which
 * only those peers' entries use.
 *
 * The inventory's addresses, and their identities:
 *   pod addresses             the pod's identity
 *   the local Node's          reserved:host
 *   other Nodes' addresses    reserved:remote-node
 *   Node spec.podCIDRs        reserved:unmanaged: an address of the cluster's
 *                             pod ranges that no known pod has (a pod polc was
 *                             not told about) is in the cluster entity, not in
 *                             world, and no Cilium CIDR rule matches it
 *   API server addresses      the above combined with kube-apiserver (apiserver.c);
 *                             outside the cluster an entry of their own with the
 *                             world class the longest match would have given them
 *   anything else             world-ipv4 / world-ipv6 (an ipcache miss)
 * A rule prefix inside a pod CIDR takes the pod CIDR's identity and an
 * endpoint class, so that the longest match cannot turn a cluster address
 * back into world.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "passes.h"

struct cidr_node {
	struct cidr_node *child[2];
	struct ir_cidr prefix;
	bool is_prefix;
	bool is_ep_prefix;
	uint32_t class_world;
	uint32_t class_ep;
};

struct cidr_trie {
	struct cidr_node root;
	uint8_t family;
	unsigned max_len;
};

static int addr_bit(const uint8_t *addr, unsigned i)
{
	return (addr[i / 8] >> (7 - i % 8)) & 1;
}

static struct cidr_trie *trie_for(struct pass_ctx *ctx, uint8_t family)
{
	int i = family == 4 ? 0 : 1;
	if (!ctx->trie[i]) {
		struct cidr_trie *t = arena_alloc(ctx->arena, sizeof(*t));
		if (!t)
			return NULL;
		t->family = family;
		t->max_len = family == 4 ? 32 : 128;
		t->root.prefix.family = family;
		ctx->trie[i] = t;
	}
	return ctx->trie[i];
}

static struct cidr_node *trie_insert(struct pass_ctx *ctx, const struct ir_cidr *c, bool endpoint)
{
	struct cidr_trie *t = trie_for(ctx, c->family);
	if (!t)
		return NULL;
	struct cidr_node *n = &t->root;
	for (unsigned i = 0; i < c->prefixlen; i++) {
		int b = addr_bit(c->addr, i);
		if (!n->child[b]) {
			struct cidr_node *child = arena_alloc(ctx->arena, sizeof(*child));
			if (!child)
				return NULL;
			child->prefix = n->prefix;
			child->prefix.prefixlen = (uint8_t)(i + 1);
			if (b)
				child->prefix.addr[i / 8] |= (uint8_t)(0x80 >> (i % 8));
			n->child[b] = child;
		}
		n = n->child[b];
	}
	n->is_prefix = true;
	n->is_ep_prefix |= endpoint;
	return n;
}

static struct cidr_node *trie_find(const struct pass_ctx *ctx, const struct ir_cidr *c)
{
	const struct cidr_trie *t = ctx->trie[c->family == 4 ? 0 : 1];
	if (!t)
		return NULL;
	struct cidr_node *n = (struct cidr_node *)&t->root;
	for (unsigned i = 0; n && i < c->prefixlen; i++)
		n = n->child[addr_bit(c->addr, i)];
	return n && n->is_prefix ? n : NULL;
}

/*
 * Class of the longest prefix containing addr: among every rule's prefixes
 * (as an ipcache lookup of a world address finds it), or only among those
 * of peers that may match endpoints. 0: none.
 */
static uint32_t longest_class(const struct pass_ctx *ctx, const struct ir_cidr *addr, bool endpoint)
{
	const struct cidr_trie *t = ctx->trie[addr->family == 4 ? 0 : 1];
	if (!t)
		return 0;
	const struct cidr_node *n = &t->root;
	uint32_t cls = 0;
	for (unsigned i = 0; n; i++) {
		if (endpoint ? n->is_ep_prefix : n->is_prefix)
			cls = endpoint ? n->class_ep : n->class_world;
		n = i < addr->prefixlen ? n->child[addr_bit(addr->addr, i)] : NULL;
	}
	return cls;
}

uint32_t cidr_endpoint_class(struct pass_ctx *ctx, const struct ir_cidr *addr)
{
	return longest_class(ctx, addr, true);
}

static bool is_except(const struct ir_peer *peer, const struct cidr_node *n)
{
	for (size_t i = 0; i < peer->n_except; i++) {
		const struct ir_cidr *e = &peer->except[i];
		if (e->prefixlen == n->prefix.prefixlen && e->family == n->prefix.family &&
		    memcmp(e->addr, n->prefix.addr, 16) == 0)
			return true;
	}
	return false;
}

int cidr_peer_classes(struct pass_ctx *ctx, const struct ir_peer *peer, cidr_class_visit_fn fn, void *arg)
{
	struct cidr_node *top = trie_find(ctx, &peer->cidr);
	if (!top)
		return -ENOENT;
	/* Depth-first over the subtree; the stack never holds more than one path plus siblings. */
	struct cidr_node *stack[2 * 129 + 2];
	size_t sp = 0;
	stack[sp++] = top;
	while (sp > 0) {
		struct cidr_node *n = stack[--sp];
		if (n != top && n->is_prefix && is_except(peer, n))
			continue;
		if (n->is_prefix) {
			int err = fn(arg, n->class_world);
			if (!err && peer->matches_endpoints && n->is_ep_prefix)
				err = fn(arg, n->class_ep);
			if (err)
				return err;
		}
		if (n->child[1])
			stack[sp++] = n->child[1];
		if (n->child[0])
			stack[sp++] = n->child[0];
	}
	return 0;
}

/* Pre-order numbering: classes follow address order, deterministically. */
static int number_classes(struct pass_ctx *ctx, struct cidr_trie *t, uint32_t *next, bool *plens_used)
{
	struct cidr_node *stack[2 * 129 + 2];
	size_t sp = 0;
	stack[sp++] = &t->root;
	while (sp > 0) {
		struct cidr_node *n = stack[--sp];
		if (n->is_prefix) {
			plens_used[n->prefix.prefixlen] = true;
			n->class_world = (*next)++;
			struct dp_cidr_class *c = vec_add(ctx->arena, &ctx->dp->cidr_classes);
			if (!c)
				return -ENOMEM;
			*c = (struct dp_cidr_class){n->class_world, n->prefix, false};
			if (n->is_ep_prefix) {
				n->class_ep = (*next)++;
				c = vec_add(ctx->arena, &ctx->dp->cidr_classes);
				if (!c)
					return -ENOMEM;
				*c = (struct dp_cidr_class){n->class_ep, n->prefix, true};
			}
		}
		if (n->child[1])
			stack[sp++] = n->child[1];
		if (n->child[0])
			stack[sp++] = n->child[0];
	}
	return 0;
}

static struct polc_ipcache_key ipcache_key(const struct ir_cidr *c)
{
	struct polc_ipcache_key k;
	memset(&k, 0, sizeof(k));
	k.family = c->family == 4 ? POLC_AF_INET : POLC_AF_INET6;
	k.prefixlen = c->prefixlen;
	memcpy(k.addr, c->addr, 16);
	return k;
}

static int key_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct polc_ipcache_key));
}

static int add_entry(struct pass_ctx *ctx, struct hashmap *seen, const struct ir_cidr *c, uint32_t identity,
		     uint32_t cls, bool replace)
{
	struct polc_ipcache_key key = ipcache_key(c);
	void *slot;
	bool inserted;
	if (hashmap_upsert(seen, &key, &slot, &inserted))
		return -ENOMEM;
	struct polc_ipcache_value *v = slot;
	if (inserted || replace) {
		v->identity = identity;
		v->cidr_class = cls;
	}
	return 0;
}

/* Is prefix inside one of the cluster's pod CIDRs (Node spec.podCIDRs)? */
static bool in_pod_cidr(const struct ir_program *prog, const struct ir_cidr *prefix)
{
	for (size_t i = 0; i < prog->nodes.len; i++) {
		const struct ir_node *node = &prog->nodes.items[i];
		for (size_t k = 0; k < node->n_pod_cidrs; k++)
			if (ir_cidr_contains(&node->pod_cidrs[k], prefix))
				return true;
	}
	return false;
}

int pass_cidr_classes(struct pass_ctx *ctx)
{
	struct ir_datapath *dp = ctx->dp;
	struct ir_program *prog = ctx->prog;

	/* Prefixes of the peers of rules that apply to some endpoint. */
	for (size_t i = 0; i < dp->policies.len; i++) {
		const struct dp_policy *pol = dp->policies.items[i];
		for (size_t r = 0; r < pol->n_rules; r++) {
			const struct ir_rule *rule = pol->rules[r].rule;
			for (size_t p = 0; p < rule->n_peers; p++) {
				const struct ir_peer *peer = &rule->peers[p];
				if (peer->kind != IR_PEER_CIDR)
					continue;
				if (!trie_insert(ctx, &peer->cidr, peer->matches_endpoints))
					return -ENOMEM;
				for (size_t e = 0; e < peer->n_except; e++)
					if (!trie_insert(ctx, &peer->except[e], peer->matches_endpoints))
						return -ENOMEM;
			}
		}
	}

	uint32_t next = 1;
	bool v4_plens[33] = {false}, v6_plens[129] = {false};
	v4_plens[32] = v6_plens[128] = true;
	for (size_t i = 0; i < prog->nodes.len; i++) {
		const struct ir_node *node = &prog->nodes.items[i];
		for (size_t k = 0; k < node->n_pod_cidrs; k++) {
			const struct ir_cidr *pc = &node->pod_cidrs[k];
			if (pc->family == 4)
				v4_plens[pc->prefixlen] = true;
			else
				v6_plens[pc->prefixlen] = true;
		}
	}
	if (ctx->trie[0] && number_classes(ctx, ctx->trie[0], &next, v4_plens))
		return -ENOMEM;
	if (ctx->trie[1] && number_classes(ctx, ctx->trie[1], &next, v6_plens))
		return -ENOMEM;

	struct dp_features *f = &dp->features;
	for (int l = 32; l >= 0; l--)
		if (v4_plens[l])
			f->v4_prefixlens[f->n_v4_prefixlens++] = (uint8_t)l;
	for (int l = 128; l >= 0; l--)
		if (v6_plens[l])
			f->v6_prefixlens[f->n_v6_prefixlens++] = (uint8_t)l;

	/* Endpoint addresses first: a prefix equal to a pod's address does not replace it. */
	struct hashmap seen;
	if (hashmap_init(&seen, ctx->arena, sizeof(struct polc_ipcache_key), sizeof(struct polc_ipcache_value)))
		return -ENOMEM;
	for (size_t i = 0; i < prog->pods.len; i++) {
		const struct ir_pod *pod = &prog->pods.items[i];
		uint32_t identity = dp->pod_identity[i];
		if (!identity)
			continue;
		for (size_t a = 0; a < pod->n_addrs; a++) {
			int err = add_entry(ctx, &seen, &pod->addrs[a], identity,
					    cidr_endpoint_class(ctx, &pod->addrs[a]), true);
			if (err)
				return err;
		}
	}
	for (size_t i = 0; i < prog->nodes.len; i++) {
		const struct ir_node *node = &prog->nodes.items[i];
		for (size_t a = 0; a < node->n_addrs; a++) {
			uint32_t identity = node->local ? POLC_ID_HOST : POLC_ID_REMOTE_NODE;
			if (apiserver_address(prog, &node->addrs[a]))
				identity = node->local ? POLC_ID_HOST_APISERVER : POLC_ID_KUBE_APISERVER;
			int err = add_entry(ctx, &seen, &node->addrs[a], identity,
					    cidr_endpoint_class(ctx, &node->addrs[a]), false);
			if (err)
				return err;
		}
	}
	/* External API servers: world to CIDR rules (their class), kube-apiserver to entities. */
	for (size_t i = 0; i < prog->apiserver.len; i++) {
		const struct ir_cidr *addr = &prog->apiserver.items[i].addr;
		uint32_t identity = apiserver_identity(prog, addr);
		if (identity != POLC_ID_WORLD_IPV4_APISERVER && identity != POLC_ID_WORLD_IPV6_APISERVER)
			continue;
		int err = add_entry(ctx, &seen, addr, identity, longest_class(ctx, addr, false), false);
		if (err)
			return err;
	}
	for (size_t i = 0; i < prog->nodes.len; i++) {
		const struct ir_node *node = &prog->nodes.items[i];
		for (size_t k = 0; k < node->n_pod_cidrs; k++) {
			const struct ir_cidr *pc = &node->pod_cidrs[k];
			int err = add_entry(ctx, &seen, pc, POLC_ID_UNMANAGED, cidr_endpoint_class(ctx, pc), false);
			if (err)
				return err;
		}
	}
	for (size_t i = 0; i < dp->cidr_classes.len; i++) {
		const struct dp_cidr_class *c = &dp->cidr_classes.items[i];
		if (c->endpoint_class)
			continue;
		int err;
		if (in_pod_cidr(prog, &c->prefix))
			err = add_entry(ctx, &seen, &c->prefix, POLC_ID_UNMANAGED, cidr_endpoint_class(ctx, &c->prefix),
					false);
		else
			err = add_entry(ctx, &seen, &c->prefix,
					c->prefix.family == 4 ? POLC_ID_WORLD_IPV4 : POLC_ID_WORLD_IPV6, c->id, false);
		if (err)
			return err;
	}

	if (seen.n > ctx->limits.max_ipcache_entries)
		return diag_error(ctx->diags, (struct src_loc){0}, NULL, "too-many-addresses", NULL,
				  "%zu addresses and prefixes exceed the limit of %zu", seen.n,
				  ctx->limits.max_ipcache_entries) ? -ENOMEM : -EINVAL;

	size_t iter = 0;
	const void *k;
	void *v;
	while (hashmap_next(&seen, &iter, &k, &v)) {
		struct dp_ipcache_entry *e = vec_add(ctx->arena, &dp->ipcache);
		if (!e)
			return -ENOMEM;
		memcpy(&e->key, k, sizeof(e->key));
		memcpy(&e->value, v, sizeof(e->value));
	}
	if (dp->ipcache.len > 1)
		qsort(dp->ipcache.items, dp->ipcache.len, sizeof(*dp->ipcache.items), key_cmp);
	return 0;
}
