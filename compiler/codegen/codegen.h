/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Code generation: from the datapath IR to the artifact.
 *
 *   codegen_header    polc_gen.h, the #defines that specialise
 *                     bpf-templates/datapath.bpf.c for this policy set,
 *                     with the rule table as comments
 *   codegen_build     templates + header into a private directory, clang
 *                     -target bpf, strip DWARF (BTF stays): the object
 *   codegen_artifact  object + map contents + metadata -> artifact bytes
 */
#ifndef POLC_CODEGEN_H
#define POLC_CODEGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../ir/datapath.h"
#include "../ir/ir.h"
#include "../util/diag.h"
#include "../util/strbuf.h"

/*
 * Bounds of the datapath's HTTP request parser (polc_gen.h knobs): a
 * request head longer than max_head bytes, a request line longer than
 * max_line, more than max_headers header lines, or a segment needing
 * more than max_steps parse steps (heads, bodies, 512-byte windows) is
 * refused. Defaults: codegen_http_default_limits.
 */
struct codegen_http_limits {
	uint32_t max_head;
	uint32_t max_line;
	uint32_t max_headers;
	uint32_t max_steps;
};

extern const struct codegen_http_limits codegen_http_default_limits;

/*
 * DNS rules and toFQDNs (polc_gen.h knobs): a DNS message is parsed
 * from its first max_msg bytes (a larger UDP message is dropped, a
 * larger TCP answer learned from as far as it fits); an answer walks at
 * most max_records records and learns at most max_addrs addresses.
 * Learned addresses live for the answer's TTL clamped to
 * [min_ttl, max_ttl] seconds. Defaults: codegen_dns_default_limits.
 */
struct codegen_dns_limits {
	uint32_t max_msg;
	uint32_t max_records;
	uint32_t max_addrs;
	uint32_t min_ttl;
	uint32_t max_ttl;
};

extern const struct codegen_dns_limits codegen_dns_default_limits;

/* Map sizes: what the policy set needs plus room for endpoints added at run time; the HTTP and DNS bounds. */
struct codegen_sizes {
	uint32_t endpoints;
	uint32_t ipcache;
	uint32_t policy;
	uint32_t rules;
	struct codegen_http_limits http; /* defaults from codegen_sizes(); callers may change them */
	struct codegen_dns_limits dns;   /* likewise */
};

void codegen_sizes(const struct ir_program *prog, const struct ir_datapath *dp, struct codegen_sizes *sizes);

int codegen_header(struct strbuf *out, const struct ir_program *prog, const struct ir_datapath *dp,
		   const struct source_set *sources, const struct codegen_sizes *sizes);

struct emitter;
/* The L7 HTTP knobs and rule-set tables of polc_gen.h (dp->features.have_l7_http). */
int codegen_http_tables(struct emitter *e, struct arena *arena, const struct ir_datapath *dp,
			const struct codegen_http_limits *limits);


/* The union table of L7 sets (l7_sets.h): every generation with L7 rules of any protocol. */
int codegen_l7_unions(struct emitter *e, struct arena *arena, const struct ir_datapath *dp);
/* The DNS knobs, DNS rule sets and toFQDNs groups (have_l7_dns or have_fqdn). */
int codegen_dns_tables(struct emitter *e, struct arena *arena, const struct ir_datapath *dp,
		       const struct codegen_dns_limits *limits);
/* A static const array in .rodata, 16 numbers per line. */
void codegen_emit_numbers(struct emitter *e, const char *decl, const uint64_t *v, size_t n, const char *suffix);

struct clang_options {
	const char *clang;      /* NULL: $POLC_CLANG or "clang" */
	const char *llvm_strip; /* NULL: $POLC_LLVM_STRIP or "llvm-strip" */
	const char *emit_dir;   /* also keep the generated C here (--emit-c) */
};

/*
 * Write the sources and build them. On success *obj is a malloc'd ELF.
 * Clang failures are reported as diagnostics (they are polc bugs, not
 * user errors) and return -EIO.
 */
int codegen_build(const struct strbuf *header, const struct clang_options *opts, struct diag_sink *diags,
		  void **obj, size_t *obj_size);

/* The whole artifact, malloc'd. */
int codegen_artifact(const struct ir_program *prog, const struct ir_datapath *dp, const struct source_set *sources,
		     const struct codegen_sizes *sizes, const void *obj, size_t obj_size, void **out, size_t *out_size);

/* polc_gen.h without its rule table (the same switches, cheaper for large policy sets). */
int codegen_header_defines(struct strbuf *out, const struct ir_program *prog, const struct ir_datapath *dp,
			   const struct codegen_sizes *sizes);

struct codegen_artifact_opts {
	bool no_sources;  /* leave out source/<n> and meta/sources (re-resolution has them already) */
	bool no_revision; /* meta/info revision=0, skipping the hash over everything (nobody reads it) */
};

int codegen_artifact_opts(const struct ir_program *prog, const struct ir_datapath *dp,
			  const struct source_set *sources, const struct codegen_sizes *sizes, const void *obj,
			  size_t obj_size, const struct codegen_artifact_opts *opts, void **out, size_t *out_size);

/*
 * What identifies a policy id across re-resolutions: its direction and
 * the rules it applies, with their ports as resolved for its endpoints
 * ("ingress|3:6/80-80,17/53-53;5:*"). Written to meta/policies.
 */
void codegen_policy_signature(struct strbuf *sb, const struct dp_policy *pol);

/*
 * The #define switches of polc_gen.h without the map sizes, one
 * "NAME\tVALUE" line each: what the compiled program can do (meta/switches).
 */
int codegen_switches(struct strbuf *out, const struct ir_program *prog, const struct ir_datapath *dp,
		     const struct codegen_sizes *sizes);

#endif
