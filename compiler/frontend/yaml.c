/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * YAML stream -> tree of ynodes with positions, on libyaml's event
 * parser (see yaml.h). Everything a hostile file can do to a loader is
 * refused here, each with a diagnostic at its position:
 *
 *   nesting      an explicit stack, checked against max_depth at every
 *                collection start (and at every alias, with the height
 *                of the aliased subtree), so no recursion anywhere
 *   aliases      each alias adds the size of the anchored subtree to the
 *                stream's alias budget (max_nodes): a billion-laughs file
 *                stops after a few KiB of events, while a large inventory
 *                written out in full is bounded by the file size only
 *   scalars      size limit, no NUL (a "\0" escape); libyaml is fed through a
 *                reader that refuses to hand over more than a scalar's
 *                worth of input between two events, so a huge scalar is
 *                refused before libyaml has buffered it
 *   memory       the tree of one file may take max_tree_bytes of the arena:
 *                a file of millions of tiny nodes or empty documents fails
 *                early, with its position, instead of exhausting memory
 *   keys         duplicates, merge keys (<<), non-scalar keys
 *   tags         only the core schema's, and consistent with the value
 *   bytes        control characters, invalid UTF-8, UTF-16 input, and
 *                truncated input, mapped from libyaml's problem/mark
 *
 * Positions: libyaml marks count characters; diagnostics count bytes
 * (that is what the caret printer indexes), so every mark goes through
 * a character -> byte map and the source's own line table.
 */
#include "yaml.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h> /* libyaml: <...> finds the system header, not this directory's */

#include "../util/strbuf.h"
#include "../util/strmap.h"
#include "yresolve.h"

const struct yaml_limits yaml_default_limits = {
	.max_depth = 64,
	.max_nodes = 1u << 20,
	.max_scalar = 1u << 20,
	.max_tree_bytes = 32u << 20,
};

/* Input handed to libyaml per read: small, so that the reader's bound below is tight. */
#define YAML_READ_CHUNK 4096

#define YAML_TAG_PREFIX "tag:yaml.org,2002:"

/* ---- positions ----------------------------------------------------------- */

/* libyaml character index -> byte offset, walking forward from the last query. */
struct posmap {
	const struct src_file *src;
	uint32_t file;
	bool ascii;
	size_t chars, bytes; /* a known pair */
};

static void posmap_init(struct posmap *pm, const struct src_file *src, uint32_t file)
{
	memset(pm, 0, sizeof(*pm));
	pm->src = src;
	pm->file = file;
	pm->ascii = true;
	for (size_t i = 0; i < src->len; i++) {
		if ((unsigned char)src->data[i] >= 0x80) {
			pm->ascii = false;
			break;
		}
	}
}

static size_t posmap_byte(struct posmap *pm, size_t char_index)
{
	if (pm->ascii)
		return char_index < pm->src->len ? char_index : pm->src->len;
	if (char_index < pm->chars)
		pm->chars = pm->bytes = 0;
	const unsigned char *d = (const unsigned char *)pm->src->data;
	while (pm->chars < char_index && pm->bytes < pm->src->len) {
		pm->bytes++;
		while (pm->bytes < pm->src->len && (d[pm->bytes] & 0xc0) == 0x80)
			pm->bytes++;
		pm->chars++;
	}
	return pm->bytes;
}

/* Byte offset -> 1-based line and column (bytes), on the source's line table. */
static struct src_loc loc_at_byte(const struct src_file *src, uint32_t file, size_t off)
{
	struct src_loc loc = {.file = file, .line = 1, .col = 1, .len = 0};
	if (!src || src->n_lines == 0)
		return loc;
	size_t lo = 0, hi = src->n_lines;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (src->line_starts[mid] <= off)
			lo = mid;
		else
			hi = mid;
	}
	loc.line = (uint32_t)lo + 1;
	loc.col = (uint32_t)(off - src->line_starts[lo]) + 1;
	return loc;
}

static struct src_loc loc_of_marks(struct posmap *pm, yaml_mark_t start, const yaml_mark_t *end)
{
	size_t b = posmap_byte(pm, start.index);
	struct src_loc loc = loc_at_byte(pm->src, pm->file, b);
	if (end && end->line == start.line && end->index > start.index) {
		size_t e = posmap_byte(pm, end->index);
		loc.len = (uint32_t)(e - b);
	}
	return loc;
}

/* ---- paths --------------------------------------------------------------- */

/* Keys that read well after a dot; others are written [key] as field.Path does. */
static bool key_is_simple(const char *key)
{
	if (!*key)
		return false;
	for (const char *p = key; *p; p++) {
		char c = *p;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
		      c == '-' || c == '$'))
			return false;
	}
	return true;
}

static void path_put_key(struct strbuf *sb, const char *key)
{
	if (key_is_simple(key)) {
		if (sb->len)
			strbuf_putc(sb, '.');
		strbuf_puts(sb, key);
	} else {
		strbuf_printf(sb, "[%s]", key);
	}
}

static void path_put_index(struct strbuf *sb, size_t index)
{
	strbuf_printf(sb, "[%zu]", index);
}

char *ypath_str(struct arena *arena, const struct ypath *path)
{
	/* Segments are linked child -> parent; render them root first. */
	size_t n = 0;
	for (const struct ypath *p = path; p; p = p->parent)
		n++;
	const struct ypath **segs = n ? calloc(n, sizeof(*segs)) : NULL;
	if (n && !segs)
		return NULL;
	size_t i = n;
	for (const struct ypath *p = path; p; p = p->parent)
		segs[--i] = p;
	struct strbuf sb = STRBUF_INIT;
	for (i = 0; i < n; i++) {
		if (segs[i]->key)
			path_put_key(&sb, segs[i]->key);
		else
			path_put_index(&sb, segs[i]->index);
	}
	free(segs);
	char *out = strbuf_error(&sb) ? NULL : arena_strdup(arena, strbuf_cstr(&sb));
	strbuf_free(&sb);
	return out;
}

/* ---- node helpers -------------------------------------------------------- */

static bool scalar_tag_is(const struct ynode *n, const char *short_name)
{
	return n->tag && strncmp(n->tag, YAML_TAG_PREFIX, strlen(YAML_TAG_PREFIX)) == 0 &&
	       strcmp(n->tag + strlen(YAML_TAG_PREFIX), short_name) == 0;
}

enum yscalar_type yscalar_type(const struct ynode *node)
{
	if (!node || node->kind != YNODE_SCALAR)
		return YTYPE_STRING;
	if (node->tag) {
		/* Tags were checked against the value at load time. */
		if (scalar_tag_is(node, "int"))
			return YTYPE_INT;
		if (scalar_tag_is(node, "float"))
			return YTYPE_FLOAT;
		if (scalar_tag_is(node, "bool"))
			return YTYPE_BOOL;
		if (scalar_tag_is(node, "null"))
			return YTYPE_NULL;
		return YTYPE_STRING; /* !!str and the non-specific "!" */
	}
	if (node->scalar.style != YSTYLE_PLAIN)
		return YTYPE_STRING;
	return yresolve_plain(node->scalar.value, node->scalar.len, NULL);
}

const char *yscalar_type_name(enum yscalar_type type)
{
	switch (type) {
	case YTYPE_STRING: return "string";
	case YTYPE_INT: return "integer";
	case YTYPE_FLOAT: return "float";
	case YTYPE_BOOL: return "boolean";
	case YTYPE_NULL: return "null";
	}
	return "?";
}

const char *ynode_kind_name(const struct ynode *node)
{
	if (!node)
		return "nothing";
	switch (node->kind) {
	case YNODE_SCALAR: return yscalar_type_name(yscalar_type(node));
	case YNODE_SEQUENCE: return "sequence";
	case YNODE_MAPPING: return "mapping";
	}
	return "?";
}

const struct ynode *ymap_get_key(const struct ynode *map, const char *key)
{
	if (!map || map->kind != YNODE_MAPPING)
		return NULL;
	size_t len = strlen(key);
	for (size_t i = 0; i < map->map.len; i++) {
		const struct ynode *k = map->map.pairs[i].key;
		if (k->scalar.len == len && memcmp(k->scalar.value, key, len) == 0)
			return k;
	}
	return NULL;
}

const struct ynode *ymap_get(const struct ynode *map, const char *key)
{
	if (!map || map->kind != YNODE_MAPPING)
		return NULL;
	size_t len = strlen(key);
	for (size_t i = 0; i < map->map.len; i++) {
		const struct ynode *k = map->map.pairs[i].key;
		if (k->scalar.len == len && memcmp(k->scalar.value, key, len) == 0)
			return map->map.pairs[i].value;
	}
	return NULL;
}

/* ---- the builder --------------------------------------------------------- */

struct anchor {
	struct ynode *node;
	size_t size;   /* nodes in the subtree, aliases expanded */
	size_t height; /* collections on the deepest path, 0 for a scalar */
};

struct frame {
	struct ynode *node;
	VEC(struct ynode *) items;
	VEC(struct ypair) pairs;
	struct ynode *pending_key; /* mapping: key read, value not yet */
	const char *anchor;        /* registered when the collection ends */
	size_t size;
	size_t height;
};

struct builder {
	struct arena *arena;
	struct diag_sink *diags;
	const struct src_file *src;
	uint32_t file;
	const struct yaml_limits *lim;
	struct posmap pm;
	VEC(struct frame) stack;
	struct strmap anchors; /* this document's completed anchors */
	size_t alias_nodes;    /* nodes added by aliases in the whole stream */
	VEC(struct ydoc) docs;
	struct ynode *root;
	bool root_anchored;
	/* Probe mode (finding the path of a byte the reader refused): no diagnostics. */
	bool probe;
	char *last_path;
	/* The reader: input given to libyaml, and where it stood at the last event. */
	size_t fed, fed_at_event;
	bool token_too_long;
	size_t arena_at_start; /* arena_used() before this file */
	bool tree_too_big;
};

/* The path of the node the parser is at: every open collection's current child. */
static char *builder_path(struct builder *b, size_t frames, bool trim_indexes)
{
	struct strbuf sb = STRBUF_INIT;
	size_t keep = 0; /* length after the last key segment */
	for (size_t i = 0; i < frames && i < b->stack.len; i++) {
		const struct frame *f = &b->stack.items[i];
		if (f->node->kind == YNODE_MAPPING) {
			if (!f->pending_key)
				break; /* at a key: the path is the mapping's */
			path_put_key(&sb, f->pending_key->scalar.value);
			keep = sb.len;
		} else {
			path_put_index(&sb, f->items.len);
		}
	}
	if (trim_indexes && sb.data)
		sb.len = keep;
	char *out = NULL;
	if (!strbuf_error(&sb)) {
		const char *s = strbuf_cstr(&sb);
		out = arena_strndup(b->arena, s, trim_indexes ? keep : strlen(s));
	}
	strbuf_free(&sb);
	return out;
}

static __attribute__((format(printf, 6, 7))) int builder_error(struct builder *b, struct src_loc loc,
								const char *path, const char *code,
								const char *hint, const char *fmt, ...)
{
	if (b->probe)
		return -EINVAL;
	va_list ap;
	va_start(ap, fmt);
	char *msg = arena_vprintf(b->arena, fmt, ap);
	va_end(ap);
	if (!msg)
		return -ENOMEM;
	int err = diag_report(b->diags, DIAG_ERROR, loc, path, code, hint, "%s", msg);
	return err ? err : -EINVAL;
}

static int check_depth(struct builder *b, size_t extra, struct src_loc loc, const char *what)
{
	if (b->stack.len + extra <= b->lim->max_depth)
		return 0;
	return builder_error(b, loc, builder_path(b, b->stack.len, true), "yaml-depth",
			     "policies need fewer than 20 levels; this input is malformed or hostile",
			     "nesting depth %zu exceeds limit %zu%s", b->stack.len + extra, b->lim->max_depth,
			     what);
}

/*
 * Nodes written in the file cost what the file costs; nodes an alias adds
 * cost nothing to write and everything to walk. Only those are budgeted.
 */
static int count_alias_nodes(struct builder *b, size_t n, struct src_loc loc, const char *alias_name)
{
	if (n <= b->lim->max_nodes - b->alias_nodes) {
		b->alias_nodes += n;
		return 0;
	}
	return builder_error(b, loc, builder_path(b, b->stack.len, false), "yaml-alias-budget",
			     "aliases share one copy in polc, but every consumer sees the expansion; write the "
			     "objects out or split the stream",
			     "alias *%s expands the stream beyond the alias budget of %zu nodes", alias_name,
			     b->lim->max_nodes);
}

static bool is_merge_key(const struct ynode *key)
{
	return key->kind == YNODE_SCALAR && key->scalar.style == YSTYLE_PLAIN &&
	       (!key->tag || scalar_tag_is(key, "merge")) && strcmp(key->scalar.value, "<<") == 0;
}

/* The file's tree grew past max_tree_bytes: refused at the node that crossed it. */
static int check_tree_size(struct builder *b, struct src_loc loc)
{
	size_t used = arena_used(b->arena) - b->arena_at_start;
	if (!b->lim->max_tree_bytes || used <= b->lim->max_tree_bytes)
		return 0;
	b->tree_too_big = true;
	return builder_error(b, loc, builder_path(b, b->stack.len, false), "yaml-too-large",
			     "split the input into smaller files (the API server takes at most 3 MiB per object)",
			     "the file's YAML needs more than %zu MiB in memory (%zu documents so far)",
			     b->lim->max_tree_bytes >> 20, b->docs.len);
}

/* Attach a finished node (new or aliased) to the open collection or the document. */
static int builder_add(struct builder *b, struct ynode *node, size_t size, size_t height, struct src_loc loc)
{
	int err = check_tree_size(b, loc);
	if (err)
		return err;
	if (b->stack.len == 0) {
		b->root = node;
		return 0;
	}
	struct frame *f = &b->stack.items[b->stack.len - 1];
	if (f->node->kind == YNODE_SEQUENCE) {
		if (vec_push(b->arena, &f->items, node))
			return -ENOMEM;
	} else if (!f->pending_key) {
		if (node->kind != YNODE_SCALAR)
			return builder_error(b, loc, builder_path(b, b->stack.len, false), "yaml-non-scalar-key",
					     "Kubernetes objects are JSON: every key is a string",
					     "mapping keys must be scalars, got a %s", ynode_kind_name(node));
		if (is_merge_key(node))
			return builder_error(b, loc, builder_path(b, b->stack.len, false), "yaml-merge-key",
					     "kubectl merges '<<' (YAML 1.1) but YAML 1.2 tools and the JSON API do not; "
					     "write the merged fields out",
					     "merge keys (<<) are not supported");
		f->pending_key = node;
	} else {
		struct ypair pair = {.key = f->pending_key, .value = node};
		if (vec_push(b->arena, &f->pairs, pair))
			return -ENOMEM;
		f->pending_key = NULL;
	}
	f->size += size;
	if (height + 1 > f->height)
		f->height = height + 1;
	return 0;
}

static const char *copy_str(struct builder *b, const yaml_char_t *s)
{
	return s ? arena_strdup(b->arena, (const char *)s) : NULL;
}

/* Only the core schema's tags, and only where they fit the node. */
static int check_tag(struct builder *b, const char *tag, enum ynode_kind kind, const char *value, size_t len,
		     struct src_loc loc)
{
	if (!tag || strcmp(tag, "!") == 0)
		return 0;
	const char *name = strncmp(tag, YAML_TAG_PREFIX, strlen(YAML_TAG_PREFIX)) == 0
				   ? tag + strlen(YAML_TAG_PREFIX)
				   : NULL;
	const char *path = NULL;
	if (name && kind == YNODE_SEQUENCE && strcmp(name, "seq") == 0)
		return 0;
	if (name && kind == YNODE_MAPPING && strcmp(name, "map") == 0)
		return 0;
	if (name && kind == YNODE_SCALAR) {
		if (strcmp(name, "str") == 0)
			return 0;
		enum yscalar_type want;
		if (strcmp(name, "int") == 0)
			want = YTYPE_INT;
		else if (strcmp(name, "float") == 0)
			want = YTYPE_FLOAT;
		else if (strcmp(name, "bool") == 0)
			want = YTYPE_BOOL;
		else if (strcmp(name, "null") == 0)
			want = YTYPE_NULL;
		else
			goto unsupported;
		enum yscalar_type got = yresolve_plain(value, len, NULL);
		/* go-yaml accepts an integer where !!float is asked for. */
		if (got == want || (want == YTYPE_FLOAT && got == YTYPE_INT))
			return 0;
		path = builder_path(b, b->stack.len, false);
		return builder_error(b, loc, path, "yaml-tag", NULL, "cannot decode \"%s\" as !!%s", value, name);
	}
unsupported:
	path = builder_path(b, b->stack.len, false);
	return builder_error(b, loc, path, "yaml-tag",
			     "only the YAML core schema tags (!!str, !!int, !!bool, !!float, !!null, !!map, !!seq) "
			     "are accepted",
			     "unsupported tag %s", name ? arena_printf(b->arena, "!!%s", name) : tag);
}

static int on_scalar(struct builder *b, const yaml_event_t *ev)
{
	struct src_loc loc = loc_of_marks(&b->pm, ev->start_mark, &ev->end_mark);
	size_t len = ev->data.scalar.length;
	if (len > b->lim->max_scalar)
		return builder_error(b, loc, builder_path(b, b->stack.len, false), "yaml-scalar-size", NULL,
				     "scalar of %zu bytes exceeds the limit of %zu bytes", len, b->lim->max_scalar);
	const char *value = (const char *)ev->data.scalar.value;
	if (memchr(value, '\0', len))
		return builder_error(b, loc, builder_path(b, b->stack.len, false), "yaml-control-character",
				     "a C string would end at the NUL; remove the \\0 escape",
				     "control character 0x00 (an escaped NUL) in scalar");
	struct ynode *n = arena_alloc(b->arena, sizeof(*n));
	char *copy = arena_strndup(b->arena, value, len);
	if (!n || !copy)
		return -ENOMEM;
	n->kind = YNODE_SCALAR;
	n->loc = loc;
	n->tag = copy_str(b, ev->data.scalar.tag);
	n->scalar.value = copy;
	n->scalar.len = len;
	switch (ev->data.scalar.style) {
	case YAML_SINGLE_QUOTED_SCALAR_STYLE: n->scalar.style = YSTYLE_SINGLE_QUOTED; break;
	case YAML_DOUBLE_QUOTED_SCALAR_STYLE: n->scalar.style = YSTYLE_DOUBLE_QUOTED; break;
	case YAML_LITERAL_SCALAR_STYLE: n->scalar.style = YSTYLE_LITERAL; break;
	case YAML_FOLDED_SCALAR_STYLE: n->scalar.style = YSTYLE_FOLDED; break;
	default: n->scalar.style = YSTYLE_PLAIN;
	}
	if (b->probe)
		b->last_path = builder_path(b, b->stack.len, false);
	int err = check_tag(b, n->tag, YNODE_SCALAR, copy, len, loc);
	if (!err && ev->data.scalar.anchor) {
		struct anchor *a = arena_alloc(b->arena, sizeof(*a));
		const char *name = copy_str(b, ev->data.scalar.anchor);
		if (!a || !name)
			return -ENOMEM;
		*a = (struct anchor){.node = n, .size = 1, .height = 0};
		err = strmap_set(&b->anchors, name, strlen(name), a);
		if (b->stack.len == 0)
			b->root_anchored = true;
	}
	if (!err)
		err = builder_add(b, n, 1, 0, loc);
	return err;
}

static int on_collection_start(struct builder *b, const yaml_event_t *ev, enum ynode_kind kind)
{
	struct src_loc loc = loc_of_marks(&b->pm, ev->start_mark, NULL);
	if (b->probe)
		b->last_path = builder_path(b, b->stack.len, false);
	int err = check_depth(b, 1, loc, "");
	if (err)
		return err;
	const yaml_char_t *tag = kind == YNODE_MAPPING ? ev->data.mapping_start.tag : ev->data.sequence_start.tag;
	const yaml_char_t *anchor =
		kind == YNODE_MAPPING ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
	struct ynode *n = arena_alloc(b->arena, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->kind = kind;
	n->loc = loc;
	n->tag = copy_str(b, tag);
	err = check_tag(b, n->tag, kind, NULL, 0, loc);
	if (err)
		return err;
	/* A collection can never be a key: report it where it starts. */
	if (b->stack.len) {
		const struct frame *parent = &b->stack.items[b->stack.len - 1];
		if (parent->node->kind == YNODE_MAPPING && !parent->pending_key)
			return builder_error(b, loc, builder_path(b, b->stack.len, false), "yaml-non-scalar-key",
					     "Kubernetes objects are JSON: every key is a string",
					     "mapping keys must be scalars, got a %s",
					     kind == YNODE_MAPPING ? "mapping" : "sequence");
	}
	struct frame *f = vec_add(b->arena, &b->stack);
	if (!f)
		return -ENOMEM;
	memset(f, 0, sizeof(*f));
	f->node = n;
	f->anchor = copy_str(b, anchor);
	f->size = 1;
	f->height = 1;
	if (anchor && !f->anchor)
		return -ENOMEM;
	return 0;
}

/* Small mappings compare pairwise; large ones go through a hash set. */
static int check_duplicate_keys(struct builder *b, const struct frame *f)
{
	size_t n = f->pairs.len;
	const struct ypair *pairs = f->pairs.items;
	const struct ynode *first = NULL, *dup = NULL;
	if (n <= 16) {
		for (size_t i = 1; i < n && !dup; i++) {
			for (size_t j = 0; j < i; j++) {
				const struct ynode *x = pairs[j].key, *y = pairs[i].key;
				if (x->scalar.len == y->scalar.len &&
				    memcmp(x->scalar.value, y->scalar.value, x->scalar.len) == 0) {
					first = x, dup = y;
					break;
				}
			}
		}
	} else {
		struct strmap seen;
		strmap_init(&seen, b->arena);
		for (size_t i = 0; i < n && !dup; i++) {
			void *prev = NULL;
			const struct ynode *k = pairs[i].key;
			int r = strmap_add(&seen, k->scalar.value, k->scalar.len, (void *)k, &prev);
			if (r < 0)
				return r;
			if (r == 0)
				first = prev, dup = k;
		}
	}
	if (!dup)
		return 0;
	/* The path names the mapping: b->stack still holds this frame on top. */
	const char *path = builder_path(b, b->stack.len - 1, false);
	return builder_error(b, dup->loc, path, "duplicate-key",
			     "YAML parsers disagree on which value wins (kubectl keeps the last, others the first "
			     "or fail); keep one",
			     "duplicate key %s (first at line %u)", dup->scalar.value, first->loc.line);
}

static int on_collection_end(struct builder *b)
{
	struct frame f = b->stack.items[b->stack.len - 1];
	if (f.node->kind == YNODE_MAPPING) {
		int err = check_duplicate_keys(b, &b->stack.items[b->stack.len - 1]);
		if (err)
			return err;
		f.node->map.pairs = f.pairs.items;
		f.node->map.len = f.pairs.len;
	} else {
		f.node->seq.items = f.items.items;
		f.node->seq.len = f.items.len;
	}
	b->stack.len--;
	if (f.anchor) {
		struct anchor *a = arena_alloc(b->arena, sizeof(*a));
		if (!a)
			return -ENOMEM;
		*a = (struct anchor){.node = f.node, .size = f.size, .height = f.height};
		int err = strmap_set(&b->anchors, f.anchor, strlen(f.anchor), a);
		if (err)
			return err;
		if (b->stack.len == 0)
			b->root_anchored = true;
	}
	return builder_add(b, f.node, f.size, f.height, f.node->loc);
}

static int on_alias(struct builder *b, const yaml_event_t *ev)
{
	struct src_loc loc = loc_of_marks(&b->pm, ev->start_mark, &ev->end_mark);
	const char *name = (const char *)ev->data.alias.anchor;
	if (b->probe)
		b->last_path = builder_path(b, b->stack.len, false);
	/* The most recent node with that anchor may be a collection still open. */
	for (size_t i = b->stack.len; i-- > 0;) {
		const char *open = b->stack.items[i].anchor;
		if (open && strcmp(open, name) == 0)
			return builder_error(b, loc, builder_path(b, b->stack.len, false), "yaml-recursive-alias",
					     "a node cannot contain itself", "alias *%s refers to a node that contains it",
					     name);
	}
	const struct anchor *a = strmap_get(&b->anchors, name, strlen(name));
	if (!a)
		return builder_error(b, loc, builder_path(b, b->stack.len, false), "yaml-undefined-alias",
				     "define &name before using *name, in the same document",
				     "undefined alias *%s", name);
	int err = check_depth(b, a->height, loc, arena_printf(b->arena, " (through alias *%s)", name));
	if (!err)
		err = count_alias_nodes(b, a->size, loc, name);
	if (!err)
		err = builder_add(b, a->node, a->size, a->height, loc);
	return err;
}

static int on_document_start(struct builder *b, const yaml_event_t *ev)
{
	struct src_loc loc = loc_of_marks(&b->pm, ev->start_mark, NULL);
	int err = check_tree_size(b, loc);
	if (err)
		return err;
	struct ydoc *d = vec_add(b->arena, &b->docs);
	if (!d)
		return -ENOMEM;
	d->loc = loc;
	d->index = (uint32_t)b->docs.len;
	b->root = NULL;
	b->root_anchored = false;
	strmap_init(&b->anchors, b->arena);
	return 0;
}

static void on_document_end(struct builder *b)
{
	struct ydoc *d = &b->docs.items[b->docs.len - 1];
	struct ynode *r = b->root;
	/* An empty document is an empty plain scalar that nobody tagged or anchored. */
	if (r && r->kind == YNODE_SCALAR && r->scalar.len == 0 && r->scalar.style == YSTYLE_PLAIN && !r->tag &&
	    !b->root_anchored)
		r = NULL;
	d->root = r;
}

/* ---- libyaml errors ------------------------------------------------------ */

static const char *strip_prefix(const char *s, const char *prefix)
{
	size_t n = strlen(prefix);
	return strncmp(s, prefix, n) == 0 ? s + n : s;
}

static bool only_space_after(const struct src_file *src, size_t off)
{
	for (; off < src->len; off++) {
		char c = src->data[off];
		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			return false;
	}
	return true;
}

static char *probe_path(struct builder *outer, size_t offset);

static int report_reader_error(struct builder *b, const yaml_parser_t *p)
{
	size_t off = p->problem_offset;
	struct src_loc loc = loc_at_byte(b->src, b->file, off);
	loc.len = 1;
	const char *problem = p->problem ? p->problem : "invalid input";
	char *path = probe_path(b, off);
	int value = p->problem_value;
	if (strcmp(problem, "control characters are not allowed") == 0) {
		if (value < 0x20 || (value >= 0x7f && value <= 0x9f))
			return builder_error(b, loc, path, "yaml-control-character",
					     value == 0 ? "a C string API would cut the value at the NUL; remove the byte"
							: "remove the byte; escape it inside a double-quoted string if it is meant",
					     "control character 0x%02X is not allowed", (unsigned)value);
		return builder_error(b, loc, path, "yaml-control-character", NULL,
				     "character U+%04X is not allowed in YAML", (unsigned)value);
	}
	unsigned byte = off < b->src->len ? (unsigned char)b->src->data[off] : 0;
	return builder_error(b, loc, path, "yaml-invalid-utf8",
			     "YAML input must be UTF-8; re-encode the file (e.g. iconv -f latin1 -t utf-8)",
			     "invalid UTF-8 (%s) at byte 0x%02X", problem, byte);
}

static int report_syntax_error(struct builder *b, const yaml_parser_t *p)
{
	const char *problem = p->problem ? p->problem : "syntax error";
	const char *path = builder_path(b, b->stack.len, false);
	size_t problem_off = posmap_byte(&b->pm, p->problem_mark.index);
	struct src_loc at = loc_at_byte(b->src, b->file, problem_off);
	at.len = 1;
	const char *hint = NULL;
	if (problem_off < b->src->len && b->src->data[problem_off] == '\t')
		hint = "YAML does not allow tabs for indentation; use spaces";

	if (p->context) {
		size_t ctx_off = posmap_byte(&b->pm, p->context_mark.index);
		struct src_loc ctx = loc_at_byte(b->src, b->file, ctx_off);
		ctx.len = 1;
		const char *what = strip_prefix(p->context, "while parsing ");
		what = strip_prefix(what, "while scanning ");
		/* Input that ends inside a construct: point at where it was opened. */
		if (only_space_after(b->src, problem_off) && ctx_off < problem_off) {
			int err = builder_error(b, ctx, path, "yaml-syntax",
						"the input is truncated, or a closing bracket or quote is missing",
						"%s is never closed: %s before end of input", what, problem);
			if (err == -EINVAL && !b->probe)
				diag_note(b->diags, at, NULL, "yaml-syntax", NULL, "end of input here");
			return err;
		}
		return builder_error(b, at, path, "yaml-syntax", hint, "%s (%s started at line %u)", problem, what,
				     ctx.line);
	}
	return builder_error(b, at, path, "yaml-syntax", hint, "%s", problem);
}

static int report_parser_error(struct builder *b, const yaml_parser_t *p)
{
	switch (p->error) {
	case YAML_MEMORY_ERROR:
		return -ENOMEM;
	case YAML_READER_ERROR:
		return report_reader_error(b, p);
	default:
		return report_syntax_error(b, p);
	}
}

/* ---- the event loop ------------------------------------------------------ */

struct reader {
	struct builder *b;
	const char *data;
	size_t len;
};

/*
 * libyaml pulls input while it scans a token and buffers the whole token
 * (a scalar is copied into a growing string) before the event comes out.
 * Between two events it needs at most one scalar plus a little look-ahead;
 * more than that is a scalar over the limit, refused here before it is
 * buffered (reported by report_token_too_long()).
 */
static int read_input(void *data, unsigned char *buffer, size_t size, size_t *size_read)
{
	struct reader *r = data;
	struct builder *b = r->b;
	if (b->fed - b->fed_at_event > 2 * b->lim->max_scalar + 2 * YAML_READ_CHUNK) {
		b->token_too_long = true;
		return 0;
	}
	size_t n = r->len - b->fed;
	if (n > size)
		n = size;
	if (n > YAML_READ_CHUNK)
		n = YAML_READ_CHUNK;
	memcpy(buffer, r->data + b->fed, n);
	b->fed += n;
	*size_read = n;
	return 1;
}

static int report_token_too_long(struct builder *b)
{
	/* From the end of the last event to the start of the token: past blanks and indicators. */
	size_t at = b->fed_at_event;
	while (at < b->src->len && strchr(" \t\r\n:-,[{?", b->src->data[at]))
		at++;
	struct src_loc loc = loc_at_byte(b->src, b->file, at);
	loc.len = 1;
	return builder_error(b, loc, builder_path(b, b->stack.len, false), "yaml-scalar-size",
			     "Kubernetes caps all annotations of an object at 256 KiB; split or shorten the value",
			     "a scalar here runs for more than %zu bytes (the limit is %zu)",
			     2 * b->lim->max_scalar, b->lim->max_scalar);
}

static int run_parser(struct builder *b, const char *data, size_t len)
{
	yaml_parser_t parser;
	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	struct reader reader = {.b = b, .data = data, .len = len};
	b->fed = b->fed_at_event = 0;
	yaml_parser_set_input(&parser, read_input, &reader);
	/* Forced UTF-8: marks then count what the posmap counts (a BOM is one character). */
	yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);

	int err = 0;
	bool done = false;
	while (!done && !err) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&parser, &ev)) {
			err = b->token_too_long ? report_token_too_long(b) : report_parser_error(b, &parser);
			break;
		}
		switch (ev.type) {
		case YAML_DOCUMENT_START_EVENT:
			err = on_document_start(b, &ev);
			break;
		case YAML_DOCUMENT_END_EVENT:
			on_document_end(b);
			break;
		case YAML_SCALAR_EVENT:
			err = on_scalar(b, &ev);
			break;
		case YAML_SEQUENCE_START_EVENT:
			err = on_collection_start(b, &ev, YNODE_SEQUENCE);
			break;
		case YAML_MAPPING_START_EVENT:
			err = on_collection_start(b, &ev, YNODE_MAPPING);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			err = on_collection_end(b);
			break;
		case YAML_ALIAS_EVENT:
			err = on_alias(b, &ev);
			break;
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		default:
			break;
		}
		/*
		 * Input libyaml had consumed when this event ended (marks count
		 * characters). After the handlers: the posmap walks forward only.
		 */
		b->fed_at_event = posmap_byte(&b->pm, ev.end_mark.index);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	return err;
}

/*
 * libyaml's reader rejects a bad byte before the parser reaches it, so the
 * stack says nothing about where it is. Parse the valid prefix again and
 * take the path of the last node that started before the byte.
 */
static char *probe_path(struct builder *outer, size_t offset)
{
	if (outer->probe)
		return NULL;
	struct builder b = *outer;
	memset(&b.stack, 0, sizeof(b.stack));
	memset(&b.docs, 0, sizeof(b.docs));
	b.probe = true;
	b.last_path = NULL;
	b.alias_nodes = 0;
	posmap_init(&b.pm, outer->src, outer->file);
	/* The prefix is valid UTF-8 up to the byte libyaml refused. */
	(void)run_parser(&b, outer->src->data, offset);
	return b.last_path;
}

int yaml_load(struct arena *arena, struct diag_sink *diags, const struct source_set *sources, uint32_t file,
	      const struct yaml_limits *limits, struct ystream *out)
{
	const struct src_file *src = source_get(sources, file);
	if (!src)
		return -ENOENT;
	struct builder b;
	memset(&b, 0, sizeof(b));
	b.arena = arena;
	b.diags = diags;
	b.src = src;
	b.file = file;
	b.lim = limits ? limits : &yaml_default_limits;
	b.arena_at_start = arena_used(arena);
	posmap_init(&b.pm, src, file);
	strmap_init(&b.anchors, arena);

	const unsigned char *d = (const unsigned char *)src->data;
	if (src->len >= 2 && ((d[0] == 0xff && d[1] == 0xfe) || (d[0] == 0xfe && d[1] == 0xff) ||
			      (src->len >= 4 && d[0] == 0 && d[1] == 0 && d[2] == 0xfe && d[3] == 0xff))) {
		struct src_loc loc = {.file = file, .line = 1, .col = 1, .len = 0};
		return builder_error(&b, loc, NULL, "yaml-encoding", "convert it: iconv -f utf-16 -t utf-8",
				     "UTF-16/UTF-32 input is not supported; polc reads UTF-8");
	}

	int err = run_parser(&b, src->data, src->len);
	if (err)
		return err;
	out->docs = b.docs.items;
	out->n_docs = b.docs.len;
	return 0;
}
