/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Regular expressions of L7 rules, compiled to minimal DFAs over bytes.
 *
 * Cilium hands the regexes of HTTP rules (method, path, host, header values)
 * to Envoy as RE2 safe_regex, matched in full; DNS matchPattern becomes a Go
 * regexp. polc matches them in the datapath instead, so it compiles each rule
 * set of a port into one DFA that the BPF program walks once per request
 * field, and whose accepting states say which of the rules matched.
 *
 *   pattern --regex_parse()--> struct regex_ast --dfa_build()--> struct dfa
 *            (regex.l/regex.y)                   (Thompson NFA, subset
 *                                                 construction, Hopcroft,
 *                                                 canonical numbering)
 *
 * Syntax: the RE2 subset that has a DFA. Literals (UTF-8), `.`, bracket
 * classes with ranges, negation, escapes, [:alpha:]-style POSIX classes,
 * \d \w \s \D \W \S, ^ $ \A \z, * + ? {m} {m,} {m,n} and their lazy forms
 * (same language for a full match), | ( ) (?: ) (?P<name> ) (?<name> ),
 * flags (?i) (?s) (?U) and (?flags:re) scoped as in RE2, \Q...\E, \C (any
 * byte), escapes \. \\ \x41 \x{263a} \123 \t \n \r \f \v \a. Everything else
 * RE2 or Perl knows (backreferences, lookaround, \b, \p{..}, (?m),
 * possessive quantifiers, ...) is an error that names the construct.
 *
 * Semantics: full match (as RE2::FullMatch), byte input. A character class
 * or `.` matches one Unicode scalar value in its UTF-8 encoding; invalid
 * UTF-8 (stray continuation bytes, overlong forms, surrogates, > U+10FFFF)
 * matches no class, so `/public/.*` does not match a path with a raw 0xff
 * byte: the datapath fails closed. \C matches any one byte. ^ and \A assert
 * the beginning of the input, $ and \z its end, anywhere in the pattern
 * (`a^b` matches nothing, `(^|/)x` matches "x" and "/x"); at the ends they
 * change nothing. `.` excludes \n unless (?s). Case folding: (?i) folds
 * ASCII letters plus the two non-ASCII members of their Unicode fold orbits
 * (U+212A KELVIN SIGN with k, U+017F LONG S with s), exactly as RE2 does; a
 * non-ASCII literal under (?i) is an error (polc has no Unicode case
 * tables). REGEX_ICASE_ASCII folds A-Z/a-z only (DNS names, RFC 4343).
 *
 * Memory: everything is allocated from the caller's arena; errors are
 * returned as values (struct regex_error), nothing is printed.
 */
#ifndef POLC_GRAMMAR_REGEX_H
#define POLC_GRAMMAR_REGEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/arena.h"
#include "util/strbuf.h"

/* ---- parsing ------------------------------------------------------------ */

/* regex_parse() flags. */
enum {
	REGEX_ICASE = 1u << 0,	     /* as if the pattern began with (?i) */
	REGEX_ICASE_ASCII = 1u << 1, /* fold A-Z/a-z only, for (?i) too */
	REGEX_DOTNL = 1u << 2,	     /* as if the pattern began with (?s) */
	REGEX_LITERAL = 1u << 3,     /* the pattern is a literal string */
};

/* RE2's bounds: larger counts in {m,n} and deeper group nesting are errors. */
#define REGEX_MAX_REPEAT 1000
#define REGEX_MAX_NESTING 1000

/*
 * An error, as a value. offset/len delimit the offending construct in the
 * pattern (bytes; len 0 = at the end of the pattern); column is offset
 * counted in characters (UTF-8 code points) plus one, which is what a YAML
 * column is counted in, so the caller adds it to the column of the scalar
 * (for plain and single-quoted scalars without escapes). index is the
 * position in dfa_build()'s array of the regex the error is about, or -1.
 */
struct regex_error {
	int code; /* -EINVAL syntax or unsupported, -E2BIG too complex, -ENOMEM */
	uint32_t offset;
	uint32_t len;
	uint32_t column;
	int32_t index;
	char message[200];
};

/* The parsed regex: a tree with folded case, UTF-8 decoded, groups gone. */
enum regex_node_kind {
	REGEX_NODE_EMPTY,    /* matches "" */
	REGEX_NODE_CLASS,    /* one scalar value of a set; literals are sets of one */
	REGEX_NODE_ANY_BYTE, /* \C */
	REGEX_NODE_BEGIN,    /* ^ \A: at the beginning of the input */
	REGEX_NODE_END,	     /* $ \z: at the end of the input */
	REGEX_NODE_CONCAT,
	REGEX_NODE_ALT,
	REGEX_NODE_REPEAT, /* min..max copies, max REGEX_REPEAT_INF for none */
};

#define REGEX_REPEAT_INF UINT32_MAX
#define REGEX_CP_MAX 0x10FFFFu

/* A closed interval of Unicode code points. */
struct regex_range {
	uint32_t lo, hi;
};

struct regex_node {
	enum regex_node_kind kind;
	uint32_t offset, len; /* source span in the pattern, bytes */
	union {
		struct {
			/* sorted, disjoint, not adjacent, no surrogates */
			const struct regex_range *ranges;
			uint32_t n;
		} cls;
		struct {
			struct regex_node *const *subs;
			uint32_t n; /* >= 2 */
		} list;
		struct {
			const struct regex_node *sub;
			uint32_t min, max;
		} rep;
	};
};

struct regex_ast {
	const struct regex_node *root;
	unsigned flags; /* as passed to regex_parse() */
};

/*
 * Parse pattern[0..len) (need not be NUL-terminated; NUL bytes are
 * literals). 0 and *out set, or a negative errno with *err filled and *out
 * untouched. err may be NULL.
 */
int regex_parse(struct arena *arena, const char *pattern, size_t len, unsigned flags,
		struct regex_ast **out, struct regex_error *err);

/* The tree as an S-expression, for tests and --dump: deterministic. */
void regex_ast_dump(const struct regex_ast *ast, struct strbuf *sb);

/* ---- DFA ---------------------------------------------------------------- */

/*
 * Bounds on the work of one dfa_build(), so that a hostile or careless
 * pattern gets "regex too complex" instead of minutes or gigabytes. A zero
 * field means the default.
 */
struct dfa_limits {
	uint32_t max_nfa_states; /* Thompson states, all regexes together */
	uint32_t max_dfa_states; /* states the subset construction may create */
	uint64_t max_steps;	 /* NFA states visited by all closures together */
};

#define DFA_DEFAULT_MAX_NFA_STATES 100000u
#define DFA_DEFAULT_MAX_DFA_STATES 10000u
/* Half a second or so; realistic rule sets need well under a million. */
#define DFA_DEFAULT_MAX_STEPS 100000000ull

/*
 * The table the datapath walks. Canonical: two regex sets with the same
 * languages (per regex) give byte-identical tables.
 *
 *   state 0        dead: no accepting state is reachable; every class goes
 *                  back to 0. Always present, so zero-filled memory is a
 *                  safe default and the walk can stop on reaching it.
 *   start          1, or 0 when no regex can match anything.
 *   other states   numbered 1.. in breadth-first order from start, classes
 *                  visited in order.
 *   class_of[b]    the byte class of byte b; classes are the coarsest
 *                  partition of the 256 bytes the DFA distinguishes,
 *                  numbered in order of their smallest byte (class_of[0] = 0).
 *   next[s * n_classes + c]   the transition table, row per state.
 *   accept_of[s]   accept set of state s, 0 = the empty set. A state's set
 *                  is the set of regexes that match when the input ends in
 *                  that state.
 *   accept_sets[a * accept_words + w]  bit i of set a = regex i (in
 *                  dfa_build()'s order), 64 regexes per word; sets numbered
 *                  by first appearance in state order, set 0 is empty.
 *   flags[s]       DFA_STATE_SINK: every byte stays in s, so the walk can
 *                  stop there: the dead state, and accepting states such as
 *                  the one after /public/ in /public/\C*. (Not after
 *                  /public/ in /public/.*: a later invalid UTF-8 byte still
 *                  fails the match.)
 *
 * Walk: s = start; for each byte b: s = next[s * n_classes + class_of[b]];
 * then accept_of[s] says which regexes matched the whole input.
 */
struct dfa {
	uint32_t n_states;
	uint32_t n_classes;
	uint32_t start;
	uint32_t n_regexes;
	uint32_t accept_words;	/* max(1, ceil(n_regexes / 64)) */
	uint32_t n_accept_sets; /* >= 1 */
	uint8_t class_of[256];
	const uint32_t *next;
	const uint32_t *accept_of;
	const uint64_t *accept_sets;
	const uint8_t *flags;
};

#define DFA_DEAD_STATE 0u
#define DFA_STATE_SINK 0x01u

/*
 * One DFA for res[0..n): state accept sets say which of them match. limits
 * NULL means the defaults. 0 and *out set, or a negative errno with *err
 * filled (index = the regex at fault when there is one) and *out untouched.
 */
int dfa_build(struct arena *arena, const struct regex_ast *const *res, size_t n,
	      const struct dfa_limits *limits, struct dfa **out, struct regex_error *err);

/* regex_parse() then dfa_build() of that one regex. */
int regex_compile(struct arena *arena, const char *pattern, size_t len, unsigned flags,
		  const struct dfa_limits *limits, struct dfa **out, struct regex_error *err);

/* The reference walker: the accept set id of the state s[0..n) ends in. */
uint32_t dfa_match(const struct dfa *dfa, const uint8_t *s, size_t n);
/* Walk from a state; returns the state reached. */
uint32_t dfa_walk(const struct dfa *dfa, uint32_t state, const uint8_t *s, size_t n);
/* Whether accept set `set` contains regex `regex`. */
bool dfa_set_has(const struct dfa *dfa, uint32_t set, uint32_t regex);
/* Identical tables (hence, canonical form, equivalent regex sets). */
bool dfa_equal(const struct dfa *a, const struct dfa *b);
/* Bytes per next[] entry that the datapath needs: 1, 2 or 4. */
unsigned dfa_state_width(const struct dfa *dfa);

/* Readable and deterministic (for --dump=dfa and golden tests). */
void dfa_dump(const struct dfa *dfa, struct strbuf *sb);

/* ---- Cilium DNS rules --------------------------------------------------- */

/*
 * The regex Cilium matches a DNS name against (lower case, fully qualified
 * with a trailing dot) for a matchName or a matchPattern (`*` = any run of
 * [-a-zA-Z0-9_] within a label, a leading `**.` = one or more whole labels,
 * a pattern of only `*` = every name). Compile the result with
 * REGEX_ICASE_ASCII to match names as they come off the wire. 0 or -EINVAL
 * (with err) for characters Cilium does not accept, -ENOMEM.
 */
int regex_from_dns_pattern(struct arena *arena, const char *pattern, size_t len, char **out,
			   struct regex_error *err);
int regex_from_dns_name(struct arena *arena, const char *name, size_t len, char **out,
			struct regex_error *err);

#endif
