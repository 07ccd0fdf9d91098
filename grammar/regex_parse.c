/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * regex_parse(): runs the reentrant scanner and parser of regex.l/regex.y
 * over one pattern and turns whatever went wrong into a struct
 * regex_error; plus the flag-group scanner helper, literal patterns and
 * the tree dump.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include "grammar/regex_int.h"
#include "grammar/regex.tab.h"

#define YYSTYPE REGEX_YYSTYPE
#define YYLTYPE struct regex_loc
#include "grammar/regex.lex.h"

/* Characters (UTF-8 lead bytes) before offset, plus one. */
static uint32_t column_of(const char *pattern, size_t len, uint32_t offset)
{
	uint32_t col = 1;

	for (size_t i = 0; i < offset && i < len; i++)
		col += ((uint8_t)pattern[i] & 0xc0) != 0x80;
	return col;
}

void regex_error_set(struct regex_error *err, const char *pattern, size_t pattern_len, int code,
		     uint32_t offset, uint32_t len, const char *fmt, va_list ap)
{
	err->code = code;
	err->offset = offset;
	err->len = len;
	err->column = column_of(pattern, pattern_len, offset);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
}

void regex_fail(struct regex_parse_ctx *ctx, int code, uint32_t offset, uint32_t len,
		const char *fmt, ...)
{
	va_list ap;

	if (ctx->failed)
		return;
	ctx->failed = true;
	va_start(ap, fmt);
	regex_error_set(ctx->err, ctx->pattern, ctx->len, code, offset, len, fmt, ap);
	va_end(ap);
}

void regex_error_setf(struct regex_error *err, int code, int32_t index, const char *fmt, ...)
{
	va_list ap;

	memset(err, 0, sizeof(*err));
	err->code = code;
	err->index = index;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
}

/*
 * The letters of (?flags) / (?flags:, as RE2 takes them: i s U, one `-`
 * that must be followed by a flag. (?m) would make ^ and $ match at line
 * breaks; HTTP fields have none, but silently ignoring it would be wrong.
 */
int regex_scan_flags(struct regex_parse_ctx *ctx, const char *text, uint32_t len, uint32_t offset,
		     struct regex_flag_change *out)
{
	struct regex_flag_change change = {0};
	bool negated = false, flag_after_minus = false;
	uint32_t span = len + 3;

	for (uint32_t i = 0; i < len; i++) {
		uint16_t bit;

		switch (text[i]) {
		case 'i':
			bit = RXF_FOLD;
			break;
		case 's':
			bit = RXF_DOTNL;
			break;
		case 'U':
			bit = RXF_UNGREEDY;
			break;
		case 'm':
			if (!negated) {
				regex_fail(ctx, -EINVAL, offset, span,
					   "multi-line mode (?m) is not supported");
				return -EINVAL;
			}
			bit = 0;
			break;
		case '-':
			if (negated) {
				regex_fail(ctx, -EINVAL, offset, span,
					   "invalid flag group %.*s: more than one '-'", (int)span,
					   text - 2);
				return -EINVAL;
			}
			negated = true;
			continue;
		default:
			regex_fail(ctx, -EINVAL, offset, span,
				   "unknown flag '%c' in %.*s (RE2 knows i, s, U)", text[i],
				   (int)span, text - 2);
			return -EINVAL;
		}
		if (negated) {
			change.clear |= bit;
			change.set &= ~bit;
			flag_after_minus = true;
		} else {
			change.set |= bit;
		}
	}
	if (negated && !flag_after_minus) {
		regex_fail(ctx, -EINVAL, offset, span, "invalid flag group %.*s: '-' without a flag",
			   (int)span, text - 2);
		return -EINVAL;
	}
	*out = change;
	return 0;
}

/* A literal pattern: a concatenation of its characters, folded if asked. */
static int parse_literal(struct regex_parse_ctx *ctx)
{
	struct regex_seq *seq = regex_seq_new(ctx);
	uint32_t pos = 0;

	if (!seq)
		return -ENOMEM;
	while (pos < ctx->len) {
		struct regex_loc loc = {pos, pos};
		struct regex_node *node;
		uint32_t cp;
		unsigned n = regex_utf8_decode((const uint8_t *)ctx->pattern + pos, ctx->len - pos,
					       &cp);

		if (!n) {
			regex_fail(ctx, -EINVAL, pos, 1, "invalid UTF-8 in regex");
			return -EINVAL;
		}
		loc.end = pos + n;
		node = regex_node_literal(ctx, cp, loc);
		if (!node || regex_seq_push(ctx, seq, node))
			return ctx->err->code;
		pos += n;
	}
	ctx->root = regex_seq_concat(ctx, seq, (struct regex_loc){0, pos});
	return ctx->root ? 0 : ctx->err->code;
}

static int parse_pattern(struct regex_parse_ctx *ctx)
{
	yyscan_t scanner;
	jmp_buf fatal;
	int rc;

	if (regex_yylex_init_extra(ctx, &scanner))
		return -ENOMEM;
	ctx->fatal = &fatal;
	if (setjmp(fatal)) {
		regex_yylex_destroy(scanner);
		regex_fail(ctx, -ENOMEM, 0, 0, "out of memory");
		return -ENOMEM;
	}
	regex_yy_scan_bytes(ctx->pattern, (int)ctx->len, scanner);
	rc = regex_yyparse(scanner, ctx);
	regex_yylex_destroy(scanner);
	if (rc == 0 && !ctx->failed && ctx->root)
		return 0;
	if (!ctx->failed)
		regex_fail(ctx, rc == 2 ? -ENOMEM : -EINVAL, 0, 0,
			   rc == 2 ? "out of memory" : "invalid regex");
	return ctx->err->code;
}

int regex_parse(struct arena *arena, const char *pattern, size_t len, unsigned flags,
		struct regex_ast **out, struct regex_error *err)
{
	struct regex_error scratch;
	struct regex_parse_ctx ctx = {
		.arena = arena,
		.pattern = pattern,
		.len = len,
		.err = err ? err : &scratch,
		.fold = flags & REGEX_ICASE_ASCII ? FOLD_ASCII : FOLD_UNICODE,
	};
	struct regex_ast *ast;
	int rc;

	memset(ctx.err, 0, sizeof(*ctx.err));
	ctx.err->index = -1;
	if (flags & (REGEX_ICASE | REGEX_ICASE_ASCII))
		ctx.flags |= RXF_FOLD;
	if (flags & REGEX_DOTNL)
		ctx.flags |= RXF_DOTNL;
	if (len > INT32_MAX) {
		regex_fail(&ctx, -E2BIG, 0, 0, "regex longer than %d bytes", INT32_MAX);
		return -E2BIG;
	}
	rc = flags & REGEX_LITERAL ? parse_literal(&ctx) : parse_pattern(&ctx);
	if (rc)
		return rc;
	ast = arena_alloc(arena, sizeof(*ast));
	if (!ast) {
		regex_fail(&ctx, -ENOMEM, 0, 0, "out of memory");
		return -ENOMEM;
	}
	ast->root = ctx.root;
	ast->flags = flags;
	*out = ast;
	return 0;
}

/* ---- dump ---------------------------------------------------------------------- */

static void dump_cp(struct strbuf *sb, uint32_t cp)
{
	if (cp > 0x20 && cp < 0x7f && !strchr("\\[]-^'", (int)cp))
		strbuf_putc(sb, (char)cp);
	else if (cp < 0x100)
		strbuf_printf(sb, "\\x%02x", cp);
	else
		strbuf_printf(sb, "\\x{%x}", cp);
}

static void dump_node(const struct regex_node *node, struct strbuf *sb)
{
	switch (node->kind) {
	case REGEX_NODE_EMPTY:
		strbuf_puts(sb, "(empty)");
		return;
	case REGEX_NODE_CLASS:
		if (node->cls.n == 1 && node->cls.ranges[0].lo == node->cls.ranges[0].hi) {
			strbuf_putc(sb, '\'');
			dump_cp(sb, node->cls.ranges[0].lo);
			strbuf_putc(sb, '\'');
			return;
		}
		strbuf_putc(sb, '[');
		for (uint32_t i = 0; i < node->cls.n; i++) {
			dump_cp(sb, node->cls.ranges[i].lo);
			if (node->cls.ranges[i].hi != node->cls.ranges[i].lo) {
				strbuf_putc(sb, '-');
				dump_cp(sb, node->cls.ranges[i].hi);
			}
		}
		strbuf_putc(sb, ']');
		return;
	case REGEX_NODE_ANY_BYTE:
		strbuf_puts(sb, "(byte)");
		return;
	case REGEX_NODE_BEGIN:
		strbuf_puts(sb, "(begin)");
		return;
	case REGEX_NODE_END:
		strbuf_puts(sb, "(end)");
		return;
	case REGEX_NODE_CONCAT:
	case REGEX_NODE_ALT:
		strbuf_puts(sb, node->kind == REGEX_NODE_CONCAT ? "(cat" : "(alt");
		for (uint32_t i = 0; i < node->list.n; i++) {
			strbuf_putc(sb, ' ');
			dump_node(node->list.subs[i], sb);
		}
		strbuf_putc(sb, ')');
		return;
	case REGEX_NODE_REPEAT:
		if (node->rep.max == REGEX_REPEAT_INF && node->rep.min <= 1)
			strbuf_puts(sb, node->rep.min ? "(+ " : "(* ");
		else if (node->rep.min == 0 && node->rep.max == 1)
			strbuf_puts(sb, "(? ");
		else if (node->rep.max == REGEX_REPEAT_INF)
			strbuf_printf(sb, "({%u,} ", node->rep.min);
		else if (node->rep.max == node->rep.min)
			strbuf_printf(sb, "({%u} ", node->rep.min);
		else
			strbuf_printf(sb, "({%u,%u} ", node->rep.min, node->rep.max);
		dump_node(node->rep.sub, sb);
		strbuf_putc(sb, ')');
		return;
	}
}

void regex_ast_dump(const struct regex_ast *ast, struct strbuf *sb)
{
	dump_node(ast->root, sb);
}
