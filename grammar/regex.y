/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Parser of L7 rule regexes: tokens from regex.l to the regex_node tree of
 * regex.h. Pure (reentrant) with byte-offset locations; every error is
 * recorded in the parse context with the span of the construct, never
 * printed. The semantic actions live in regex_build.c.
 *
 *   regex := alt
 *   alt   := seq ('|' seq)*
 *   seq   := (atom | repetition | flag group)*    a repetition applies to
 *            the atom before it (a** and *a are errors, as in RE2)
 *   atom  := char | . | ^ | $ | \A | \z | \C | \d \w \s \D \W \S | class | group
 *   class := ('[' | '[^') (char | char '-' char | [:name:] | \d...)* ']'
 *   group := ('(' | '(?:' | '(?P<name>' | '(?<name>' | '(?flags:') alt ')'
 *
 * Flags scope as in RE2: (?i) applies from where it stands to the end of
 * the enclosing group (across `|`), (?i:re) to re. Actions run in source
 * order, so the flags in effect when a literal or class is reduced are the
 * flags that apply to it.
 */

%define api.pure full
%define api.prefix {regex_yy}
%define api.token.prefix {TOK_}
%define api.location.type {struct regex_loc}
%define parse.error detailed
%locations

%param {void *scanner}
%parse-param {struct regex_parse_ctx *ctx}

%code requires {
#include "grammar/regex_int.h"
}

%code provides {
int regex_yylex(REGEX_YYSTYPE *lval, struct regex_loc *lloc, void *scanner);
}

%code {
#include <errno.h>

#define YYLLOC_DEFAULT(cur, rhs, n)                                    \
	do {                                                           \
		if (n) {                                               \
			(cur).begin = YYRHSLOC(rhs, 1).begin;          \
			(cur).end = YYRHSLOC(rhs, n).end;              \
		} else {                                               \
			(cur).begin = (cur).end = YYRHSLOC(rhs, 0).end; \
		}                                                      \
	} while (0)

static void regex_yyerror(struct regex_loc *loc, void *scanner, struct regex_parse_ctx *ctx,
			  const char *msg)
{
	(void)scanner;
	regex_fail(ctx, -EINVAL, loc->begin, loc->end - loc->begin, "%s", msg);
}

#define FAIL_AT(loc, ...)                                                         \
	do {                                                                      \
		regex_fail(ctx, -EINVAL, (loc).begin, (loc).end - (loc).begin, __VA_ARGS__); \
		YYABORT;                                                          \
	} while (0)

#define CHECK(x)                    \
	do {                        \
		if (!(x))           \
			YYABORT;    \
	} while (0)
}

%union {
	uint32_t cp;
	bool negated;
	struct regex_quant quant;
	struct regex_flag_change flags;
	struct regex_class_ref cls;
	struct regex_group_open group;
	struct regex_node *node;
	struct regex_seq *seq;
	struct cpset *set;
}

/* Bracket classes grow in a heap set (regex_int.h); nodes and sequences
 * live in the arena. */
%destructor { cpset_free($$); } <set>

%token END "end of regex"
%token <cp> CHAR "character"
%token DOT "."
%token BOL "^"
%token EOL "$"
%token BOT "\\A"
%token EOT "\\z"
%token ANYBYTE "\\C"
%token <cls> NAMED "character class name"
%token <quant> QUANT "repetition operator"
%token <group> GROUP "("
%token <flags> FLAGS "flag group"
%token RPAREN ")"
%token BAR "|"
%token LBRACKET "["
%token LBRACKET_NEG "[^"
%token RBRACKET "]"
%token DASH "-"

%type <node> alt atom group class
%type <seq> alts seq
%type <set> items
%type <negated> class_open

%%

input
	: alt END		{ ctx->root = $1; }
	| alt RPAREN		{ FAIL_AT(@2, "unmatched ')'"); }
	;

alt
	: alts			{ CHECK($$ = regex_seq_alt(ctx, $1, @$)); }
	;

alts
	: seq			{
					struct regex_node *n;

					CHECK($$ = regex_seq_new(ctx));
					CHECK(n = regex_seq_concat(ctx, $1, @1));
					CHECK(regex_seq_push(ctx, $$, n) == 0);
				}
	| alts BAR seq		{
					struct regex_node *n;

					CHECK(n = regex_seq_concat(ctx, $3, @3));
					CHECK(regex_seq_push(ctx, $1, n) == 0);
					$$ = $1;
				}
	;

seq
	: %empty		{ CHECK($$ = regex_seq_new(ctx)); }
	| seq atom		{ CHECK(regex_seq_push(ctx, $1, $2) == 0); $$ = $1; }
	| seq QUANT		{ CHECK(regex_seq_repeat(ctx, $1, $2, @2) == 0); $$ = $1; }
	| seq FLAGS		{ regex_seq_flags(ctx, $1, $2); $$ = $1; }
	;

atom
	: CHAR			{ CHECK($$ = regex_node_literal(ctx, $1, @1)); }
	| DOT			{ CHECK($$ = regex_node_dot(ctx, @1)); }
	| BOL			{ CHECK($$ = regex_node_new(ctx, REGEX_NODE_BEGIN, @1)); }
	| BOT			{ CHECK($$ = regex_node_new(ctx, REGEX_NODE_BEGIN, @1)); }
	| EOL			{ CHECK($$ = regex_node_new(ctx, REGEX_NODE_END, @1)); }
	| EOT			{ CHECK($$ = regex_node_new(ctx, REGEX_NODE_END, @1)); }
	| ANYBYTE		{ CHECK($$ = regex_node_new(ctx, REGEX_NODE_ANY_BYTE, @1)); }
	| NAMED			{ CHECK($$ = regex_node_named(ctx, $1, @1)); }
	| class
	| group
	;

group
	: group_open alt RPAREN	{ regex_group_close(ctx); $$ = $2; }
	| group_open alt END	{ FAIL_AT(@1, "missing ')': group is not closed"); }
	;

/* Before the body: (?i: must apply to it. */
group_open
	: GROUP			{ CHECK(regex_group_open(ctx, $1, @1) == 0); }
	;

class
	: class_open items RBRACKET	{ CHECK($$ = regex_node_class(ctx, $2, $1, @$)); }
	| class_open items END		{
					cpset_free($2);
					FAIL_AT(@1, "missing ']': character class is not closed");
				}
	| class_open items CHAR DASH END {
					cpset_free($2);
					FAIL_AT(@1, "missing ']': character class is not closed");
				}
	;

class_open
	: LBRACKET		{ $$ = false; }
	| LBRACKET_NEG		{ $$ = true; }
	;

/* The scanner sends DASH only for a `-` that makes a range (RE2's rules:
 * not first in an item, not last before `]`); other dashes are CHARs. */
items
	: %empty		{
					if (!($$ = cpset_new())) {
						regex_fail(ctx, -ENOMEM, @$.begin, 0, "out of memory");
						YYABORT;
					}
				}
	| items CHAR		{
					if (regex_class_add_range(ctx, $1, $2, $2, @2)) {
						cpset_free($1);
						YYABORT;
					}
					$$ = $1;
				}
	| items CHAR DASH CHAR	{
					struct regex_loc span = {@2.begin, @4.end};

					if ($4 < $2) {
						cpset_free($1);
						FAIL_AT(span, "invalid character class range %.*s",
							(int)(span.end - span.begin),
							ctx->pattern + span.begin);
					}
					if (regex_class_add_range(ctx, $1, $2, $4, span)) {
						cpset_free($1);
						YYABORT;
					}
					$$ = $1;
				}
	| items CHAR DASH NAMED	{
					struct regex_loc span = {@2.begin, @4.end};

					cpset_free($1);
					$$ = NULL;
					FAIL_AT(span, "invalid character class range %.*s",
						(int)(span.end - span.begin), ctx->pattern + span.begin);
				}
	| items NAMED		{
					if (regex_class_add_named(ctx, $1, $2, @2)) {
						cpset_free($1);
						YYABORT;
					}
					$$ = $1;
				}
	;

%%
