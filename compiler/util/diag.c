/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Diagnostic records and their renderings:
 *   text    FILE:LINE:COL: error: MESSAGE [code], the source line, a caret
 *   json    [{file,line,column,severity,code,path,message,hint}, ...]
 *   sarif   SARIF 2.1.0 log with one run, rules from the codes seen
 *   github  ::error file=F,line=L,col=C,title=code::message
 */
#include "diag.h"

#include <errno.h>
#include <stdarg.h>
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
	strbuf_printf(sb, ",\"line\":%u,\"column\":%u,\"severity\":", d->loc.line, d->loc.col);
	strbuf_json_string(sb, diag_severity_name(d->severity));
	strbuf_puts(sb, ",\"code\":");
	strbuf_json_string(sb, d->code);
	strbuf_puts(sb, ",\"path\":");
	strbuf_json_string(sb, d->path);
	strbuf_puts(sb, ",\"message\":");
	strbuf_json_string(sb, d->message);
	strbuf_puts(sb, ",\"hint\":");
	strbuf_json_string(sb, d->hint);
	strbuf_putc(sb, '}');
}

static const char *sarif_level(enum diag_severity s)
{
	return s == DIAG_ERROR ? "error" : s == DIAG_WARNING ? "warning" : "note";
}

static void print_sarif(struct strbuf *sb, const struct diag_sink *sink, enum diag_severity min)
{
	strbuf_puts(sb, "{\n  \"$schema\": \"https://json.schemastore.org/sarif-2.1.0.json\",\n"
			"  \"version\": \"2.1.0\",\n  \"runs\": [\n    {\n"
			"      \"tool\": {\"driver\": {\"name\": \"polc\", "
			"\"informationUri\": \"https://example.invalid/polc\", \"rules\": [");
	/* One reportingDescriptor per distinct code, in first-seen order. */
	const char **codes = calloc(sink->diags.len + 1, sizeof(*codes));
	size_t n_codes = 0;
	for (size_t i = 0; codes && i < sink->diags.len; i++) {
		const struct diag *d = &sink->diags.items[i];
		if (d->severity < min)
			continue;
		size_t j = 0;
		while (j < n_codes && strcmp(codes[j], d->code) != 0)
			j++;
		if (j == n_codes) {
			codes[n_codes++] = d->code;
			strbuf_puts(sb, n_codes > 1 ? ", " : "");
			strbuf_puts(sb, "{\"id\": ");
			strbuf_json_string(sb, d->code);
			strbuf_puts(sb, "}");
		}
	}
	strbuf_puts(sb, "]}},\n      \"results\": [");
	bool first = true;
	for (size_t i = 0; i < sink->diags.len; i++) {
		const struct diag *d = &sink->diags.items[i];
		if (d->severity < min)
			continue;
		size_t rule_index = 0;
		while (codes && rule_index < n_codes && strcmp(codes[rule_index], d->code) != 0)
			rule_index++;
		strbuf_puts(sb, first ? "\n        " : ",\n        ");
		first = false;
		strbuf_puts(sb, "{\"ruleId\": ");
		strbuf_json_string(sb, d->code);
		strbuf_printf(sb, ", \"ruleIndex\": %zu, \"level\": \"%s\", \"message\": {\"text\": ",
			      rule_index, sarif_level(d->severity));
		const char *text = d->path ? arena_printf(sink->arena, "%s: %s", d->path, d->message) : d->message;
		strbuf_json_string(sb, text ? text : d->message);
		strbuf_puts(sb, "}");
		if (d->loc.file) {
			strbuf_puts(sb, ", \"locations\": [{\"physicalLocation\": {\"artifactLocation\": {\"uri\": ");
			strbuf_json_string(sb, source_name(sink->sources, d->loc.file));
			strbuf_puts(sb, "}");
			if (d->loc.line) {
				strbuf_printf(sb, ", \"region\": {\"startLine\": %u, \"startColumn\": %u",
					      d->loc.line, d->loc.col ? d->loc.col : 1);
				if (d->loc.len)
					strbuf_printf(sb, ", \"endColumn\": %u", (d->loc.col ? d->loc.col : 1) + d->loc.len);
				strbuf_puts(sb, "}");
			}
			strbuf_puts(sb, "}");
			if (d->path) {
				strbuf_puts(sb, ", \"logicalLocations\": [{\"fullyQualifiedName\": ");
				strbuf_json_string(sb, d->path);
				strbuf_puts(sb, "}]");
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
	strbuf_puts(sb, "\n      ]\n    }\n  ]\n}\n");
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
		if (d->loc.line)
			strbuf_printf(sb, ",line=%u,col=%u", d->loc.line, d->loc.col ? d->loc.col : 1);
		strbuf_puts(sb, ",");
	}
	strbuf_puts(sb, "title=");
	github_escape(sb, d->code, true);
	strbuf_puts(sb, "::");
	if (d->path) {
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
