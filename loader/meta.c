/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The artifact's text metadata as the loader needs it: the revision and
 * endpoint table size from meta/info, and the local endpoints from
 * meta/endpoints, resolved to interfaces of this node. The artifact is
 * input from elsewhere: every field is checked before it reaches a map.
 */
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loader/cleanup.h"
#include "loader/loader.h"

static int parse_u32(const char *s, size_t len, uint32_t *out)
{
	if (len == 0 || len > 10)
		return -EINVAL;
	uint64_t v = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (len > 1 && s[0] == '0')
		return -EINVAL; /* one spelling per number: the artifact is deterministic */
	if (v > UINT32_MAX)
		return -ERANGE;
	*out = (uint32_t)v;
	return 0;
}

static int parse_hex64(const char *s, uint64_t *out)
{
	if (strlen(s) != 16)
		return -EINVAL;
	uint64_t v = 0;
	for (int i = 0; i < 16; i++) {
		char c = s[i];
		unsigned d;
		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return -EINVAL;
		v = v << 4 | d;
	}
	*out = v;
	return 0;
}

int polc_meta_read(const struct polc_artifact *a, struct polc_art_meta *out, struct polc_error *err)
{
	char buf[64];
	struct polc_art_meta m = { 0 };

	int rc = polc_artifact_info(a, "revision", buf, sizeof(buf));
	if (rc == -ENOENT)
		return polc_errf(err, -EINVAL, "artifact has no revision in meta/info");
	if (rc || parse_hex64(buf, &m.revision))
		return polc_errf(err, -EINVAL, "artifact meta/info: revision must be 16 hex digits");

	rc = polc_artifact_info(a, "endpoints_max", buf, sizeof(buf));
	if (rc == -ENOENT)
		return polc_errf(err, -EINVAL, "artifact has no endpoints_max in meta/info");
	if (rc || parse_u32(buf, strlen(buf), &m.endpoints_max) || m.endpoints_max == 0 ||
	    m.endpoints_max > POLC_ENDPOINTS_LIMIT)
		return polc_errf(err, -EINVAL, "artifact meta/info: endpoints_max must be a number in 1..%u",
				 POLC_ENDPOINTS_LIMIT);
	*out = m;
	return 0;
}

void polc_eps_free(struct polc_eps *eps)
{
	if (!eps)
		return;
	free(eps->v);
	eps->v = NULL;
	eps->n = 0;
}

#define EP_FIELDS 7

static bool valid_ifname(const char *s, size_t len)
{
	if (len == 0 || len >= POLC_IFNAME_MAX)
		return false;
	if ((len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.'))
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[i] == '/' || s[i] == ':' || s[i] <= ' ' || s[i] == 0x7f)
			return false;
	return true;
}

static bool valid_pod(const char *s, size_t len)
{
	if (len >= POLC_POD_NAME_MAX)
		return false;
	const char *slash = memchr(s, '/', len);
	if (!slash || slash == s || slash == s + len - 1)
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[i] <= ' ' || s[i] == 0x7f)
			return false;
	return memchr(slash + 1, '/', len - (size_t)(slash + 1 - s)) == NULL;
}

/*
 * The compiler escapes tab, newline and backslash in text fields as \t,
 * \n and \\. Returns the unescaped length, or size (too long: invalid)
 * if it does not fit in out with its NUL.
 */
static size_t unescape(const char *s, size_t len, char *out, size_t size)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (c == '\\' && i + 1 < len) {
			char e = s[++i];
			c = e == 't' ? '\t' : e == 'n' ? '\n' : e;
		}
		if (n + 1 >= size)
			return size;
		out[n++] = c;
	}
	out[n] = '\0';
	return n;
}

/* One line, already cut at its newline. */
static int parse_ep_line(const char *line, size_t len, unsigned lineno, struct polc_ep *ep, struct polc_error *err)
{
	const char *field[EP_FIELDS];
	size_t flen[EP_FIELDS];
	size_t nf = 0;
	const char *p = line, *end = line + len;
	while (nf < EP_FIELDS) {
		const char *tab = memchr(p, '\t', (size_t)(end - p));
		const char *fe = tab ? tab : end;
		field[nf] = p;
		flen[nf] = (size_t)(fe - p);
		nf++;
		if (!tab)
			break;
		p = tab + 1;
	}
	if (nf != EP_FIELDS || field[EP_FIELDS - 1] + flen[EP_FIELDS - 1] != end)
		return polc_errf(err, -EINVAL,
				 "artifact meta/endpoints line %u: expected 7 tab-separated fields "
				 "(endpoint_id ifname namespace/pod identity policy_ingress policy_egress flags)",
				 lineno);

	memset(ep, 0, sizeof(*ep));
	char ifname[64], pod[POLC_POD_NAME_MAX];
	size_t ifname_len = unescape(field[1], flen[1], ifname, sizeof(ifname));
	size_t pod_len = unescape(field[2], flen[2], pod, sizeof(pod));
	if (parse_u32(field[0], flen[0], &ep->value.endpoint_id))
		return polc_errf(err, -EINVAL, "artifact meta/endpoints line %u: bad endpoint id", lineno);
	if (!valid_ifname(ifname, ifname_len))
		return polc_errf(err, -EINVAL, "artifact meta/endpoints line %u: bad interface name '%.*s'", lineno,
				 (int)(flen[1] > 64 ? 64 : flen[1]), field[1]);
	memcpy(ep->ifname, ifname, ifname_len);
	if (!valid_pod(pod, pod_len))
		return polc_errf(err, -EINVAL, "artifact meta/endpoints line %u: bad pod name (want namespace/name)",
				 lineno);
	memcpy(ep->pod, pod, pod_len);
	if (parse_u32(field[3], flen[3], &ep->value.identity) || ep->value.identity > POLC_ID_MAX)
		return polc_errf(err, -EINVAL, "artifact meta/endpoints line %u (%s): bad identity", lineno, ep->pod);
	if (parse_u32(field[4], flen[4], &ep->value.policy[POLC_DIR_INGRESS]) ||
	    parse_u32(field[5], flen[5], &ep->value.policy[POLC_DIR_EGRESS]))
		return polc_errf(err, -EINVAL, "artifact meta/endpoints line %u (%s): bad policy id", lineno, ep->pod);
	uint32_t known = POLC_EP_ENFORCE_INGRESS | POLC_EP_ENFORCE_EGRESS | POLC_EP_AUDIT_INGRESS |
			 POLC_EP_AUDIT_EGRESS;
	if (parse_u32(field[6], flen[6], &ep->value.flags) || (ep->value.flags & ~known))
		return polc_errf(err, -EINVAL, "artifact meta/endpoints line %u (%s): bad or unknown flags", lineno,
				 ep->pod);
	return 0;
}

static int cmp_ifname(const void *a, const void *b)
{
	const struct polc_ep *const *x = a, *const *y = b;
	return strcmp((*x)->ifname, (*y)->ifname);
}

static int cmp_endpoint_id(const void *a, const void *b)
{
	const struct polc_ep *const *x = a, *const *y = b;
	return (*x)->value.endpoint_id < (*y)->value.endpoint_id ? -1 : (*x)->value.endpoint_id > (*y)->value.endpoint_id;
}

static int cmp_ifindex(const void *a, const void *b)
{
	const struct polc_ep *const *x = a, *const *y = b;
	return (*x)->ifindex < (*y)->ifindex ? -1 : (*x)->ifindex > (*y)->ifindex;
}

/* The first pair of endpoints equal under cmp, or -ENOENT; sorting keeps it O(n log n). */
static int find_duplicate(const struct polc_eps *eps, int (*cmp)(const void *, const void *), const struct polc_ep **a,
			  const struct polc_ep **b)
{
	if (eps->n < 2)
		return -ENOENT;
	_cleanup_free_ const struct polc_ep **idx = malloc(eps->n * sizeof(*idx));
	if (!idx)
		return -ENOMEM;
	for (size_t i = 0; i < eps->n; i++)
		idx[i] = &eps->v[i];
	qsort(idx, eps->n, sizeof(*idx), cmp);
	for (size_t i = 1; i < eps->n; i++) {
		if (cmp(&idx[i - 1], &idx[i]) == 0) {
			*a = idx[i - 1];
			*b = idx[i];
			return 0;
		}
	}
	return -ENOENT;
}

int polc_eps_parse(const char *text, size_t len, uint32_t max, struct polc_eps *out, struct polc_error *err)
{
	if (len && text[len - 1] != '\n')
		return polc_errf(err, -EINVAL, "artifact meta/endpoints does not end with a newline");
	size_t lines = 0;
	for (size_t i = 0; i < len; i++)
		lines += text[i] == '\n';
	if (lines > max)
		return polc_errf(err, -EINVAL, "artifact lists %zu endpoints, more than its endpoints_max %u", lines,
				 max);

	struct polc_eps eps = { .v = calloc(lines ? lines : 1, sizeof(struct polc_ep)) };
	if (!eps.v)
		return polc_errf(err, -ENOMEM, "out of memory reading endpoints");
	const char *p = text, *end = text + len;
	int rc = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		rc = parse_ep_line(p, (size_t)(nl - p), (unsigned)eps.n + 1, &eps.v[eps.n], err);
		if (rc)
			goto fail;
		eps.n++;
		p = nl + 1;
	}
	const struct polc_ep *x, *y;
	rc = find_duplicate(&eps, cmp_ifname, &x, &y);
	if (rc == 0) {
		rc = polc_errf(err, -EINVAL, "artifact meta/endpoints: interface %s listed twice (%s, %s)", x->ifname,
			       x->pod, y->pod);
		goto fail;
	}
	rc = rc == -ENOENT ? find_duplicate(&eps, cmp_endpoint_id, &x, &y) : rc;
	if (rc == 0) {
		rc = polc_errf(err, -EINVAL, "artifact meta/endpoints: endpoint id %u listed twice (%s, %s)",
			       x->value.endpoint_id, x->pod, y->pod);
		goto fail;
	}
	if (rc != -ENOENT) {
		rc = polc_errf(err, rc, "out of memory reading endpoints");
		goto fail;
	}
	polc_eps_free(out);
	*out = eps;
	return 0;
fail:
	polc_eps_free(&eps);
	return rc;
}

int polc_resolve_netns(const char *ifname, uint32_t *ifindex, void *ctx)
{
	unsigned idx = if_nametoindex(ifname);
	if (!idx)
		return errno ? -errno : -ENODEV;
	*ifindex = idx;
	return 0;
}

int polc_eps_resolve(struct polc_eps *eps, polc_resolve_fn resolve, void *ctx, struct polc_error *err)
{
	if (!resolve)
		resolve = polc_resolve_netns;
	for (size_t i = 0; i < eps->n; i++) {
		uint32_t idx = 0;
		int rc = resolve(eps->v[i].ifname, &idx, ctx);
		if (rc == -ENODEV || rc == -ENXIO || (rc == 0 && idx == 0))
			return polc_errf(err, -ENODEV,
					 "interface %s of endpoint %s does not exist in this network namespace",
					 eps->v[i].ifname, eps->v[i].pod);
		if (rc)
			return polc_errf_sys(err, rc, "cannot resolve interface %s of endpoint %s", eps->v[i].ifname,
					     eps->v[i].pod);
		eps->v[i].ifindex = idx;
	}
	const struct polc_ep *x, *y;
	int rc = find_duplicate(eps, cmp_ifindex, &x, &y);
	if (rc == 0)
		return polc_errf(err, -EINVAL, "interfaces %s and %s are the same interface (ifindex %u)", x->ifname,
				 y->ifname, x->ifindex);
	if (rc != -ENOENT)
		return polc_errf(err, rc, "out of memory resolving endpoints");
	return 0;
}
