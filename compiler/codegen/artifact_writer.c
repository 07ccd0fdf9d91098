/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Packs one compilation into the artifact (polc/artifact.h): the BPF
 * object, the initial contents of every generation map, and the metadata
 * the loader and `polc inspect` need (endpoints to attach, the rule and
 * identity tables that map numbers back to YAML). The revision is a hash
 * of everything else, so the same input always yields the same revision
 * and loading it twice is recognisably a no-op.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "polc/artifact.h"

#include "codegen.h"

/* Tab-separated metadata: keep fields free of separators. */
static void put_field(struct strbuf *sb, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '\t': strbuf_puts(sb, "\\t"); break;
		case '\n': strbuf_puts(sb, "\\n"); break;
		case '\\': strbuf_puts(sb, "\\\\"); break;
		default: strbuf_putc(sb, *s);
		}
	}
}

static int add_map(struct polc_artifact_writer *w, const char *name, uint32_t key_size, uint32_t value_size,
		   uint32_t max_entries, const void *entries, size_t n_entries, size_t stride, size_t value_offset)
{
	struct strbuf sb = STRBUF_INIT;
	struct polc_artifact_map hdr = {key_size, value_size, (uint32_t)n_entries, max_entries};
	strbuf_append(&sb, (const char *)&hdr, sizeof(hdr));
	const uint8_t *p = entries;
	for (size_t i = 0; i < n_entries; i++) {
		strbuf_append(&sb, (const char *)(p + i * stride), key_size);
		strbuf_append(&sb, (const char *)(p + i * stride + value_offset), value_size);
	}
	char section[POLC_ARTIFACT_NAME_MAX];
	snprintf(section, sizeof(section), "map/%s", name);
	int err = strbuf_error(&sb);
	if (!err)
		err = polc_artifact_add(w, section, sb.data, sb.len);
	strbuf_free(&sb);
	return err;
}

/* polc_ports holds only the non-zero slots: an array map starts zeroed. */
static int add_ports(struct polc_artifact_writer *w, const struct ir_datapath *dp)
{
	struct port_entry {
		uint32_t index;
		struct polc_port_classes value;
	};
	size_t n = 0;
	struct port_entry *entries = calloc(POLC_PORTS_ENTRIES, sizeof(*entries));
	if (!entries)
		return -ENOMEM;
	for (uint32_t slot = 0; slot < POLC_NR_PSLOTS; slot++) {
		for (uint32_t i = 0; i < POLC_PORT_SLOT_SIZE; i++) {
			struct polc_port_classes v;
			bool any = false;
			for (int k = 0; k < 4; k++) {
				v.cls[k] = dp->ports->cls[slot][i * 4 + k];
				any |= v.cls[k] != 0;
			}
			if (any)
				entries[n++] = (struct port_entry){slot * POLC_PORT_SLOT_SIZE + i, v};
		}
	}
	int err = add_map(w, POLC_MAP_PORTS, sizeof(uint32_t), sizeof(struct polc_port_classes), POLC_PORTS_ENTRIES,
			  entries, n, sizeof(*entries), offsetof(struct port_entry, value));
	free(entries);
	return err;
}

static int add_text(struct polc_artifact_writer *w, const char *name, struct strbuf *sb)
{
	int err = strbuf_error(sb);
	if (!err)
		err = polc_artifact_add(w, name, sb->data ? sb->data : "", sb->len);
	strbuf_free(sb);
	return err;
}

static int add_endpoints(struct polc_artifact_writer *w, const struct ir_datapath *dp)
{
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = 0; i < dp->endpoints.len; i++) {
		const struct dp_endpoint *ep = &dp->endpoints.items[i];
		strbuf_printf(&sb, "%u\t", ep->endpoint_id);
		put_field(&sb, ep->pod->interface);
		strbuf_putc(&sb, '\t');
		put_field(&sb, ep->pod->namespace);
		strbuf_putc(&sb, '/');
		put_field(&sb, ep->pod->name);
		strbuf_printf(&sb, "\t%u\t%u\t%u\t%u\n", ep->identity, ep->policy[0], ep->policy[1], ep->flags);
	}
	return add_text(w, "meta/endpoints", &sb);
}

static int add_rules(struct polc_artifact_writer *w, const struct ir_program *prog, const struct source_set *sources)
{
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = 0; i < prog->rules.len; i++) {
		const struct ir_rule *r = prog->rules.items[i];
		const struct ir_policy *p = r->policy;
		strbuf_printf(&sb, "%u\t%s\t", r->id, ir_policy_kind_name(p->kind));
		if (p->namespace) {
			put_field(&sb, p->namespace);
			strbuf_putc(&sb, '/');
		}
		put_field(&sb, p->name);
		strbuf_printf(&sb, "\t%s\t%s\t", ir_dir_name(r->dir), r->action == IR_DENY ? "deny" : "allow");
		put_field(&sb, source_name(sources, r->loc.file));
		strbuf_printf(&sb, ":%u:%u\t", r->loc.line, r->loc.col);
		put_field(&sb, r->path);
		strbuf_printf(&sb, "\t%s\n", p->audit ? "audit" : "enforce");
	}
	return add_text(w, "meta/rules", &sb);
}

static int add_identities(struct polc_artifact_writer *w, const struct ir_datapath *dp)
{
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = 0; i < dp->identities.len; i++) {
		strbuf_printf(&sb, "%u\t", dp->identities.items[i].id);
		put_field(&sb, dp->identities.items[i].key);
		strbuf_putc(&sb, '\n');
	}
	return add_text(w, "meta/identities", &sb);
}

static uint64_t hash_sections(const void *art, size_t size)
{
	/* Everything but meta/info, which is added after and carries the result. */
	return polc_hash64(art, size, POLC_HASH_SEED);
}

int codegen_artifact(const struct ir_program *prog, const struct ir_datapath *dp, const struct source_set *sources,
		     const struct codegen_sizes *sizes, const void *obj, size_t obj_size, void **out, size_t *out_size)
{
	struct polc_artifact_writer *w = polc_artifact_writer_new();
	if (!w)
		return -ENOMEM;
	int err = polc_artifact_add(w, "bpf/gen.o", obj, obj_size);
	if (!err)
		err = add_map(w, POLC_MAP_IPCACHE, sizeof(struct polc_ipcache_key), sizeof(struct polc_ipcache_value),
			      sizes->ipcache, dp->ipcache.items, dp->ipcache.len, sizeof(struct dp_ipcache_entry),
			      offsetof(struct dp_ipcache_entry, value));
	if (!err)
		err = add_map(w, POLC_MAP_POLICY, sizeof(struct polc_policy_key), sizeof(struct polc_policy_value),
			      sizes->policy, dp->entries.items, dp->entries.len, sizeof(struct dp_policy_entry),
			      offsetof(struct dp_policy_entry, value));
	if (!err)
		err = add_map(w, POLC_MAP_RULE_STATS, sizeof(uint32_t), sizeof(struct polc_rule_stats), sizes->rules,
			      NULL, 0, 0, 0);
	if (!err)
		err = add_ports(w, dp);
	if (!err)
		err = add_endpoints(w, dp);
	if (!err)
		err = add_rules(w, prog, sources);
	if (!err)
		err = add_identities(w, dp);

	void *body = NULL;
	size_t body_size = 0;
	if (!err)
		err = polc_artifact_serialize(w, &body, &body_size);
	if (!err) {
		struct strbuf info = STRBUF_INIT;
		strbuf_printf(&info, "polc_version=%s\nlayout=%u\nrevision=%016" PRIx64 "\n", POLC_VERSION,
			      POLC_LAYOUT_VERSION, hash_sections(body, body_size));
		strbuf_printf(&info, "endpoints_max=%u\nendpoints=%zu\nrules=%zu\nidentities=%zu\n", sizes->endpoints,
			      dp->endpoints.len, prog->rules.len, dp->identities.len);
		strbuf_printf(&info, "policy_entries=%zu\nipcache_entries=%zu\n", dp->entries.len, dp->ipcache.len);
		err = add_text(w, "meta/info", &info);
	}
	free(body);
	if (!err)
		err = polc_artifact_serialize(w, out, out_size);
	polc_artifact_writer_free(w);
	return err;
}
