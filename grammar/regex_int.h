/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Internals shared by the regex scanner, parser and automata code: code
 * point sets, the parse context the reentrant scanner and parser share, and
 * the Thompson NFA handed from regex_nfa.c to regex_dfa.c.
 */
#ifndef POLC_GRAMMAR_REGEX_INT_H
#define POLC_GRAMMAR_REGEX_INT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include "grammar/regex.h"
#include "util/vec.h"

/* ---- code point sets ---------------------------------------------------- */

/*
 * A set of code points under construction. Heap-owned (the bracket class
 * being parsed grows one item at a time and is freed, or copied into the
 * arena, at its `]`), hence the %destructor in regex.y.
 */
struct cpset {
	struct regex_range *r;
	uint32_t n, cap;
	bool normal; /* sorted, disjoint, not adjacent */
};

struct cpset *cpset_new(void);
void cpset_free(struct cpset *set);
int cpset_add(struct cpset *set, uint32_t lo, uint32_t hi);
int cpset_add_set(struct cpset *set, const struct cpset *other);
void cpset_normalize(struct cpset *set);
/* Complement within [0, REGEX_CP_MAX]. */
int cpset_negate(struct cpset *set);
/* Remove [lo, hi]. */
int cpset_remove(struct cpset *set, uint32_t lo, uint32_t hi);

enum regex_fold {
	FOLD_NONE,
	FOLD_UNICODE, /* RE2 (?i): ASCII letters + K/U+212A, S/U+017F */
	FOLD_ASCII,   /* A-Z/a-z only */
};

/* Add the case variants of every member the fold knows. */
int cpset_fold(struct cpset *set, enum regex_fold fold);
/* Whether [lo, hi] holds a code point FOLD_UNICODE has no orbit for. */
bool regex_fold_unknown(uint32_t lo, uint32_t hi);

/* Named classes: Perl (\d \s \w) and POSIX ([:alpha:]). */
struct regex_named_class {
	const char *name;
	const struct regex_range *ranges;
	uint32_t n;
};

/* Index into the table, or -1. */
int regex_perl_class(char letter);
int regex_posix_class(const char *name, size_t len);
const struct regex_named_class *regex_named_class_get(int id);

/* ---- the parse context ------------------------------------------------- */

/* Flags that scope like RE2's: (?i) lasts to the end of its group. */
enum {
	RXF_FOLD = 1u << 0,
	RXF_DOTNL = 1u << 1,
	RXF_UNGREEDY = 1u << 2,
};

struct regex_flag_change {
	uint16_t set, clear;
};

/* A *, +, ?, {m,n} token. */
struct regex_quant {
	uint32_t min, max;
};

/* A \d or [:alpha:] token. */
struct regex_class_ref {
	int id;
	bool negated;
};

/* A `(`, `(?:`, `(?P<name>` or `(?flags:` token. Names are checked for
 * their syntax only: captures do not matter to a full match, and RE2 takes
 * duplicate names. */
struct regex_group_open {
	const char *name; /* into the pattern, NULL for none */
	uint32_t name_len;
	struct regex_flag_change change;
};

/* Source location of a token or rule: byte offsets [begin, end). */
struct regex_loc {
	uint32_t begin, end;
};

/* Nodes of one alternation or concatenation being parsed. */
struct regex_seq {
	VEC(struct regex_node *) items;
	/* Whether the last item came from a repetition operator: RE2 rejects
	 * a** rather than reading it as (a*)*. */
	bool last_is_repeat;
	uint32_t last_repeat_begin;
	/* Whether the sequence can take a repetition operator now. */
	bool has_operand;
};

struct regex_parse_ctx {
	struct arena *arena;
	const char *pattern;
	size_t len;
	struct regex_error *err;
	bool failed;

	/* scanner */
	jmp_buf *fatal; /* where flex's out-of-memory exits unwind to */
	uint32_t pos;	/* offset of the next byte to scan */
	bool end_sent;	/* END token returned */
	uint32_t depth; /* open groups */
	/* In brackets, as RE2 reads them: whether the next character starts
	 * an item, may be followed by a range `-`, or ends a range. */
	enum { CLASS_ITEM, CLASS_LO, CLASS_HI } class_at;

	/* parser */
	unsigned flags;		 /* RXF_* in effect */
	VEC(unsigned) saved;	 /* flags to restore at each open group's ')' */
	enum regex_fold fold;	 /* what RXF_FOLD does */
	struct regex_node *root;
};

/* Record an error at [offset, offset + len) of the pattern; first wins. */
void regex_fail(struct regex_parse_ctx *ctx, int code, uint32_t offset, uint32_t len,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void regex_error_set(struct regex_error *err, const char *pattern, size_t pattern_len, int code,
		     uint32_t offset, uint32_t len, const char *fmt, va_list ap)
	__attribute__((format(printf, 7, 0)));

/* Parser actions (regex_build.c). NULL on failure, with the error set. */
struct regex_node *regex_node_new(struct regex_parse_ctx *ctx, enum regex_node_kind kind,
				  struct regex_loc loc);
struct regex_node *regex_node_literal(struct regex_parse_ctx *ctx, uint32_t cp,
				      struct regex_loc loc);
struct regex_node *regex_node_dot(struct regex_parse_ctx *ctx, struct regex_loc loc);
struct regex_node *regex_node_named(struct regex_parse_ctx *ctx, struct regex_class_ref ref,
				    struct regex_loc loc);
/* Takes the set (freed in every case). */
struct regex_node *regex_node_class(struct regex_parse_ctx *ctx, struct cpset *set, bool negated,
				    struct regex_loc loc);
/* Class items: add [lo, hi] / a named class, folding per the flags. */
int regex_class_add_range(struct regex_parse_ctx *ctx, struct cpset *set, uint32_t lo, uint32_t hi,
			  struct regex_loc loc);
int regex_class_add_named(struct regex_parse_ctx *ctx, struct cpset *set,
			  struct regex_class_ref ref, struct regex_loc loc);

struct regex_seq *regex_seq_new(struct regex_parse_ctx *ctx);
int regex_seq_push(struct regex_parse_ctx *ctx, struct regex_seq *seq, struct regex_node *node);
int regex_seq_repeat(struct regex_parse_ctx *ctx, struct regex_seq *seq, struct regex_quant q,
		     struct regex_loc loc);
void regex_seq_flags(struct regex_parse_ctx *ctx, struct regex_seq *seq,
		     struct regex_flag_change change);
/* Collapse: CONCAT (or EMPTY, or the single item) / ALT of the items. */
struct regex_node *regex_seq_concat(struct regex_parse_ctx *ctx, struct regex_seq *seq,
				    struct regex_loc loc);
struct regex_node *regex_seq_alt(struct regex_parse_ctx *ctx, struct regex_seq *seq,
				 struct regex_loc loc);

int regex_group_open(struct regex_parse_ctx *ctx, struct regex_group_open open,
		     struct regex_loc loc);
void regex_group_close(struct regex_parse_ctx *ctx);

/* ---- scanner helpers (regex_scan.c) ------------------------------------- */

/*
 * Decode one UTF-8 scalar value from s[0..n): its length, or 0 when the
 * bytes are not valid UTF-8 (overlong, surrogate, > U+10FFFF, truncated).
 */
unsigned regex_utf8_decode(const uint8_t *s, size_t n, uint32_t *cp);
unsigned regex_utf8_encode(uint32_t cp, uint8_t out[4]);

/* (?flags) / (?flags: body between "(?" and the final ')' or ':'. */
int regex_scan_flags(struct regex_parse_ctx *ctx, const char *text, uint32_t len, uint32_t offset,
		     struct regex_flag_change *out);

/* ---- Thompson NFA ------------------------------------------------------ */

enum nfa_kind {
	NFA_BYTE,  /* lo..hi -> out */
	NFA_SPLIT, /* out and out1, no input */
	NFA_EPS,   /* out */
	NFA_BEGIN, /* out, only at the beginning of the input */
	NFA_END,   /* out, only at the end of the input */
	NFA_MATCH, /* regex `out` matched */
	NFA_FAIL,  /* nothing: the empty class */
};

struct nfa_state {
	uint8_t kind, lo, hi;
	uint32_t out, out1;
};

struct nfa {
	VEC(struct nfa_state) vec;
	uint32_t start;
};

/* Every regex of res in one NFA whose NFA_MATCH states carry the index. */
int nfa_build(struct arena *scratch, const struct regex_ast *const *res, size_t n,
	      uint32_t max_states, struct nfa *out, struct regex_error *err);

/* UTF-8 byte-range sequences of a set of code points, as RE2 compiles them. */
struct utf8_seq {
	uint8_t len;
	uint8_t lo[4], hi[4];
};

/* Calls fn for each sequence; sequences are disjoint and prefix-free. */
int utf8_sequences(const struct regex_range *ranges, uint32_t n,
		   int (*fn)(const struct utf8_seq *seq, void *arg), void *arg);

/* ---- subset construction to minimisation --------------------------------- */

/*
 * A complete DFA over byte intervals (the boundaries of every NFA byte
 * range): state 0 is the empty set of NFA states.
 */
struct dfa_raw {
	uint32_t n, k, words, start;
	uint8_t iclass[256]; /* byte -> interval */
	uint32_t *next;	     /* n * k */
	uint64_t *acc;	     /* n * words */
};

int dfa_subset(struct arena *scratch, const struct nfa *nfa, uint32_t n_regexes,
	       const struct dfa_limits *limits, struct dfa_raw *out, struct regex_error *err);

/* Hopcroft, then the canonical form of struct dfa, allocated in arena. */
int dfa_minimize(struct arena *scratch, struct arena *arena, const struct dfa_raw *raw,
		 uint32_t n_regexes, struct dfa **out);

void regex_error_setf(struct regex_error *err, int code, int32_t index, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
