/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Packs one compilation into the artifact (polc/artifact.h): the BPF
 * object, the initial contents of every generation map, and the metadata
 * the loader and `polc inspect` need (endpoints to attach, the rule and
 * identity tables that map numbers back to YAML). The revision is a hash
 * of everything else, so the same input always yields the same revision
 * and loading it twice is recognisably a no-op.
 *
 * It also carries what libpolc needs to change endpoints on a live
 * datapath without clang (compiler/driver/reresolve.h): the input files
 * (source/<n>, named in meta/sources), the rule set behind every policy
 * id (meta/policies, so ids survive a re-resolution), every pod with its
 * identity and addresses (meta/pods, for events) and the switches the
 * program was compiled with (meta/switches: what it can and cannot do).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
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

void codegen_policy_signature(struct strbuf *sb, const struct dp_policy *pol)
{
	strbuf_puts(sb, ir_dir_name(pol->dir));
	for (size_t i = 0; i < pol->n_rules; i++) {
		const struct dp_applied_rule *r = &pol->rules[i];
		strbuf_printf(sb, "%s%u", i ? ";" : "|", r->rule->id);
		if (r->n_ports == 0)
			strbuf_puts(sb, ":*");
		for (size_t j = 0; j < r->n_ports; j++) {
			const struct dp_port *p = &r->ports[j];
			strbuf_printf(sb, "%s%u/", j ? "," : ":", p->proto);
			if (p->dst_name) {
				strbuf_putc(sb, '@');
				put_field(sb, p->dst_name);
			} else {
				strbuf_printf(sb, "%u-%u", p->lo, p->hi);
			}
		}
	}
}

static int add_policies(struct polc_artifact_writer *w, const struct ir_datapath *dp)
{
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = 0; i < dp->policies.len; i++) {
		strbuf_printf(&sb, "%u\t", dp->policies.items[i]->id);
		codegen_policy_signature(&sb, dp->policies.items[i]);
		strbuf_putc(&sb, '\n');
	}
	return add_text(w, "meta/policies", &sb);
}

static int pod_ptr_cmp(const void *a, const void *b)
{
	const struct ir_pod *x = *(const struct ir_pod *const *)a, *y = *(const struct ir_pod *const *)b;
	int c = strcmp(x->namespace, y->namespace);
	return c ? c : strcmp(x->name, y->name);
}

/* Every pod with its identity: addresses back to pods, for events. */
static int add_pods(struct polc_artifact_writer *w, const struct ir_program *prog, const struct ir_datapath *dp)
{
	const struct ir_pod **pods = calloc(prog->pods.len + 1, sizeof(*pods));
	uint32_t *ep_of = calloc(prog->pods.len + 1, sizeof(*ep_of));
	if (!pods || !ep_of) {
		free(pods);
		free(ep_of);
		return -ENOMEM;
	}
	for (size_t e = 0; e < dp->endpoints.len; e++)
		ep_of[dp->endpoints.items[e].pod - prog->pods.items] = dp->endpoints.items[e].endpoint_id;
	size_t n = 0;
	for (size_t i = 0; i < prog->pods.len; i++)
		if (!prog->pods.items[i].host_network && dp->pod_identity && dp->pod_identity[i])
			pods[n++] = &prog->pods.items[i];
	if (n > 1)
		qsort(pods, n, sizeof(*pods), pod_ptr_cmp);
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = 0; i < n; i++) {
		const struct ir_pod *pod = pods[i];
		uint32_t endpoint_id = ep_of[pod - prog->pods.items];
		put_field(&sb, pod->namespace);
		strbuf_putc(&sb, '/');
		put_field(&sb, pod->name);
		strbuf_printf(&sb, "\t%u\t%u\t", dp->pod_identity[pod - prog->pods.items], endpoint_id);
		for (size_t a = 0; a < pod->n_addrs; a++) {
			char buf[64];
			ir_cidr_str(&pod->addrs[a], buf, sizeof(buf));
			char *slash = strchr(buf, '/');
			if (slash)
				*slash = '\0';
			strbuf_printf(&sb, "%s%s", a ? "," : "", buf);
		}
		strbuf_putc(&sb, '\t');
		put_field(&sb, pod->interface ? pod->interface : "-");
		strbuf_putc(&sb, '\n');
	}
	free(pods);
	free(ep_of);
	return add_text(w, "meta/pods", &sb);
}

/* The input files, as the front end read them, for re-resolution without clang. */
static int add_sources(struct polc_artifact_writer *w, const struct source_set *sources)
{
	struct strbuf index = STRBUF_INIT;
	int err = 0;
	for (size_t i = 0; i < sources->files.len && !err; i++) {
		const struct src_file *f = &sources->files.items[i];
		char name[POLC_ARTIFACT_NAME_MAX];
		snprintf(name, sizeof(name), "source/%zu", i + 1);
		strbuf_printf(&index, "%zu\t", i + 1);
		put_field(&index, f->name);
		strbuf_putc(&index, '\n');
		err = polc_artifact_add(w, name, f->data ? f->data : "", f->len);
	}
	if (err) {
		strbuf_free(&index);
		return err;
	}
	return add_text(w, "meta/sources", &index);
}

/* Sizes are the loader's business (map sections say them): everything else the program was built with. */
static bool is_size_define(const char *name, size_t len)
{
	static const char *const sizes[] = {"POLC_GEN_ENDPOINTS_MAX", "POLC_GEN_IPCACHE_MAX", "POLC_GEN_POLICY_MAX",
					    "POLC_GEN_RULES_MAX"};
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		if (strlen(sizes[i]) == len && memcmp(sizes[i], name, len) == 0)
			return true;
	return false;
}

int codegen_switches(struct strbuf *out, const struct ir_program *prog, const struct ir_datapath *dp,
		     const struct codegen_sizes *sizes)
{
	struct strbuf header = STRBUF_INIT;
	int err = codegen_header_defines(&header, prog, dp, sizes);
	for (const char *line = header.data; !err && line && line < header.data + header.len;) {
		const char *end = memchr(line, '\n', (size_t)(header.data + header.len - line));
		size_t len = end ? (size_t)(end - line) : (size_t)(header.data + header.len - line);
		static const char def[] = "#define POLC_GEN_";
		if (len > sizeof(def) - 1 && memcmp(line, def, sizeof(def) - 1) == 0) {
			const char *name = line + sizeof("#define ") - 1;
			const char *sp = memchr(name, ' ', len - (size_t)(name - line));
			size_t name_len = sp ? (size_t)(sp - name) : len - (size_t)(name - line);
			/* POLC_GEN_H is the include guard. */
			if (!is_size_define(name, name_len) && !(name_len == 10 && memcmp(name, "POLC_GEN_H", 10) == 0)) {
				strbuf_append(out, name, name_len);
				strbuf_putc(out, '\t');
				if (sp)
					strbuf_append(out, sp + 1, len - (size_t)(sp + 1 - line));
				strbuf_putc(out, '\n');
			}
		}
		line = end ? end + 1 : NULL;
	}
	strbuf_free(&header);
	return err ? err : strbuf_error(out);
}

static int add_switches(struct polc_artifact_writer *w, const struct ir_program *prog, const struct ir_datapath *dp,
			const struct codegen_sizes *sizes)
{
	struct strbuf sb = STRBUF_INIT;
	int err = codegen_switches(&sb, prog, dp, sizes);
	if (err) {
		strbuf_free(&sb);
		return err;
	}
	return add_text(w, "meta/switches", &sb);
}

static uint64_t hash_sections(const void *art, size_t size)
{
	/* Everything but meta/info, which is added after and carries the result. */
	return polc_hash64(art, size, POLC_HASH_SEED);
}

int codegen_artifact(const struct ir_program *prog, const struct ir_datapath *dp, const struct source_set *sources,
		     const struct codegen_sizes *sizes, const void *obj, size_t obj_size, void **out, size_t *out_size)
{
	return codegen_artifact_opts(prog, dp, sources, sizes, obj, obj_size, NULL, out, out_size);
}

int codegen_artifact_opts(const struct ir_program *prog, const struct ir_datapath *dp,
			  const struct source_set *sources, const struct codegen_sizes *sizes, const void *obj,
			  size_t obj_size, const struct codegen_artifact_opts *opts, void **out, size_t *out_size)
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
	if (!err)
		err = add_policies(w, dp);
	if (!err)
		err = add_pods(w, prog, dp);
	if (!err)
		err = add_switches(w, prog, dp, sizes);
	if (!err && !(opts && opts->no_sources))
		err = add_sources(w, sources);

	void *body = NULL;
	size_t body_size = 0;
	if (!err && !(opts && opts->no_revision))
		err = polc_artifact_serialize(w, &body, &body_size);
	if (!err) {
		struct strbuf info = STRBUF_INIT;
		strbuf_printf(&info, "polc_version=%s\nlayout=%u\nrevision=%016" PRIx64 "\n", POLC_VERSION,
			      POLC_LAYOUT_VERSION, body ? hash_sections(body, body_size) : 0);
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
