/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * polc inspect: what an artifact holds, in words. With --maps, every
 * policy map entry is decoded (peer identity and its labels, protocol
 * and the ports of its class) and traced back to the rule that produced
 * it, file:line included.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "polc/artifact.h"
#include "polc/layout.h"

#include "cli.h"

/* A metadata section as rows of unescaped fields. */
struct meta_table {
	char ***rows; /* rows[i][j], NULL-terminated per row */
	size_t n_rows, cap;
};

static void meta_free(struct meta_table *t)
{
	for (size_t i = 0; i < t->n_rows; i++) {
		for (char **f = t->rows[i]; f && *f; f++)
			free(*f);
		free(t->rows[i]);
	}
	free(t->rows);
}

static int keep_row(const struct polc_meta_row *row, void *ctx)
{
	struct meta_table *t = ctx;
	if (t->n_rows == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		char ***rows = realloc(t->rows, cap * sizeof(*rows));
		if (!rows)
			return -1;
		t->rows = rows;
		t->cap = cap;
	}
	char **fields = calloc(row->n + 1, sizeof(char *));
	if (!fields)
		return -1;
	t->rows[t->n_rows++] = fields;
	for (size_t i = 0; i < row->n; i++)
		if (!(fields[i] = strdup(row->field[i])))
			return -1;
	return 0;
}

static int meta_load(const struct polc_artifact *a, const char *section, struct meta_table *t)
{
	memset(t, 0, sizeof(*t));
	return polc_artifact_meta_rows(a, section, keep_row, t) ? -1 : 0;
}

static const char *field(const struct meta_table *t, size_t row, size_t col)
{
	if (row >= t->n_rows)
		return "?";
	for (size_t i = 0; i <= col; i++)
		if (!t->rows[row][i])
			return "";
	return t->rows[row][col];
}

/* Row whose first field is the number id (tables are written in id order, but look anyway). */
static ssize_t find_row(const struct meta_table *t, uint32_t id)
{
	for (size_t i = 0; i < t->n_rows; i++)
		if (strtoul(field(t, i, 0), NULL, 10) == id)
			return (ssize_t)i;
	return -1;
}

static const char *proto_name(uint8_t proto)
{
	switch (proto) {
	case 0: return "any";
	case 1: return "ICMP";
	case 6: return "TCP";
	case 17: return "UDP";
	case 58: return "ICMPv6";
	case 132: return "SCTP";
	}
	return "?";
}

static int proto_slot(uint8_t proto)
{
	switch (proto) {
	case 6: return POLC_PSLOT_TCP;
	case 17: return POLC_PSLOT_UDP;
	case 132: return POLC_PSLOT_SCTP;
	case 1: return POLC_PSLOT_ICMP;
	case 58: return POLC_PSLOT_ICMPV6;
	}
	return -1;
}

/* The port ranges of a class, from the sparse polc_ports contents. */
static void print_class_ports(const struct polc_map_view *ports, int slot, uint16_t cls)
{
	uint16_t *table = calloc(65536, sizeof(uint16_t));
	if (!table)
		return;
	size_t stride = ports->key_size + ports->value_size;
	for (uint32_t i = 0; i < ports->n_entries; i++) {
		uint32_t index;
		struct polc_port_classes v;
		memcpy(&index, ports->entries + i * stride, sizeof(index));
		memcpy(&v, ports->entries + i * stride + ports->key_size, sizeof(v));
		if (index / POLC_PORT_SLOT_SIZE != (uint32_t)slot)
			continue;
		for (int k = 0; k < 4; k++)
			table[(index % POLC_PORT_SLOT_SIZE) * 4 + k] = v.cls[k];
	}
	bool first = true;
	for (uint32_t p = 0; p < 65536; p++) {
		if (table[p] != cls)
			continue;
		uint32_t end = p;
		while (end + 1 < 65536 && table[end + 1] == cls)
			end++;
		printf("%s%u", first ? "" : ",", p);
		if (end != p)
			printf("-%u", end);
		first = false;
		p = end;
	}
	free(table);
}

static void print_addr(uint8_t family, uint8_t plen, const uint8_t *addr)
{
	char buf[INET6_ADDRSTRLEN];
	inet_ntop(family == POLC_AF_INET ? AF_INET : AF_INET6, addr, buf, sizeof(buf));
	printf("%s/%u", buf, plen);
}

static void print_maps(const struct polc_artifact *a, const struct meta_table *rules,
		       const struct meta_table *identities)
{
	struct polc_map_view policy, ports, ipcache;
	if (polc_artifact_map_view(a, POLC_MAP_IPCACHE, &ipcache) == 0) {
		printf("\nipcache (%u entries):\n", ipcache.n_entries);
		size_t stride = ipcache.key_size + ipcache.value_size;
		for (uint32_t i = 0; i < ipcache.n_entries; i++) {
			struct polc_ipcache_key k;
			struct polc_ipcache_value v;
			memcpy(&k, ipcache.entries + i * stride, sizeof(k));
			memcpy(&v, ipcache.entries + i * stride + sizeof(k), sizeof(v));
			printf("  ");
			print_addr(k.family, k.prefixlen, k.addr);
			printf("  identity %u", v.identity);
			if (v.cidr_class)
				printf("  cidr class %u", v.cidr_class);
			printf("\n");
		}
	}
	if (polc_artifact_map_view(a, POLC_MAP_POLICY, &policy) != 0 ||
	    polc_artifact_map_view(a, POLC_MAP_PORTS, &ports) != 0)
		return;
	printf("\npolicy entries (%u):\n", policy.n_entries);
	size_t stride = policy.key_size + policy.value_size;
	for (uint32_t i = 0; i < policy.n_entries; i++) {
		struct polc_policy_key k;
		struct polc_policy_value v;
		memcpy(&k, policy.entries + i * stride, sizeof(k));
		memcpy(&v, policy.entries + i * stride + sizeof(k), sizeof(v));
		printf("  policy %u  ", k.policy);
		if (k.peer == POLC_PEER_ANY) {
			printf("from/to any");
		} else if ((k.peer & POLC_PEER_KIND_MASK) == POLC_PEER_CIDR) {
			printf("cidr class %u", k.peer & ~POLC_PEER_CIDR);
		} else if ((k.peer & POLC_PEER_KIND_MASK) == POLC_PEER_FQDN) {
			/* The selector's hash: --dump=dp of the compilation names it. */
			printf("toFQDNs selector %08x", k.peer & ~POLC_PEER_KIND_MASK);
		} else {
			ssize_t row = find_row(identities, k.peer);
			printf("identity %u (%s)", k.peer, row >= 0 ? field(identities, (size_t)row, 1) : "?");
		}
		printf("  %s", proto_name(k.proto));
		int slot = proto_slot(k.proto);
		const char *unit = k.proto == 1 || k.proto == 58 ? "type" : "port";
		if (k.proto && k.port_kind == POLC_PORT_ANY) {
			printf(" all %ss", unit);
		} else if (k.port_kind == POLC_PORT_EXACT) {
			printf(" %s %u", unit, k.port);
		} else if (slot >= 0) {
			printf(" %ss ", unit);
			print_class_ports(&ports, slot, k.port);
		}
		ssize_t row = find_row(rules, v.rule);
		printf("  -> %s  rule %u", v.action == POLC_ACT_DENY ? "deny" : "allow", v.rule);
		if (row >= 0)
			printf(" (%s %s, %s %s)", field(rules, (size_t)row, 1), field(rules, (size_t)row, 2),
			       field(rules, (size_t)row, 5), field(rules, (size_t)row, 6));
		printf("\n");
	}
}

static void print_section_text(const struct polc_artifact *a, const char *name)
{
	size_t size;
	const char *p = polc_artifact_section(a, name, &size);
	if (p)
		fwrite(p, 1, size, stdout);
}

int cmd_inspect(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"maps", no_argument, NULL, 'm'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	bool maps = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "mh", longopts, NULL)) != -1) {
		switch (c) {
		case 'm':
			maps = true;
			break;
		case 'h':
			printf("usage: polc inspect [--maps] ARTIFACT\n");
			return 0;
		default:
			fprintf(stderr, "usage: polc inspect [--maps] ARTIFACT\n");
			return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "usage: polc inspect [--maps] ARTIFACT\n");
		return EXIT_USAGE;
	}
	struct polc_artifact *a = NULL;
	char err[512];
	if (polc_artifact_read(argv[optind], &a, err, sizeof(err)) != 0) {
		fprintf(stderr, "polc inspect: %s\n", err);
		return EXIT_USAGE;
	}
	printf("artifact %s (%zu bytes)\n", argv[optind], a->size);
	print_section_text(a, "meta/info");
	printf("\nsections:\n");
	for (uint32_t i = 0; i < a->header->n_sections; i++)
		printf("  %-24s %10" PRIu64 " bytes\n", a->sections[i].name, a->sections[i].size);

	struct meta_table endpoints, rules, identities;
	int rc = meta_load(a, "meta/endpoints", &endpoints) | meta_load(a, "meta/rules", &rules) |
		 meta_load(a, "meta/identities", &identities);
	if (rc == 0) {
		printf("\nendpoints (%zu):\n", endpoints.n_rows);
		for (size_t i = 0; i < endpoints.n_rows; i++) {
			uint32_t flags = (uint32_t)strtoul(field(&endpoints, i, 6), NULL, 10);
			printf("  %s  %-20s if %-15s identity %s  ingress policy %s%s  egress policy %s%s\n",
			       field(&endpoints, i, 0), field(&endpoints, i, 2), field(&endpoints, i, 1),
			       field(&endpoints, i, 3), field(&endpoints, i, 4),
			       flags & POLC_EP_ENFORCE_INGRESS ? " (isolated)"
			       : flags & POLC_EP_AUDIT_INGRESS ? " (audit)" : "",
			       field(&endpoints, i, 5),
			       flags & POLC_EP_ENFORCE_EGRESS ? " (isolated)"
			       : flags & POLC_EP_AUDIT_EGRESS ? " (audit)" : "");
		}
		printf("\nrules (%zu):\n", rules.n_rows);
		for (size_t i = 0; i < rules.n_rows; i++)
			printf("  %4s  %-7s %-5s %s %s  %s %s\n", field(&rules, i, 0), field(&rules, i, 3),
			       field(&rules, i, 4), field(&rules, i, 1), field(&rules, i, 2), field(&rules, i, 5),
			       field(&rules, i, 6));
		printf("\nidentities (%zu):\n", identities.n_rows);
		for (size_t i = 0; i < identities.n_rows; i++)
			printf("  %6s  %s\n", field(&identities, i, 0), field(&identities, i, 1));
		if (maps)
			print_maps(a, &rules, &identities);
	}
	meta_free(&endpoints);
	meta_free(&rules);
	meta_free(&identities);
	polc_artifact_free(a);
	if (rc != 0) {
		fprintf(stderr, "polc inspect: out of memory\n");
		return EXIT_USAGE;
	}
	return 0;
}
