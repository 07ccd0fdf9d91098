/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * YAML documents as a tree of nodes with source positions, built from
 * libyaml's event parser. The loader, not the caller, defends against
 * hostile input: nesting depth, alias expansion (billion laughs), scalar
 * size, duplicate mapping keys and merge keys are refused here with a
 * diagnostic, so every later stage can walk the tree without limits.
 *
 * Aliases are resolved to the anchored node (the tree is a DAG); every
 * alias counts the anchored subtree against the node budget.
 */
#ifndef POLC_FRONTEND_YAML_H
#define POLC_FRONTEND_YAML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../util/arena.h"
#include "../util/diag.h"
#include "../util/source.h"

enum ynode_kind {
	YNODE_SCALAR,
	YNODE_SEQUENCE,
	YNODE_MAPPING,
};

enum yscalar_style {
	YSTYLE_PLAIN,
	YSTYLE_SINGLE_QUOTED,
	YSTYLE_DOUBLE_QUOTED,
	YSTYLE_LITERAL,
	YSTYLE_FOLDED,
};

/* What a scalar means under YAML 1.1 as go-yaml v2 (kubectl) resolves it. */
enum yscalar_type {
	YTYPE_STRING,
	YTYPE_INT,
	YTYPE_FLOAT,
	YTYPE_BOOL,
	YTYPE_NULL,
};

struct ypair;

struct ynode {
	enum ynode_kind kind;
	struct src_loc loc; /* start of the node; len = bytes of a one-line scalar */
	const char *tag;    /* explicit tag, or NULL */
	union {
		struct {
			const char *value; /* NUL-terminated; may contain no NUL (refused) */
			size_t len;
			enum yscalar_style style;
		} scalar;
		struct {
			struct ynode **items;
			size_t len;
		} seq;
		struct {
			struct ypair *pairs;
			size_t len;
		} map;
	};
};

struct ypair {
	struct ynode *key; /* always a scalar */
	struct ynode *value;
};

struct ydoc {
	struct ynode *root; /* NULL for an empty document */
	struct src_loc loc; /* where the document starts */
	uint32_t index;     /* 1-based position in the stream */
};

struct ystream {
	struct ydoc *docs;
	size_t n_docs;
};

struct yaml_limits {
	size_t max_depth;     /* nesting of collections */
	size_t max_nodes;     /* nodes that aliases add by expansion, per stream */
	size_t max_scalar;    /* bytes of one scalar */
	size_t max_tree_bytes; /* memory the tree of one file may take (0: no limit) */
};

/* Depth 64 (a policy needs < 20), 1 Mi nodes, 1 MiB scalars, 32 MiB of tree per file. */
extern const struct yaml_limits yaml_default_limits;

/*
 * Parse every document of source file `file`. Returns 0 when the stream
 * was read (documents may still be empty), -EINVAL after reporting a
 * diagnostic (syntax error, limit, duplicate key, ...), -ENOMEM.
 */
int yaml_load(struct arena *arena, struct diag_sink *diags, const struct source_set *sources,
	      uint32_t file, const struct yaml_limits *limits, struct ystream *out);

/* Resolution of a scalar's type: plain scalars by YAML 1.1 rules, quoted ones are strings. */
enum yscalar_type yscalar_type(const struct ynode *node);
const char *yscalar_type_name(enum yscalar_type type);
const char *ynode_kind_name(const struct ynode *node);

/* Value for key in a mapping, or NULL. */
const struct ynode *ymap_get(const struct ynode *map, const char *key);
/* The key node of that entry (for positions of "field" errors), or NULL. */
const struct ynode *ymap_get_key(const struct ynode *map, const char *key);

/*
 * Field paths, built on the stack while walking: a chain of ".key" and
 * "[index]" segments rendered as spec.ingress[0].ports[0].port.
 */
struct ypath {
	const struct ypath *parent;
	const char *key; /* NULL for an index segment */
	size_t index;
};

#define YPATH_KEY(parent_, key_) ((struct ypath){.parent = (parent_), .key = (key_), .index = 0})
#define YPATH_INDEX(parent_, index_) ((struct ypath){.parent = (parent_), .key = NULL, .index = (index_)})

/* Rendered path ("" for the root), or NULL on allocation failure. */
char *ypath_str(struct arena *arena, const struct ypath *path);

#endif
