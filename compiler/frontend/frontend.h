/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The front end's entry point: input files (YAML or JSON, one or many
 * documents, kind: List) -> Kubernetes objects -> the policy IR and the
 * inventory in an ir_program. The driver calls, in order:
 *
 *   frontend_init(&fe, &prog, &diags, &sources, &opts);
 *   frontend_load_path(&fe, "policies/");      (files or directories, any order)
 *   frontend_finish(&fe);                      (cross-object checks, implicit namespaces)
 *   frontend_require_policy(&fe);              ("no policy in input": lint warns)
 *
 * Each document is dispatched by apiVersion and kind through a table
 * (frontend.c): NetworkPolicy (netpol.c); Namespace, Pod, Node
 * (inventory.c); CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy
 * (frontend_load_cilium(), cilium*.c) and CiliumCIDRGroup; other kinds
 * are skipped with a note. A document that is a list (not an object) is
 * a bare Cilium rule list. An object with errors adds nothing to the program: it is either
 * lowered whole or not at all.
 */
#ifndef POLC_FRONTEND_FRONTEND_H
#define POLC_FRONTEND_FRONTEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../ir/ir.h"
#include "../util/diag.h"
#include "../util/source.h"
#include "../util/strmap.h"
#include "yaml.h"

enum frontend_mode {
	FRONTEND_COMPILE, /* polc compile */
	FRONTEND_LINT,    /* polc lint: later stages downgrade some errors */
};

struct frontend_options {
	enum frontend_mode mode;
	const struct yaml_limits *limits; /* NULL: yaml_default_limits */
};

/*
 * Rules the API server keeps but that have no effect because policyTypes
 * leaves their direction out (spec.ingress with policyTypes: [Egress]).
 * They are validated, not lowered; the lint pass warns about them here.
 */
struct frontend_inert_rules {
	struct ir_policy *policy;
	enum ir_dir dir;
	size_t n_rules;
	struct src_loc loc; /* the ingress:/egress: key */
	const char *path;   /* "spec.ingress" */
};

/* A Cilium cidrGroupRef, resolved when every input is read (frontend_finish). */
struct frontend_cidr_group_ref {
	struct ir_rule *rule; /* gets one CIDR peer per CIDR of the group */
	const char *name;
	struct src_loc loc;
	const char *path;
};

/* One object of the input, as the dispatch table hands it to its loader. */
struct frontend_object {
	const struct ynode *root; /* the object's mapping */
	uint32_t file;
	uint32_t doc_index;       /* 1-based document in the file */
	const char *api_version;
	const char *kind;
	struct src_loc kind_loc;  /* the kind: key */
	struct src_loc loc;       /* the object's mapping */
};

struct frontend {
	struct arena *arena;
	struct source_set *sources;
	struct diag_sink *diags;
	struct ir_program *prog;
	struct frontend_options opts;

	/* What the driver needs to judge the input as a whole. */
	size_t n_files;
	size_t n_documents;  /* non-empty documents, List items not counted */
	size_t n_policies;   /* policy objects seen, valid or not */
	size_t n_inventory;  /* Namespace, Pod and Node objects seen */
	uint32_t first_file; /* first file loaded (0: none) */
	bool have_non_policy;
	struct src_loc first_non_policy_loc; /* kind: of the first object that is not a policy */
	const char *first_non_policy_kind;
	const char *first_non_policy_api_version;

	VEC(struct frontend_inert_rules) inert;

	/* Internal: "Kind/namespace/name" -> first position, for duplicates. */
	struct strmap objects;
	/* Internal: pod address (struct ir_cidr bytes) and interface -> the pod that has it. */
	struct strmap pod_addrs;
	struct strmap pod_ifaces;
	/* Internal: CiliumCIDRGroup name -> its CIDRs, and the references to resolve. */
	struct strmap cidr_groups;
	VEC(struct frontend_cidr_group_ref) cidr_group_refs;
	bool finished;
};

int frontend_init(struct frontend *fe, struct ir_program *prog, struct diag_sink *diags,
		  struct source_set *sources, const struct frontend_options *opts);

/*
 * Parse source file file_id (already in fe->sources) and load every
 * document. Returns 0 when the file added no error, -EINVAL when it
 * reported errors (other documents of the file are still loaded when
 * possible), -ENOMEM.
 */
int frontend_load_file(struct frontend *fe, uint32_t file_id);

/*
 * Load a file, or a directory: every *.yaml, *.yml and *.json below it,
 * recursively, in byte order of names within each directory (hidden
 * entries such as ..data of a mounted ConfigMap are skipped). Returns 0,
 * -EINVAL after input errors, or the negative errno of an I/O failure
 * (also reported as a diagnostic).
 */
int frontend_load_path(struct frontend *fe, const char *path);
int frontend_load_dir(struct frontend *fe, const char *dir);

/*
 * After all inputs: Namespaces referenced but not declared are created
 * (with kubernetes.io/metadata.name), the only Node is local, and at
 * most one Node is. (Two pods with one address or one interface are
 * refused as they are loaded.) Cilium cidrGroupRefs are resolved. When
 * the local Node has addresses, a builtin policy lets the local host
 * reach every local pod (Kubernetes requires it; Cilium's default
 * --allow-localhost) unless the Node says polc.io/allow-localhost:
 * "policy". 0, -EINVAL or -ENOMEM.
 */
int frontend_finish(struct frontend *fe);

/*
 * For polc compile: an input without any policy is an error ("no policy
 * in input") at the kind of its first non-policy object, or at the first
 * file when the input has no object at all. When errors were already
 * reported (a file that did not parse may have held the policy), it adds
 * none and returns -EINVAL. In FRONTEND_LINT mode the finding is a
 * warning and the result 0. 0 or -EINVAL.
 */
int frontend_require_policy(struct frontend *fe);

/* ---- for the kind loaders (netpol.c, inventory.c, cilium.c) -------------- */

/* Loaders: 0 (loaded, or skipped with a diagnostic), -EINVAL after errors, -ENOMEM. */
int frontend_load_netpol(struct frontend *fe, const struct frontend_object *obj);
int frontend_load_namespace(struct frontend *fe, const struct frontend_object *obj);
int frontend_load_pod(struct frontend *fe, const struct frontend_object *obj);
int frontend_load_node(struct frontend *fe, const struct frontend_object *obj);
/* Endpoints default/kubernetes and its EndpointSlices: the API server's addresses (others skipped). */
int frontend_load_endpoints(struct frontend *fe, const struct frontend_object *obj);
int frontend_load_endpoint_slice(struct frontend *fe, const struct frontend_object *obj);
/* cilium.io/v2 CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy. */
int frontend_load_cilium(struct frontend *fe, const struct frontend_object *obj);
/* A document that is a list: Cilium rules as `cilium-dbg policy import` takes them. */
int frontend_load_cilium_rules(struct frontend *fe, const struct ynode *root, uint32_t file);
/* cilium.io/v2alpha1 (or v2) CiliumCIDRGroup: the CIDRs a cidrGroupRef stands for. */
int frontend_load_cidr_group(struct frontend *fe, const struct frontend_object *obj);
/* Resolve cidrGroupRefs (from frontend_finish()). 0, -EINVAL or -ENOMEM. */
int frontend_cilium_finish(struct frontend *fe);

/*
 * Register kind/namespace/name at loc. Returns 0, or -EEXIST after
 * reporting "duplicate <kind> <ns>/<name> (first at file:line)".
 */
int frontend_register_object(struct frontend *fe, const char *kind, const char *ns, const char *name,
			     struct src_loc loc);

/* The namespace of a policy or pod that has none: "default", with a note. */
#define FRONTEND_DEFAULT_NAMESPACE "default"

#endif
