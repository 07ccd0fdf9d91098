/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Test artifacts for the loader: see testart.h. */
#include "testart.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "embedded.h"
#include "polc/artifact.h"
#include "polc/layout.h"

extern const struct embedded_file polc_test_fixtures[];

const void *polc_test_fixture(const char *name, size_t *size)
{
	char file[64];
	snprintf(file, sizeof(file), "%s.bpf.o", name);
	const struct embedded_file *f = embedded_find(polc_test_fixtures, file);
	if (!f)
		return NULL;
	*size = f->size;
	return f->data;
}

static int cmp_key(const void *a, const void *b, void *key_size)
{
	return memcmp(a, b, *(size_t *)key_size);
}

/* A map section: header, then (key, value) pairs sorted by key bytes. */
static int add_map(struct polc_artifact_writer *w, const struct polc_test_art *s, const char *map, uint32_t key_size,
		   uint32_t value_size, uint32_t max_entries, void *pairs, uint32_t n, uint64_t *hash)
{
	size_t pair = (size_t)key_size + value_size, ks = key_size;
	if (n)
		qsort_r(pairs, n, pair, cmp_key, &ks);
	size_t size = sizeof(struct polc_artifact_map) + n * pair;
	uint8_t *buf = calloc(1, size);
	if (!buf)
		return -ENOMEM;
	struct polc_artifact_map hdr = { key_size, value_size, n, max_entries };
	memcpy(buf, &hdr, sizeof(hdr));
	if (n)
		memcpy(buf + sizeof(hdr), pairs, n * pair);
	char name[POLC_ARTIFACT_NAME_MAX];
	snprintf(name, sizeof(name), "map/%s", map);
	*hash = polc_hash64(buf, size, *hash);
	/* The spec's extra section replaces a standard one of the same name. */
	int rc = s->extra_name && strcmp(s->extra_name, name) == 0 ? 0 : polc_artifact_add(w, name, buf, size);
	free(buf);
	return rc;
}

static int build(struct polc_artifact_writer *w, const struct polc_test_art *s)
{
	uint64_t hash = POLC_HASH_SEED;
	int rc;
	size_t gen_size = s->gen_size;
	const void *gen = s->gen ? s->gen : polc_test_fixture(s->fixture, &gen_size);
	if (!gen)
		return -ENOENT;
	hash = polc_hash64(gen, gen_size, hash);
	bool own_gen = s->extra_name && strcmp(s->extra_name, "bpf/gen.o") == 0;
	if (!(s->omit & POLC_TEST_OMIT_GEN) && !own_gen && (rc = polc_artifact_add(w, "bpf/gen.o", gen, gen_size)))
		return rc;

	struct {
		struct polc_ipcache_key k;
		struct polc_ipcache_value v;
	} ipc[s->n_ipcache + 1];
	memset(ipc, 0, sizeof(ipc));
	for (size_t i = 0; i < s->n_ipcache; i++) {
		ipc[i].k.family = POLC_AF_INET;
		ipc[i].k.prefixlen = 32;
		memcpy(ipc[i].k.addr, s->ipcache[i].addr, 4);
		ipc[i].v.identity = s->ipcache[i].identity;
	}
	if ((rc = add_map(w, s, POLC_MAP_IPCACHE, sizeof(ipc[0].k), sizeof(ipc[0].v), 1024, ipc,
			  (uint32_t)s->n_ipcache, &hash)))
		return rc;

	/* A few port classes, as a policy naming TCP 80 and 443 would have. */
	struct {
		__u32 k;
		struct polc_port_classes v;
	} ports[2] = { { POLC_PSLOT_TCP * POLC_PORT_SLOT_SIZE + 80 / 4, { { 1, 0, 0, 0 } } },
		       { POLC_PSLOT_TCP * POLC_PORT_SLOT_SIZE + 443 / 4, { { 0, 0, 0, 2 } } } };
	if ((rc = add_map(w, s, POLC_MAP_PORTS, sizeof(__u32), sizeof(struct polc_port_classes), POLC_PORTS_ENTRIES,
			  ports, 2, &hash)))
		return rc;

	struct {
		struct polc_policy_key k;
		struct polc_policy_value v;
	} pol[s->n_policies + 1];
	memset(pol, 0, sizeof(pol));
	for (size_t i = 0; i < s->n_policies; i++) {
		pol[i].k.policy = s->policies[i].policy;
		pol[i].k.peer = s->policies[i].peer;
		pol[i].v.rule = (uint32_t)i + 1;
		pol[i].v.action = s->policies[i].action;
	}
	if (!(s->omit & POLC_TEST_OMIT_POLICY_MAP) &&
	    (rc = add_map(w, s, POLC_MAP_POLICY, sizeof(pol[0].k), sizeof(pol[0].v), (uint32_t)s->n_policies + 16, pol,
			  (uint32_t)s->n_policies, &hash)))
		return rc;
	if ((rc = add_map(w, s, POLC_MAP_RULE_STATS, sizeof(__u32), sizeof(struct polc_rule_stats), 16, NULL, 0, &hash)))
		return rc;

	char *eps = NULL;
	size_t eps_len = 0;
	FILE *f = open_memstream(&eps, &eps_len);
	if (!f)
		return -ENOMEM;
	for (size_t i = 0; i < s->n_eps; i++)
		fprintf(f, "%zu\t%s\tdefault/pod-%s\t%zu\t%u\t%u\t%u\n", i + 1, s->eps[i].ifname, s->eps[i].ifname,
			POLC_ID_FIRST_DYNAMIC + i, s->eps[i].policy_ingress, s->eps[i].policy_egress,
			s->eps[i].flags);
	fclose(f);
	hash = polc_hash64(eps, eps_len, hash);
	rc = s->omit & POLC_TEST_OMIT_ENDPOINTS ? 0 : polc_artifact_add(w, "meta/endpoints", eps, eps_len);
	free(eps);
	if (rc)
		return rc;

	char info[256];
	uint64_t revision = s->revision ? s->revision : hash;
	int n = snprintf(info, sizeof(info), "format=%u\nlayout=%u\n%s%016llx\nendpoints_max=%u\n",
			 POLC_ARTIFACT_FORMAT, POLC_LAYOUT_VERSION,
			 s->omit & POLC_TEST_OMIT_REVISION ? "norevision=" : "revision=",
			 (unsigned long long)revision, s->endpoints_max ? s->endpoints_max : 64);
	if ((rc = polc_artifact_add(w, "meta/info", info, (size_t)n)))
		return rc;
	if (s->extra_name && (rc = polc_artifact_add(w, s->extra_name, s->extra_data, s->extra_size)))
		return rc;
	return 0;
}

int polc_test_artifact(const struct polc_test_art *spec, void **out, size_t *out_size)
{
	struct polc_artifact_writer *w = polc_artifact_writer_new();
	if (!w)
		return -ENOMEM;
	int rc = build(w, spec);
	if (rc == 0)
		rc = polc_artifact_serialize(w, out, out_size);
	polc_artifact_writer_free(w);
	return rc;
}
