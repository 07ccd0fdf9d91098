/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The live state's tables as user space reads them back: rule id ->
 * policy and source position, identity -> labels, address -> pod,
 * endpoint id -> pod and interface. What turns a verdict event or a
 * counter, which carry numbers, into names (polc monitor, polc status).
 * Parsed from the tab-separated sections the compiler writes (fields
 * escaped: \t \n \\), owned by struct polc_tables.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "loader/cleanup.h"
#include "loader/loader.h"

/* Calls fn(fields, n, ctx) per line of a metadata section (polc_meta_parse). */
typedef int (*row_fn)(char **f, size_t n, void *ctx);

struct row_adaptor {
	row_fn fn;
	void *ctx;
};

static int adapt_row(const struct polc_meta_row *row, void *ctx)
{
	const struct row_adaptor *a = ctx;
	return a->fn((char **)row->field, row->n, a->ctx);
}

static int each_row(const struct polc_artifact *rec, const char *section, row_fn fn, void *ctx)
{
	struct row_adaptor a = {fn, ctx};
	return polc_artifact_meta_rows(rec, section, adapt_row, &a);
}

static bool u32_of(const char *s, uint32_t *out)
{
	char *e;
	if (!s || !*s)
		return false;
	unsigned long v = strtoul(s, &e, 10);
	if (*e || v > UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}

static void *grow(void *p, size_t n, size_t elem)
{
	/* Doubling at powers of two: n is the count before the new element. */
	if (n & (n - 1))
		return p;
	return realloc(p, (n ? 2 * n : 8) * elem);
}

static int rule_row(char **f, size_t n, void *ctx)
{
	struct polc_tables *t = ctx;
	uint32_t id;
	if (n < 7 || !u32_of(f[0], &id))
		return 0;
	struct polc_rule_row *p = grow(t->rules, t->n_rules, sizeof(*p));
	if (!p)
		return -ENOMEM;
	t->rules = p;
	struct polc_rule_row *r = &p[t->n_rules++];
	memset(r, 0, sizeof(*r));
	r->id = id;
	/* file:line:col, the file possibly with colons of its own. */
	char *col = strrchr(f[5], ':');
	char *line = NULL;
	if (col) {
		*col = '\0';
		line = strrchr(f[5], ':');
		if (line)
			*line = '\0';
	}
	u32_of(line ? line + 1 : NULL, &r->line);
	u32_of(col ? col + 1 : NULL, &r->column);
	char *slash = strchr(f[2], '/');
	if (slash)
		*slash = '\0';
	r->kind = strdup(f[1]);
	r->namespace = strdup(slash ? f[2] : "");
	r->name = strdup(slash ? slash + 1 : f[2]);
	r->direction = strdup(f[3]);
	r->action = strdup(f[4]);
	r->file = strdup(f[5]);
	r->path = strdup(f[6]);
	r->audit = n > 7 && strcmp(f[7], "audit") == 0;
	if (!r->kind || !r->namespace || !r->name || !r->direction || !r->action || !r->file || !r->path)
		return -ENOMEM;
	return 0;
}

static int ident_row(char **f, size_t n, void *ctx)
{
	struct polc_tables *t = ctx;
	uint32_t id;
	if (n < 2 || !u32_of(f[0], &id))
		return 0;
	struct polc_ident_row *p = grow(t->idents, t->n_idents, sizeof(*p));
	if (!p)
		return -ENOMEM;
	t->idents = p;
	p[t->n_idents].id = id;
	p[t->n_idents].labels = strdup(f[1]);
	return p[t->n_idents++].labels ? 0 : -ENOMEM;
}

static int pod_row(char **f, size_t n, void *ctx)
{
	struct polc_tables *t = ctx;
	if (n < 5)
		return 0;
	struct polc_pod_row *p = grow(t->pods, t->n_pods, sizeof(*p));
	if (!p)
		return -ENOMEM;
	t->pods = p;
	struct polc_pod_row *r = &p[t->n_pods++];
	memset(r, 0, sizeof(*r));
	char *slash = strchr(f[0], '/');
	if (slash)
		*slash = '\0';
	r->namespace = strdup(slash ? f[0] : "");
	r->name = strdup(slash ? slash + 1 : f[0]);
	u32_of(f[1], &r->identity);
	u32_of(f[2], &r->endpoint_id);
	r->ifname = strdup(strcmp(f[4], "-") == 0 ? "" : f[4]);
	for (char *a = strtok(f[3], ","); a && r->n_addrs < 2; a = strtok(NULL, ",")) {
		uint8_t buf[16] = { 0 };
		if (inet_pton(AF_INET, a, buf) == 1)
			r->family[r->n_addrs] = 4;
		else if (inet_pton(AF_INET6, a, buf) == 1)
			r->family[r->n_addrs] = 6;
		else
			continue;
		memcpy(r->addr[r->n_addrs++], buf, 16);
	}
	return r->namespace && r->name && r->ifname ? 0 : -ENOMEM;
}

static int ep_row(char **f, size_t n, void *ctx)
{
	struct polc_tables *t = ctx;
	uint32_t id;
	if (n < 7 || !u32_of(f[0], &id))
		return 0;
	struct polc_ep_row *p = grow(t->eps, t->n_eps, sizeof(*p));
	if (!p)
		return -ENOMEM;
	t->eps = p;
	struct polc_ep_row *r = &p[t->n_eps++];
	memset(r, 0, sizeof(*r));
	r->id = id;
	r->ifname = strdup(f[1]);
	char *slash = strchr(f[2], '/');
	if (slash)
		*slash = '\0';
	r->namespace = strdup(slash ? f[2] : "");
	r->name = strdup(slash ? slash + 1 : f[2]);
	u32_of(f[3], &r->identity);
	u32_of(f[4], &r->policy[0]);
	u32_of(f[5], &r->policy[1]);
	u32_of(f[6], &r->flags);
	return r->ifname && r->namespace && r->name ? 0 : -ENOMEM;
}

static int ident_cmp(const void *a, const void *b)
{
	uint32_t x = ((const struct polc_ident_row *)a)->id, y = ((const struct polc_ident_row *)b)->id;
	return x < y ? -1 : x > y;
}

void polc_tables_free(struct polc_tables *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n_rules; i++) {
		struct polc_rule_row *r = &t->rules[i];
		free(r->kind), free(r->namespace), free(r->name), free(r->direction), free(r->action), free(r->file),
			free(r->path);
	}
	for (size_t i = 0; i < t->n_idents; i++)
		free(t->idents[i].labels);
	for (size_t i = 0; i < t->n_pods; i++)
		free(t->pods[i].namespace), free(t->pods[i].name), free(t->pods[i].ifname);
	for (size_t i = 0; i < t->n_eps; i++)
		free(t->eps[i].ifname), free(t->eps[i].namespace), free(t->eps[i].name);
	free(t->rules);
	free(t->idents);
	free(t->pods);
	free(t->eps);
	free(t);
}

int polc_tables_load(const struct polc_artifact *rec, struct polc_tables **out, struct polc_error *err)
{
	struct polc_tables *t = calloc(1, sizeof(*t));
	if (!t)
		return polc_errf(err, -ENOMEM, "out of memory");
	polc_record_info_u64(rec, "revision", 16, &t->revision);
	polc_record_info_u64(rec, "base_revision", 16, &t->base_revision);
	int rc = each_row(rec, "meta/rules", rule_row, t);
	if (!rc)
		rc = each_row(rec, "meta/identities", ident_row, t);
	if (!rc)
		rc = each_row(rec, "meta/pods", pod_row, t);
	if (!rc)
		rc = each_row(rec, "meta/endpoints", ep_row, t);
	if (rc) {
		polc_tables_free(t);
		return polc_errf(err, rc, "cannot read the live state's tables: %s", strerror(-rc));
	}
	if (t->n_idents > 1)
		qsort(t->idents, t->n_idents, sizeof(*t->idents), ident_cmp);
	*out = t;
	return 0;
}

const struct polc_rule_row *polc_tables_rule(const struct polc_tables *t, uint32_t id)
{
	/* Rule ids are dense and in order: the index, checked. */
	if (id < t->n_rules && t->rules[id].id == id)
		return &t->rules[id];
	for (size_t i = 0; i < t->n_rules; i++)
		if (t->rules[i].id == id)
			return &t->rules[i];
	return NULL;
}

const char *polc_tables_labels(const struct polc_tables *t, uint32_t identity)
{
	struct polc_ident_row key = { .id = identity };
	const struct polc_ident_row *r = bsearch(&key, t->idents, t->n_idents, sizeof(key), ident_cmp);
	return r ? r->labels : NULL;
}

const struct polc_pod_row *polc_tables_pod_by_addr(const struct polc_tables *t, uint8_t family, const uint8_t *addr)
{
	size_t len = family == 4 ? 4 : 16;
	for (size_t i = 0; i < t->n_pods; i++)
		for (size_t a = 0; a < t->pods[i].n_addrs; a++)
			if (t->pods[i].family[a] == family && memcmp(t->pods[i].addr[a], addr, len) == 0)
				return &t->pods[i];
	return NULL;
}

const struct polc_ep_row *polc_tables_endpoint(const struct polc_tables *t, uint32_t endpoint_id)
{
	for (size_t i = 0; i < t->n_eps; i++)
		if (t->eps[i].id == endpoint_id)
			return &t->eps[i];
	return NULL;
}
