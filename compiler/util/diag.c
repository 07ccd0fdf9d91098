/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Diagnostic records and their renderings:
 *   text    FILE:LINE:COL: error: MESSAGE [code], the source line, a caret
 *   json    [{file,line,column,severity,code,path,message,hint}, ...]
 *   sarif   SARIF 2.1.0 log with one run, rules from the codes seen,
 *           regions of the token, the inputs as artifacts
 *   github  ::error file=F,line=L,col=C,title=code::message
 */
#include "diag.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

void diag_sink_init(struct diag_sink *sink, struct arena *arena, const struct source_set *sources)
{
	memset(sink, 0, sizeof(*sink));
	sink->arena = arena;
	sink->sources = sources;
}

int diag_report(struct diag_sink *sink, enum diag_severity severity, struct src_loc loc,
		const char *path, const char *code, const char *hint, const char *fmt, ...)
{
	if (severity == DIAG_WARNING && sink->suppress_warnings)
		return 0;
	va_list ap;
	va_start(ap, fmt);
	char *message = arena_vprintf(sink->arena, fmt, ap);
	va_end(ap);
	struct diag *d = vec_add(sink->arena, &sink->diags);
	if (!message || !d)
		return -ENOMEM;
	d->severity = severity;
	d->loc = loc;
	d->path = path;
	d->code = code ? code : "error";
	d->hint = hint;
	d->message = message;
	d->seq = sink->diags.len - 1;
	sink->count[severity]++;
	return 0;
}

const char *diag_severity_name(enum diag_severity severity)
{
	switch (severity) {
	case DIAG_ERROR: return "error";
	case DIAG_WARNING: return "warning";
	default: return "note";
	}
}

static int diag_cmp(const void *a, const void *b)
{
	const struct diag *x = a, *y = b;
	if (x->loc.file != y->loc.file)
		return x->loc.file < y->loc.file ? -1 : 1;
	if (x->loc.line != y->loc.line)
		return x->loc.line < y->loc.line ? -1 : 1;
	if (x->loc.col != y->loc.col)
		return x->loc.col < y->loc.col ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void diag_sort(struct diag_sink *sink)
{
	if (sink->diags.len > 1)
		qsort(sink->diags.items, sink->diags.len, sizeof(struct diag), diag_cmp);
}

static const char *severity_color(enum diag_severity s)
{
	switch (s) {
	case DIAG_ERROR: return "\033[1;31m";
	case DIAG_WARNING: return "\033[1;35m";
	default: return "\033[1;36m";
	}
}

/* The quoted line with tabs kept (so the caret lines up) and a ^~~ underline. */
static void print_caret(struct strbuf *sb, const struct diag_sink *sink, const struct diag *d, bool color)
{
	size_t len;
	const char *line = source_line(sink->sources, d->loc.file, d->loc.line, &len);
	if (!line || d->loc.col == 0)
		return;
	strbuf_printf(sb, " %5u | ", d->loc.line);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];
		strbuf_putc(sb, (c < 0x20 && c != '\t') || c == 0x7f ? '?' : (char)c);
	}
	strbuf_puts(sb, "\n       | ");
	size_t col = d->loc.col - 1;
	for (size_t i = 0; i < col && i < len; i++)
		strbuf_putc(sb, line[i] == '\t' ? '\t' : ' ');
	if (color)
		strbuf_puts(sb, "\033[1;32m");
	strbuf_putc(sb, '^');
	size_t underline = d->loc.len > 1 ? d->loc.len - 1 : 0;
	if (col + 1 + underline > len)
		underline = len > col + 1 ? len - col - 1 : 0;
	for (size_t i = 0; i < underline; i++)
		strbuf_putc(sb, '~');
	if (color)
		strbuf_puts(sb, "\033[0m");
	strbuf_putc(sb, '\n');
}

static void print_text(struct strbuf *sb, const struct diag_sink *sink, const struct diag *d, bool color)
{
	const char *file = source_name(sink->sources, d->loc.file);
	if (color)
		strbuf_puts(sb, "\033[1m");
	if (d->loc.file && d->loc.line)
		strbuf_printf(sb, "%s:%u:%u: ", file, d->loc.line, d->loc.col ? d->loc.col : 1);
	else if (d->loc.file)
		strbuf_printf(sb, "%s: ", file);
	else
		strbuf_puts(sb, "polc: ");
	if (color)
		strbuf_puts(sb, severity_color(d->severity));
	strbuf_printf(sb, "%s:", diag_severity_name(d->severity));
	if (color)
		strbuf_puts(sb, "\033[0m\033[1m");
	strbuf_putc(sb, ' ');
	if (d->path && *d->path)
		strbuf_printf(sb, "%s: ", d->path);
	strbuf_printf(sb, "%s [%s]", d->message, d->code);
	if (color)
		strbuf_puts(sb, "\033[0m");
	strbuf_putc(sb, '\n');
	print_caret(sb, sink, d, color);
	if (d->hint)
		strbuf_printf(sb, "  hint: %s\n", d->hint);
}

static void print_json_one(struct strbuf *sb, const struct diag_sink *sink, const struct diag *d)
{
	strbuf_puts(sb, "{\"file\":");
	strbuf_json_string(sb, d->loc.file ? source_name(sink->sources, d->loc.file) : NULL);
	/* 1-based; null (not 0) when there is no position. */
	if (d->loc.file && d->loc.line)
		strbuf_printf(sb, ",\"line\":%u,\"column\":%u", d->loc.line, d->loc.col ? d->loc.col : 1);
	else
		strbuf_puts(sb, ",\"line\":null,\"column\":null");
	strbuf_puts(sb, ",\"severity\":");
	strbuf_json_string(sb, diag_severity_name(d->severity));
	strbuf_puts(sb, ",\"code\":");
	strbuf_json_string(sb, d->code);
	strbuf_puts(sb, ",\"path\":");
	strbuf_json_string(sb, d->path && *d->path ? d->path : NULL);
	strbuf_puts(sb, ",\"message\":");
	strbuf_json_string(sb, d->message);
	strbuf_puts(sb, ",\"hint\":");
	strbuf_json_string(sb, d->hint);
	strbuf_putc(sb, '}');
}

/* ---- SARIF 2.1.0 ---------------------------------------------------------- */

static const char *sarif_level(enum diag_severity s)
{
	return s == DIAG_ERROR ? "error" : s == DIAG_WARNING ? "warning" : "note";
}

/*
 * A file name as a URI reference (RFC 3986): relative names stay relative
 * (to %SRCROOT%, the repository root in CI), absolute ones become file://
 * URIs; everything but unreserved characters and '/' is percent-encoded.
 */
static void sarif_uri(struct strbuf *sb, const char *name)
{
	struct strbuf u = STRBUF_INIT;
	if (name[0] == '/')
		strbuf_puts(&u, "file://");
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    strchr("-._~/", *p))
			strbuf_putc(&u, (char)*p);
		else
			strbuf_printf(&u, "%%%02X", *p);
	}
	strbuf_json_string(sb, strbuf_cstr(&u));
	strbuf_free(&u);
}

/* UTF-16 code units in the first n bytes of s (invalid bytes count as one). */
static uint32_t utf16_units(const char *s, size_t n)
{
	uint32_t units = 0;
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];
		size_t len = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 1;
		if (i + len > n)
			len = 1;
		for (size_t k = 1; k < len; k++)
			if (((unsigned char)s[i + k] & 0xc0) != 0x80)
				len = 1;
		units += len == 4 ? 2 : 1;
		i += len;
	}
	return units;
}

/* The region of a diagnostic: its line, and the token's columns when the line is known. */
static void sarif_region(struct strbuf *sb, const struct diag_sink *sink, const struct diag *d)
{
	size_t len = 0;
	const char *line = source_line(sink->sources, d->loc.file, d->loc.line, &len);
	uint32_t col = d->loc.col ? d->loc.col : 1;
	strbuf_printf(sb, ", \"region\": {\"startLine\": %u", d->loc.line);
	if (!line) {
		strbuf_printf(sb, ", \"startColumn\": %u}", col);
		return;
	}
	size_t start = col - 1 < len ? col - 1 : len;
	size_t end = start + (d->loc.len ? d->loc.len : 0);
	if (end > len)
		end = len;
	uint32_t start_col = utf16_units(line, start) + 1;
	strbuf_printf(sb, ", \"startColumn\": %u, \"endLine\": %u", start_col, d->loc.line);
	if (end > start)
		strbuf_printf(sb, ", \"endColumn\": %u", start_col + utf16_units(line + start, end - start));
	strbuf_puts(sb, ", \"snippet\": {\"text\": ");
	strbuf_json_stringn(sb, line, len);
	strbuf_puts(sb, "}}");
}

static size_t code_index(const char **codes, size_t n, const char *code)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(codes[i], code) == 0)
			return i;
	return n;
}

static void print_sarif(struct strbuf *sb, const struct diag_sink *sink, enum diag_severity min)
{
	size_t n = sink->diags.len;
	const char **codes = calloc(n + 1, sizeof(*codes));
	if (!codes) {
		sb->failed = true;
		return;
	}
	size_t n_codes = 0;
	bool tool_failed = false;
	for (size_t i = 0; i < n; i++) {
		const struct diag *d = &sink->diags.items[i];
		if (d->severity >= min && code_index(codes, n_codes, d->code) == n_codes)
			codes[n_codes++] = d->code;
		tool_failed |= strcmp(d->code, "internal") == 0 || strncmp(d->code, "internal-", 9) == 0 ||
			       strcmp(d->code, "io-error") == 0;
	}

	strbuf_puts(sb, "{\n  \"$schema\": \"https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/"
			"sarif-schema-2.1.0.json\",\n  \"version\": \"2.1.0\",\n  \"runs\": [\n    {\n"
			"      \"tool\": {\n        \"driver\": {\n          \"name\": \"polc\",\n"
			"          \"version\": \"" POLC_VERSION "\",\n          \"semanticVersion\": \"" POLC_VERSION
			"\",\n          \"rules\": [");
	/* One reportingDescriptor per code, in first-seen order (ruleIndex points here). */
	for (size_t i = 0; i < n_codes; i++) {
		const struct diag_code_info *info = diag_code_info(codes[i]);
		strbuf_puts(sb, i ? ",\n            " : "\n            ");
		strbuf_puts(sb, "{\"id\": ");
		strbuf_json_string(sb, codes[i]);
		if (info) {
			strbuf_puts(sb, ", \"shortDescription\": {\"text\": ");
			strbuf_json_string(sb, info->summary);
			strbuf_printf(sb, "}, \"defaultConfiguration\": {\"level\": \"%s\"}", sarif_level(info->severity));
		}
		strbuf_puts(sb, "}");
	}
	strbuf_puts(sb, n_codes ? "\n          ]\n        }\n      },\n" : "]\n        }\n      },\n");
	strbuf_printf(sb, "      \"invocations\": [{\"executionSuccessful\": %s}],\n",
		      tool_failed ? "false" : "true");
	strbuf_puts(sb, "      \"columnKind\": \"utf16CodeUnits\",\n");

	/* Every input file, in source-set order (artifactLocation.index points here). */
	strbuf_puts(sb, "      \"artifacts\": [");
	for (size_t f = 1; sink->sources && f <= sink->sources->files.len; f++) {
		const struct src_file *sf = source_get(sink->sources, (uint32_t)f);
		strbuf_puts(sb, f > 1 ? ",\n        " : "\n        ");
		strbuf_puts(sb, "{\"location\": {\"uri\": ");
		sarif_uri(sb, sf->name);
		if (sf->name[0] != '/')
			strbuf_puts(sb, ", \"uriBaseId\": \"%SRCROOT%\"");
		strbuf_printf(sb, "}, \"length\": %zu}", sf->len);
	}
	strbuf_puts(sb, sink->sources && sink->sources->files.len ? "\n      ],\n" : "],\n");

	strbuf_puts(sb, "      \"results\": [");
	bool first = true;
	for (size_t i = 0; i < n; i++) {
		const struct diag *d = &sink->diags.items[i];
		if (d->severity < min)
			continue;
		strbuf_puts(sb, first ? "\n        " : ",\n        ");
		first = false;
		strbuf_puts(sb, "{\"ruleId\": ");
		strbuf_json_string(sb, d->code);
		strbuf_printf(sb, ", \"ruleIndex\": %zu, \"level\": \"%s\", \"message\": {\"text\": ",
			      code_index(codes, n_codes, d->code), sarif_level(d->severity));
		if (d->path && *d->path) {
			struct strbuf m = STRBUF_INIT;
			strbuf_printf(&m, "%s: %s", d->path, d->message);
			strbuf_json_string(sb, strbuf_cstr(&m));
			strbuf_free(&m);
		} else {
			strbuf_json_string(sb, d->message);
		}
		strbuf_puts(sb, "}");
		if (d->loc.file) {
			const char *name = source_name(sink->sources, d->loc.file);
			strbuf_puts(sb, ", \"locations\": [{\"physicalLocation\": {\"artifactLocation\": {\"uri\": ");
			sarif_uri(sb, name);
			if (name[0] != '/')
				strbuf_puts(sb, ", \"uriBaseId\": \"%SRCROOT%\"");
			strbuf_printf(sb, ", \"index\": %u}", d->loc.file - 1);
			if (d->loc.line)
				sarif_region(sb, sink, d);
			strbuf_puts(sb, "}");
			if (d->path && *d->path) {
				strbuf_puts(sb, ", \"logicalLocations\": [{\"fullyQualifiedName\": ");
				strbuf_json_string(sb, d->path);
				strbuf_puts(sb, ", \"kind\": \"member\"}]");
			}
			strbuf_puts(sb, "}]");
		}
		if (d->hint) {
			strbuf_puts(sb, ", \"properties\": {\"hint\": ");
			strbuf_json_string(sb, d->hint);
			strbuf_puts(sb, "}");
		}
		strbuf_puts(sb, "}");
	}
	free(codes);
	strbuf_puts(sb, first ? "]\n    }\n  ]\n}\n" : "\n      ]\n    }\n  ]\n}\n");
}

/* GitHub workflow commands escape %, CR, LF in data and also , : in properties. */
static void github_escape(struct strbuf *sb, const char *s, bool property)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '%': strbuf_puts(sb, "%25"); break;
		case '\r': strbuf_puts(sb, "%0D"); break;
		case '\n': strbuf_puts(sb, "%0A"); break;
		case ':': strbuf_puts(sb, property ? "%3A" : ":"); break;
		case ',': strbuf_puts(sb, property ? "%2C" : ","); break;
		default: strbuf_putc(sb, *s);
		}
	}
}

static void print_github(struct strbuf *sb, const struct diag_sink *sink, const struct diag *d)
{
	strbuf_printf(sb, "::%s ", d->severity == DIAG_ERROR ? "error" : d->severity == DIAG_WARNING ? "warning" : "notice");
	if (d->loc.file) {
		strbuf_puts(sb, "file=");
		github_escape(sb, source_name(sink->sources, d->loc.file), true);
		if (d->loc.line) {
			uint32_t col = d->loc.col ? d->loc.col : 1;
			strbuf_printf(sb, ",line=%u,endLine=%u,col=%u", d->loc.line, d->loc.line, col);
			if (d->loc.len > 1)
				strbuf_printf(sb, ",endColumn=%u", col + d->loc.len - 1);
		}
		strbuf_puts(sb, ",");
	}
	strbuf_puts(sb, "title=");
	github_escape(sb, d->code, true);
	strbuf_puts(sb, "::");
	if (d->path && *d->path) {
		github_escape(sb, d->path, false);
		strbuf_puts(sb, ": ");
	}
	github_escape(sb, d->message, false);
	if (d->hint) {
		strbuf_puts(sb, " (hint: ");
		github_escape(sb, d->hint, false);
		strbuf_puts(sb, ")");
	}
	strbuf_putc(sb, '\n');
}

int diag_print(const struct diag_sink *sink, FILE *out, enum diag_format format,
	       enum diag_severity min_severity, bool color)
{
	struct strbuf sb = STRBUF_INIT;
	if (format == DIAG_FORMAT_SARIF) {
		print_sarif(&sb, sink, min_severity);
	} else {
		bool first = true;
		if (format == DIAG_FORMAT_JSON)
			strbuf_putc(&sb, '[');
		for (size_t i = 0; i < sink->diags.len; i++) {
			const struct diag *d = &sink->diags.items[i];
			if (d->severity < min_severity)
				continue;
			switch (format) {
			case DIAG_FORMAT_JSON:
				strbuf_puts(&sb, first ? "\n  " : ",\n  ");
				print_json_one(&sb, sink, d);
				break;
			case DIAG_FORMAT_GITHUB:
				print_github(&sb, sink, d);
				break;
			default:
				print_text(&sb, sink, d, color);
			}
			first = false;
		}
		if (format == DIAG_FORMAT_JSON)
			strbuf_puts(&sb, first ? "]\n" : "\n]\n");
	}
	int err = strbuf_error(&sb);
	if (!err)
		err = strbuf_write(&sb, out);
	strbuf_free(&sb);
	return err;
}
