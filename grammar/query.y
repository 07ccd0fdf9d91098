/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Parser of the connectivity query and assertion language (query.h has
 * the language by example). Pure and reentrant, with byte-offset
 * locations; errors become diagnostics with file:line:col through
 * query_error_at(), and a bad line is skipped (error NEWLINE) so one
 * run reports every bad line of an assertion file. All semantic values
 * live in the caller's arena: nothing to free on error recovery, hence
 * no %destructor.
 *
 *   file       := line*
 *   line       := assertion? NEWLINE
 *   assertion  := endpoint "->" endpoint service verdict
 *   endpoint   := name "/" name | name "/" "*"
 *               | "pod" selector ("in ns" selector)? | "ns" selector
 *               | IPV4 | IPV6 | "world" | "world6"
 *   selector   := "*" | requirement ("," requirement)*
 *   requirement:= key ("=" | "==" | "!=") value | key ("in" | "notin") "(" value ("," value)* ")"
 *               | key | "!" key
 *   key        := name ("/" name)?                 (prefix/name label keys)
 *   service    := PROTO "/" (NUMBER | name)        (tcp udp sctp icmp icmpv6)
 *   verdict    := "allow" | "deny"
 *
 * The scanner sends one start token first (QUERY_START_*), so the same
 * grammar also parses a lone endpoint or service: the FROM, TO and PORT
 * arguments of polc trace.
 */

%define api.pure full
%define api.prefix {query_yy}
%define api.token.prefix {TOK_}
%define api.location.type {struct query_loc}
%define parse.error detailed
%locations

%param {void *scanner}
%parse-param {struct query_ctx *ctx}

%code requires {
#include "grammar/query_int.h"
}

%code provides {
int query_yylex(QUERY_YYSTYPE *lval, struct query_loc *lloc, void *scanner);
}

%code {
#include <string.h>

#define YYLLOC_DEFAULT(cur, rhs, n)                                    \
	do {                                                           \
		if (n) {                                               \
			(cur).begin = YYRHSLOC(rhs, 1).begin;          \
			(cur).end = YYRHSLOC(rhs, n).end;              \
		} else {                                               \
			(cur).begin = (cur).end = YYRHSLOC(rhs, 0).end; \
		}                                                      \
	} while (0)

static void query_yyerror(struct query_loc *loc, void *scanner, struct query_ctx *ctx, const char *msg)
{
	(void)scanner;
	query_error_at(ctx, *loc, "query-syntax", NULL, "%s", msg);
}

/* Give up on the text after too many errors (the count includes scanner errors). */
#define CHECK(x)                                                 \
	do {                                                     \
		if (!(x)) {                                      \
			if (ctx->oom || ctx->n_errors >= QUERY_MAX_ERRORS) \
				YYABORT;                         \
			YYERROR;                                 \
		}                                                \
	} while (0)

static struct query_endpoint ep_new(enum query_endpoint_kind kind, struct query_loc loc)
{
	struct query_endpoint ep;
	memset(&ep, 0, sizeof(ep));
	ep.kind = kind;
	ep.loc = loc;
	return ep;
}
}

%union {
	const char *str;
	struct query_addr addr;
	uint8_t proto;
	int verdict;
	struct query_endpoint ep;
	struct query_selector sel;
	struct query_req req;
	struct query_service svc;
	struct query_assertion assertion;
}

%token START_FILE START_ENDPOINT START_SERVICE
%token NEWLINE "end of line"
%token ARROW "->"
%token EQ "=" EQEQ "==" NE "!=" NOT "!"
%token COMMA "," LPAREN "(" RPAREN ")" SLASH "/" STAR "*"
%token KW_POD "pod" KW_NS "ns" IN "in" IN_NS "in ns" NOTIN "notin"
%token WORLD "world" WORLD6 "world6" ALLOW "allow" DENY "deny"
%token <proto> PROTO "protocol"
%token <str> NAME "name" NUMBER "number" STRING "quoted string"
%token <addr> IPV4 "IPv4 address" IPV6 "IPv6 address"

%type <str> name key value
%type <ep> endpoint
%type <sel> selector requirements
%type <req> requirement values
%type <svc> service
%type <verdict> verdict
%type <assertion> assertion

%%

start:
	  START_FILE lines
	| START_ENDPOINT endpoint	{ ctx->endpoint = $2; ctx->have_result = true; }
	| START_SERVICE service		{ ctx->service = $2; ctx->have_result = true; }
	;

lines:
	  %empty
	| lines line
	;

line:
	  NEWLINE
	| assertion NEWLINE		{ CHECK(query_push(ctx, &$1)); } /* whole lines only: junk after it drops it */
	| error NEWLINE			{ yyerrok; if (ctx->oom || ctx->n_errors >= QUERY_MAX_ERRORS) YYABORT; }
	;

assertion:
	  endpoint ARROW endpoint service verdict
		{
			memset(&$$, 0, sizeof($$));
			$$.from = $1;
			$$.to = $3;
			$$.service = $4;
			$$.verdict = $5;
			$$.loc = @$;
		}
	;

verdict:
	  ALLOW		{ $$ = QUERY_ALLOW; }
	| DENY		{ $$ = QUERY_DENY; }
	;

endpoint:
	  name SLASH name
		{
			$$ = ep_new(QUERY_EP_POD, @$);
			$$.ns = $1;
			$$.name = $3;
		}
	| name SLASH STAR
		{
			$$ = ep_new(QUERY_EP_NAMESPACE, @$);
			$$.ns = $1;
		}
	| KW_POD selector
		{
			$$ = ep_new(QUERY_EP_PODS, @$);
			$$.pods = $2;
		}
	| KW_POD selector IN_NS selector
		{
			$$ = ep_new(QUERY_EP_PODS, @$);
			$$.pods = $2;
			$$.nss = $4;
			$$.has_ns = true;
		}
	| KW_NS selector
		{
			$$ = ep_new(QUERY_EP_NS_PODS, @$);
			$$.nss = $2;
			$$.has_ns = true;
		}
	| IPV4
		{
			$$ = ep_new(QUERY_EP_ADDR, @$);
			$$.family = 4;
			memcpy($$.addr, $1.bytes, 16);
		}
	| IPV6
		{
			$$ = ep_new(QUERY_EP_ADDR, @$);
			$$.family = 6;
			memcpy($$.addr, $1.bytes, 16);
		}
	| WORLD		{ $$ = ep_new(QUERY_EP_WORLD, @$); $$.family = 4; }
	| WORLD6	{ $$ = ep_new(QUERY_EP_WORLD, @$); $$.family = 6; }
	;

selector:
	  STAR			{ memset(&$$, 0, sizeof($$)); $$.loc = @$; }
	| requirements		{ $$ = $1; $$.loc = @$; }
	;

requirements:
	  requirement
		{
			memset(&$$, 0, sizeof($$));
			CHECK(query_add_req(ctx, &$$, &$1));
		}
	| requirements COMMA requirement
		{
			$$ = $1;
			CHECK(query_add_req(ctx, &$$, &$3));
		}
	;

requirement:
	  key EQ value
		{
			memset(&$$, 0, sizeof($$));
			$$.key = $1; $$.op = IR_SEL_IN; $$.loc = @$;
			CHECK(query_add_value(ctx, &$$, $3));
		}
	| key EQEQ value
		{
			memset(&$$, 0, sizeof($$));
			$$.key = $1; $$.op = IR_SEL_IN; $$.loc = @$;
			CHECK(query_add_value(ctx, &$$, $3));
		}
	| key NE value
		{
			memset(&$$, 0, sizeof($$));
			$$.key = $1; $$.op = IR_SEL_NOT_IN; $$.loc = @$;
			CHECK(query_add_value(ctx, &$$, $3));
		}
	| key IN LPAREN values RPAREN
		{
			$$ = $4;
			$$.key = $1; $$.op = IR_SEL_IN; $$.loc = @$;
		}
	| key NOTIN LPAREN values RPAREN
		{
			$$ = $4;
			$$.key = $1; $$.op = IR_SEL_NOT_IN; $$.loc = @$;
		}
	| key
		{
			memset(&$$, 0, sizeof($$));
			$$.key = $1; $$.op = IR_SEL_EXISTS; $$.loc = @$;
		}
	| NOT key
		{
			memset(&$$, 0, sizeof($$));
			$$.key = $2; $$.op = IR_SEL_NOT_EXISTS; $$.loc = @$;
		}
	;

values:
	  value
		{
			memset(&$$, 0, sizeof($$));
			CHECK(query_add_value(ctx, &$$, $1));
		}
	| values COMMA value
		{
			$$ = $1;
			CHECK(query_add_value(ctx, &$$, $3));
		}
	;

key:
	  name
	| name SLASH name
		{
			char *k = arena_printf(ctx->in->arena, "%s/%s", $1, $3);
			if (!k)
				ctx->oom = true;
			CHECK(k);
			$$ = k;
		}
	;

value:
	  name
	| IPV4		{ $$ = query_strndup(ctx, ctx->text + @1.begin, @1.end - @1.begin); CHECK($$); }
	;

name:
	  NAME
	| NUMBER
	| STRING
	;

service:
	  PROTO SLASH NUMBER	{ CHECK(query_make_service(ctx, $1, $3, true, @$, &$$)); }
	| PROTO SLASH NAME	{ CHECK(query_make_service(ctx, $1, $3, false, @$, &$$)); }
	| PROTO SLASH STRING	{ CHECK(query_make_service(ctx, $1, $3, false, @$, &$$)); }
	;

%%
