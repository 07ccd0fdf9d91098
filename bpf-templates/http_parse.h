/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The HTTP/1.x request stream, judged in order: request heads (parsed
 * byte by byte, each field walked through its DFA on the way), bodies
 * (Content-Length: counted, not read; chunked: the framing is parsed,
 * the data counted), and the next head after them. Only compiled when
 * the generation has HTTP rules.
 *
 * What is refused (POLC_HTTP_BAD: the connection is reset, as nothing
 * after an unparseable byte can be judged), because the server or a
 * proxy in front of it could read it differently from polc, or because
 * polc cannot follow what comes after it:
 *   - anything but "METHOD SP TARGET SP HTTP/1.0|1.1 CRLF", headers as
 *     "name:" OWS value OWS CRLF, and an empty line; bare CR or LF, NUL
 *     and other control bytes, obs-fold continuation lines, whitespace
 *     before the colon (RFC 9112 section 5.1: a server must reject it);
 *   - a target not in origin form ("/...") or "*"; in its path part, a
 *     byte outside RFC 3986 pchar, an empty segment ("//"), a "." or
 *     ".." segment, a percent-escape in lower case or of an unreserved
 *     character, '/' or '\': everything Envoy's path normalisation would
 *     rewrite before Cilium's rules see it, so polc's match on the raw
 *     path cannot differ from Cilium's on the normalised one;
 *   - several Host, Content-Length or Transfer-Encoding headers, both
 *     Content-Length and Transfer-Encoding, a Transfer-Encoding other
 *     than "chunked", Transfer-Encoding in HTTP/1.0 (request smuggling);
 *   - an Upgrade header (the stream after it would not be HTTP/1.x);
 *   - a head longer than POLC_GEN_HTTP_MAX_HEAD, a request line longer
 *     than POLC_GEN_HTTP_MAX_LINE, more than POLC_GEN_HTTP_MAX_HEADERS
 *     header lines, a head that the segment ends in the middle of, a
 *     segment that needs more than POLC_GEN_HTTP_MAX_STEPS steps;
 *   - chunk framing other than hex size [; extension] CRLF, data, CRLF;
 *     a chunk size above 2^40.
 *
 * Parser state and the bytes being parsed live in a per-CPU scratch map:
 * the BPF stack (512 bytes for the whole call chain) holds only the
 * packet's context. Bytes are copied from the skb in windows of
 * POLC_HTTP_WIN and walked with bpf_loop(), whose callback the verifier
 * checks once however long the head (verifier.h, lesson 10).
 */
#ifndef POLC_BPF_HTTP_PARSE_H
#define POLC_BPF_HTTP_PARSE_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "polc/layout.h"
#include "context.h"
#include "events.h"
#include "http_match.h"
#include "parse.h"
#include "verifier.h"

#ifndef POLC_GEN_HTTP_MAX_HEAD
#define POLC_GEN_HTTP_MAX_HEAD 8192
#endif
#ifndef POLC_GEN_HTTP_MAX_LINE
#define POLC_GEN_HTTP_MAX_LINE 4096
#endif
#ifndef POLC_GEN_HTTP_MAX_HEADERS
#define POLC_GEN_HTTP_MAX_HEADERS 100
#endif
#ifndef POLC_GEN_HTTP_MAX_STEPS
#define POLC_GEN_HTTP_MAX_STEPS 64
#endif

#define POLC_HTTP_WIN 512 /* bytes copied from the skb per parse step (a power of two) */

/* Results of judging bytes. */
#define POLC_HTTP_OK 0   /* every byte judged, every request allowed */
#define POLC_HTTP_DENY 1 /* a request that no rule allows */
#define POLC_HTTP_BAD 2  /* bytes polc cannot judge: fail closed */

/* Head parser states. */
#define PS_METHOD 0
#define PS_TARGET0 1 /* first byte of the target */
#define PS_STAR 2    /* after "*" */
#define PS_PATH 3
#define PS_PCT1 4    /* after '%' in the path */
#define PS_PCT2 5
#define PS_QUERY 6
#define PS_VER 7     /* "HTTP/1.x\r" */
#define PS_RL_LF 8
#define PS_HSTART 9  /* start of a header line, or the empty line */
#define PS_NAME 10
#define PS_VLEAD 11  /* whitespace before a value */
#define PS_VALUE 12
#define PS_HLF 13
#define PS_END_LF 14

/* What the current header is (several at once: a rule may constrain Content-Length). */
#define HK_HOST 1
#define HK_CL 2
#define HK_TE 4
#define HK_NAME 8

#define W_METHOD 0
#define W_PATH 1
#define W_HOST 2
#define W_NAMES 3
#define W_VALUES 4

struct polc_http_head {
	__u32 len;       /* head bytes so far */
	__u32 line;      /* bytes of the current line */
	__u32 n_headers;
	__u32 tok;       /* length of the current method, path segment or name */
	__u32 method_s, path_s, host_s, name_s, value_s, value_keep;
	__u32 seen;      /* constrained names seen */
	__u32 pad0;
	__u64 cl;        /* Content-Length */
	__u8 ps;         /* PS_* */
	__u8 done;       /* 0 parsing, 1 complete, 2 refused */
	__u8 kind;       /* HK_* of the current header */
	__u8 idx;        /* its constrained-name index */
	__u8 n_host, n_cl, n_te, te_pos;
	__u8 ws;         /* whitespace since the value's last other byte */
	__u8 http10;
	__u8 seg_dots;   /* the path segment so far is all dots */
	__u8 pct;        /* first hex digit of a percent-escape */
	__u8 ver;        /* bytes of "HTTP/1.x\r" matched */
	__u8 cl_digits;
	__u8 pad1[2];
	__u16 vals[POLC_HTTP_MAX_NAMES]; /* value DFA state per constrained name */
	__u32 starts[5];                 /* start states of the walks */
	struct polc_http_walk w[5];      /* method, path, host, names, values */
};

/* One CPU's working memory for judging a segment. */
struct polc_http_scratch {
	struct polc_l7_flow st; /* the connection's state, as judging advances it */
	struct polc_http_head h;
	__u32 in_head;          /* a head started in an earlier window */
	__u32 used;             /* bytes the last byte loop consumed */
	__u32 deny_rule;        /* DENY: the flow's rule, for the event */
	__u32 win;              /* bytes in buf */
	__u8 buf[POLC_HTTP_WIN];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct polc_http_scratch);
} polc_http_scr SEC(".maps");

static __always_inline struct polc_http_scratch *polc_http_scratch(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&polc_http_scr, &zero);
}

/* ---- byte classes ---------------------------------------------------------- */

/* Up to 8 characters as a little-endian number: byte i of the string. */
#define POLC_STR8_HTTP1 0x2e312f50545448ull   /* "HTTP/1." */
#define POLC_STR8_CHUNKED 0x64656b6e756863ull /* "chunked" */

static __always_inline __u8 polc_str8_at(__u64 s, __u32 i)
{
	return (__u8)(s >> ((i & 7) * 8));
}

static __always_inline bool polc_is_alnum(__u8 b)
{
	return (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9');
}

/* RFC 9110 tchar */
static __always_inline bool polc_is_tchar(__u8 b)
{
	if (polc_is_alnum(b))
		return true;
	switch (b) {
	case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '-': case '.':
	case '^': case '_': case '`': case '|': case '~':
		return true;
	}
	return false;
}

/* RFC 3986 unreserved */
static __always_inline bool polc_is_unreserved(__u8 b)
{
	return polc_is_alnum(b) || b == '-' || b == '.' || b == '_' || b == '~';
}

/* RFC 3986 pchar without pct-encoded */
static __always_inline bool polc_is_pchar(__u8 b)
{
	if (polc_is_unreserved(b))
		return true;
	switch (b) {
	case '!': case '$': case '&': case '\'': case '(': case ')': case '*': case '+': case ',': case ';': case '=':
	case ':': case '@':
		return true;
	}
	return false;
}

/* reg-name, IP literal and port characters of a Host value */
static __always_inline bool polc_is_host_char(__u8 b)
{
	return polc_is_pchar(b) || b == '[' || b == ']' || b == '%';
}

static __always_inline int polc_hex_upper(__u8 b)
{
	if (b >= '0' && b <= '9')
		return b - '0';
	if (b >= 'A' && b <= 'F')
		return b - 'A' + 10;
	return -1;
}

static __always_inline int polc_hex(__u8 b)
{
	if (b >= 'a' && b <= 'f')
		return b - 'a' + 10;
	return polc_hex_upper(b);
}

/* ---- request heads ------------------------------------------------------------ */

static __always_inline void polc_http_head_init(struct polc_http_head *h, const struct polc_http_set *s)
{
	polc_zero(h);
	h->ps = PS_METHOD;
	if (!s)
		return;
	polc_http_walk_init(&h->w[W_METHOD], &s->method);
	polc_http_walk_init(&h->w[W_PATH], &s->path);
	polc_http_walk_init(&h->w[W_HOST], &s->host);
	polc_http_walk_init(&h->w[W_NAMES], &s->names);
	polc_http_walk_init(&h->w[W_VALUES], &s->values);
	h->starts[W_METHOD] = s->method.start;
	h->starts[W_PATH] = s->path.start;
	h->starts[W_HOST] = s->host.start;
	h->starts[W_NAMES] = s->names.start;
	h->starts[W_VALUES] = s->values.start;
	h->method_s = s->method.start;
	h->path_s = s->path.start;
	h->host_s = s->host.start;
}

static __always_inline void polc_http_step_w(struct polc_http_head *h, int w, __u32 *state, __u8 b)
{
	if (h->w[w].n_classes)
		*state = polc_dfa_step(&h->w[w], *state, b);
}

/* The end of a path segment at '/', '?' or the end of the path: "." and ".." are refused. */
static __always_inline bool polc_http_segment_ok(const struct polc_http_head *h)
{
	return !(h->seg_dots && (h->tok == 1 || h->tok == 2));
}

/* The colon after a header name: what the header is. False to refuse. */
static __always_inline bool polc_http_name_end(struct polc_http_head *h)
{
	__u64 mask = h->w[W_NAMES].n_classes ? polc_dfa_accept(&h->w[W_NAMES], h->name_s) : 0;

	h->kind = 0;
	h->ws = 0;
	if (mask & POLC_HTTP_NAME_UPGRADE)
		return false;
	if (mask & POLC_HTTP_NAME_HOST) {
		if (++h->n_host > 1)
			return false;
		h->kind |= HK_HOST;
		h->host_s = h->starts[W_HOST];
	}
	if (mask & POLC_HTTP_NAME_CL) {
		if (++h->n_cl > 1)
			return false;
		h->kind |= HK_CL;
		h->cl = 0;
		h->cl_digits = 0;
	}
	if (mask & POLC_HTTP_NAME_TE) {
		if (++h->n_te > 1)
			return false;
		h->kind |= HK_TE;
		h->te_pos = 0;
	}
	mask >>= POLC_HTTP_NAME_FIRST;
	if (mask) {
		__u32 idx = polc_ctz64(mask) & (POLC_HTTP_MAX_NAMES - 1);
		__u32 bit = 1u << idx;

		h->kind |= HK_NAME;
		h->idx = idx;
		if (h->seen & bit) {
			/* Envoy matches a repeated header as its values joined with ','. */
			h->value_s = h->vals[idx];
			polc_http_step_w(h, W_VALUES, &h->value_s, ',');
		} else {
			h->value_s = h->starts[W_VALUES];
		}
		h->seen |= bit;
		h->value_keep = h->value_s;
	}
	return true;
}

/* A byte of a header value (not the leading whitespace). False to refuse. */
static __always_inline bool polc_http_value_byte(struct polc_http_head *h, __u8 b)
{
	bool ws = b == ' ' || b == '\t';

	if ((b < 0x20 && b != '\t') || b == 0x7f)
		return false;
	if (h->kind & HK_NAME) {
		polc_http_step_w(h, W_VALUES, &h->value_s, b);
		if (!ws)
			h->value_keep = h->value_s;
	}
	if (!(h->kind & (HK_HOST | HK_CL | HK_TE)))
		return true;
	if (ws) {
		h->ws = 1;
		return true;
	}
	/* Host, Content-Length and Transfer-Encoding are one token: no inner whitespace. */
	if (h->ws)
		return false;
	if (h->kind & HK_HOST) {
		if (!polc_is_host_char(b))
			return false;
		polc_http_step_w(h, W_HOST, &h->host_s, b);
	}
	if (h->kind & HK_CL) {
		if (b < '0' || b > '9' || ++h->cl_digits > 15)
			return false;
		h->cl = h->cl * 10 + (b - '0');
	}
	if (h->kind & HK_TE) {
		__u8 lower = b >= 'A' && b <= 'Z' ? b - 'A' + 'a' : b;
		__u32 pos = h->te_pos;

		/* Lesson 11 (verifier.h): no local const arrays; the string as a number. */
		if (pos >= 7 || lower != polc_str8_at(POLC_STR8_CHUNKED, pos))
			return false;
		h->te_pos = pos + 1;
	}
	return true;
}

static __always_inline bool polc_http_header_end(struct polc_http_head *h)
{
	if ((h->kind & HK_CL) && h->cl_digits == 0)
		return false;
	if ((h->kind & HK_TE) && h->te_pos != 7)
		return false;
	if (h->kind & HK_NAME)
		h->vals[h->idx & (POLC_HTTP_MAX_NAMES - 1)] = h->value_keep;
	return true;
}

/* One byte of a request head; the new parser state, or -1 to refuse. */
static __always_inline int polc_http_head_byte(struct polc_http_head *h, __u8 b)
{
	if (++h->len > POLC_GEN_HTTP_MAX_HEAD)
		return -1;
	if (++h->line > POLC_GEN_HTTP_MAX_LINE && h->ps < PS_HSTART)
		return -1;

	switch (h->ps) {
	case PS_METHOD:
		if (polc_is_tchar(b)) {
			polc_http_step_w(h, W_METHOD, &h->method_s, b);
			h->tok++;
			return PS_METHOD;
		}
		return b == ' ' && h->tok ? PS_TARGET0 : -1;
	case PS_TARGET0:
		if (b == '*') {
			/* "OPTIONS * HTTP/1.1": the path rules see "*". */
			polc_http_step_w(h, W_PATH, &h->path_s, b);
			return PS_STAR;
		}
		if (b != '/')
			return -1;
		polc_http_step_w(h, W_PATH, &h->path_s, b);
		h->tok = 0;
		h->seg_dots = 1;
		return PS_PATH;
	case PS_STAR:
		return b == ' ' ? PS_VER : -1;
	case PS_PATH:
		if (b == '/' || b == '?' || b == ' ') {
			if (!polc_http_segment_ok(h) || (b == '/' && h->tok == 0))
				return -1;
			h->tok = 0;
			h->seg_dots = 1;
			if (b == ' ')
				return PS_VER;
			polc_http_step_w(h, W_PATH, &h->path_s, b);
			return b == '?' ? PS_QUERY : PS_PATH;
		}
		polc_http_step_w(h, W_PATH, &h->path_s, b);
		h->tok++;
		if (b == '%') {
			h->seg_dots = 0;
			return PS_PCT1;
		}
		if (!polc_is_pchar(b))
			return -1;
		if (b != '.')
			h->seg_dots = 0;
		return PS_PATH;
	case PS_PCT1: {
		int d = polc_hex_upper(b);

		if (d < 0)
			return -1;
		polc_http_step_w(h, W_PATH, &h->path_s, b);
		h->pct = d;
		return PS_PCT2;
	}
	case PS_PCT2: {
		int d = polc_hex_upper(b);

		if (d < 0)
			return -1;

		__u8 c = (__u8)(h->pct << 4 | d);

		/* Envoy would decode it (unreserved) or redirect (slashes) before matching. */
		if (polc_is_unreserved(c) || c == '/' || c == '\\')
			return -1;
		polc_http_step_w(h, W_PATH, &h->path_s, b);
		return PS_PATH;
	}
	case PS_QUERY:
		if (b == ' ')
			return PS_VER;
		if (b < 0x21 || b > 0x7e || b == '#')
			return -1;
		polc_http_step_w(h, W_PATH, &h->path_s, b);
		return PS_QUERY;
	case PS_VER: {
		__u32 v = h->ver++;

		if (v < 7)
			return b == polc_str8_at(POLC_STR8_HTTP1, v) ? PS_VER : -1;
		if (v == 7) {
			if (b != '0' && b != '1')
				return -1;
			h->http10 = b == '0';
			return PS_VER;
		}
		return b == '\r' ? PS_RL_LF : -1;
	}
	case PS_RL_LF:
		if (b != '\n')
			return -1;
		h->line = 0;
		return PS_HSTART;
	case PS_HSTART:
		if (b == '\r')
			return PS_END_LF;
		if (!polc_is_tchar(b) || ++h->n_headers > POLC_GEN_HTTP_MAX_HEADERS)
			return -1;
		h->name_s = h->starts[W_NAMES];
		polc_http_step_w(h, W_NAMES, &h->name_s, b);
		return PS_NAME;
	case PS_NAME:
		if (polc_is_tchar(b)) {
			polc_http_step_w(h, W_NAMES, &h->name_s, b);
			return PS_NAME;
		}
		if (b != ':' || !polc_http_name_end(h))
			return -1;
		return PS_VLEAD;
	case PS_VLEAD:
		if (b == ' ' || b == '\t')
			return PS_VLEAD;
		if (b == '\r')
			return polc_http_header_end(h) ? PS_HLF : -1;
		return polc_http_value_byte(h, b) ? PS_VALUE : -1;
	case PS_VALUE:
		if (b == '\r')
			return polc_http_header_end(h) ? PS_HLF : -1;
		return polc_http_value_byte(h, b) ? PS_VALUE : -1;
	case PS_HLF:
		if (b != '\n')
			return -1;
		h->line = 0;
		return PS_HSTART;
	case PS_END_LF:
		return b == '\n' ? PS_END_LF : -1;
	}
	return -1;
}

/* What a bpf_loop() callback gets: the scratch map value, looked up once (verifier.h, lesson 10). */
struct polc_http_cb {
	struct polc_http_scratch *scr;
	__u32 len; /* bytes in scr->buf */
};

/* A byte a header value may hold: VCHAR, obs-text, SP, HTAB (RFC 9110 field-vchar). */
static __always_inline bool polc_is_value_byte(__u8 b)
{
	return b >= 0x20 ? b != 0x7f : b == '\t';
}

/* The value of a header no rule looks at: bytes checked, not walked (up to 8 per call, lesson 13). */
#define POLC_HTTP_SKIP 8

/*
 * bpf_loop callback over scratch->buf from scr->used on: one head byte,
 * or a run of up to POLC_HTTP_SKIP bytes of a value no rule looks at;
 * 1 stops (the head ended, was refused, or the window did). The loop
 * runs at most one call per byte, so it always reaches the window's end.
 */
static long polc_http_head_cb(__u32 i, void *ctx)
{
	struct polc_http_cb *cb = ctx;
	struct polc_http_scratch *scr = cb->scr;
	__u32 len = cb->len;

	if (!scr)
		return 1;

	struct polc_http_head *h = &scr->h;
	__u32 at = scr->used;

	if (at >= len || len > POLC_HTTP_WIN)
		return 1;
	if (h->ps == PS_VALUE && !h->kind && at + POLC_HTTP_SKIP <= len) {
		bool plain = true;

#pragma clang loop unroll(full)
		for (int k = 0; k < POLC_HTTP_SKIP; k++)
			plain &= polc_is_value_byte(scr->buf[(at + k) & (POLC_HTTP_WIN - 1)]);
		if (plain) {
			h->len += POLC_HTTP_SKIP;
			if (h->len > POLC_GEN_HTTP_MAX_HEAD) {
				h->done = 2;
				return 1;
			}
			scr->used = at + POLC_HTTP_SKIP;
			return 0;
		}
	}

	__u8 b = scr->buf[at & (POLC_HTTP_WIN - 1)];

	scr->used = at + 1;
	if (h->ps == PS_END_LF && b == '\n') {
		h->done = 1;
		return 1;
	}

	int ps = polc_http_head_byte(h, b);

	if (ps < 0) {
		h->done = 2;
		return 1;
	}
	h->ps = ps;
	return 0;
}

/*
 * The rules of the set that allow the finished head: see struct
 * polc_http_set. Global (lesson 7): verified once.
 */
POLC_GLOBAL __u64 polc_http_decide(__u32 set_id)
{
	struct polc_http_scratch *scr = polc_http_scratch();
	const struct polc_http_set *s = polc_http_set_get(set_id);

	if (!scr || !s)
		return 0;

	struct polc_http_head *h = &scr->h;
	__u64 all = s->all;
	__u64 ok = all;

	if (h->w[W_METHOD].n_classes)
		ok &= polc_dfa_accept(&h->w[W_METHOD], h->method_s);
	if (h->w[W_PATH].n_classes)
		ok &= polc_dfa_accept(&h->w[W_PATH], h->path_s);
	if (!h->n_host)
		ok &= s->host_optional;
	else if (h->w[W_HOST].n_classes)
		ok &= polc_dfa_accept(&h->w[W_HOST], h->host_s);

	__u32 n_names = s->n_names, n_cons = s->n_cons;
	__u64 met = 0;

	for (__u32 i = 0; i < POLC_HTTP_MAX_NAMES; i++) {
		if (i >= n_names)
			break;
		if (!(h->seen & (1u << i)))
			continue;
		met |= s->name_present[i];
		if (h->w[W_VALUES].n_classes)
			met |= polc_dfa_accept(&h->w[W_VALUES], h->vals[i]) & s->name_values[i];
	}
	for (__u32 c = 0; c < POLC_HTTP_MAX_CONS; c++) {
		if (c >= n_cons)
			break;
		if (!(met & (1ull << c)))
			ok &= ~s->cons_rules[c];
	}
	return ok & all;
}

/* ---- chunked bodies ------------------------------------------------------------ */

/* One byte of chunk framing in st; false to refuse. */
static __always_inline bool polc_http_chunk_byte(struct polc_l7_flow *st, __u8 b)
{
	int d;

	switch (st->mode) {
	case POLC_L7_M_CH_SIZE0:
		d = polc_hex(b);
		if (d < 0)
			return false;
		st->remaining = d;
		st->mode = POLC_L7_M_CH_SIZE;
		return true;
	case POLC_L7_M_CH_SIZE:
		d = polc_hex(b);
		if (d >= 0) {
			if (st->remaining >> 36)
				return false;
			st->remaining = st->remaining << 4 | d;
			return true;
		}
		if (b == ';') {
			st->aux = 0;
			st->mode = POLC_L7_M_CH_EXT;
			return true;
		}
		if (b != '\r')
			return false;
		st->mode = POLC_L7_M_CH_SIZE_LF;
		return true;
	case POLC_L7_M_CH_EXT:
		if (b == '\r') {
			st->mode = POLC_L7_M_CH_SIZE_LF;
			return true;
		}
		if ((b < 0x20 && b != '\t') || b == 0x7f || ++st->aux > POLC_GEN_HTTP_MAX_LINE)
			return false;
		return true;
	case POLC_L7_M_CH_SIZE_LF:
		if (b != '\n')
			return false;
		st->mode = st->remaining ? POLC_L7_M_CH_DATA : POLC_L7_M_CH_TRAILER;
		return true;
	case POLC_L7_M_CH_DATA_CR:
		if (b != '\r')
			return false;
		st->mode = POLC_L7_M_CH_DATA_LF;
		return true;
	case POLC_L7_M_CH_DATA_LF:
		if (b != '\n')
			return false;
		st->mode = POLC_L7_M_CH_SIZE0;
		return true;
	case POLC_L7_M_CH_TRAILER:
		if (b == '\r') {
			st->mode = POLC_L7_M_CH_END_LF;
			return true;
		}
		if (!polc_is_tchar(b))
			return false;
		st->aux = 1;
		st->mode = POLC_L7_M_CH_TLINE;
		return true;
	case POLC_L7_M_CH_TLINE:
		if (b == '\r') {
			st->mode = POLC_L7_M_CH_TLINE_LF;
			return true;
		}
		if ((b < 0x20 && b != '\t') || b == 0x7f || ++st->aux > POLC_GEN_HTTP_MAX_LINE)
			return false;
		return true;
	case POLC_L7_M_CH_TLINE_LF:
		if (b != '\n')
			return false;
		st->mode = POLC_L7_M_CH_TRAILER;
		return true;
	case POLC_L7_M_CH_END_LF:
		if (b != '\n')
			return false;
		st->mode = POLC_L7_M_HEAD;
		return true;
	}
	return false;
}

/* bpf_loop callback: chunk framing bytes until data, the next request, or a refusal. */
static long polc_http_chunk_cb(__u32 i, void *ctx)
{
	struct polc_http_cb *cb = ctx;
	struct polc_http_scratch *scr = cb->scr;

	if (!scr || i >= cb->len)
		return 1;

	__u8 b = scr->buf[i & (POLC_HTTP_WIN - 1)];

	scr->used = i + 1;
	if (!polc_http_chunk_byte(&scr->st, b)) {
		scr->h.done = 2;
		return 1;
	}
	return scr->st.mode == POLC_L7_M_CH_DATA || scr->st.mode == POLC_L7_M_HEAD;
}

static __always_inline bool polc_http_is_chunk_framing(__u8 mode)
{
	return mode >= POLC_L7_M_CH_SIZE0 && mode <= POLC_L7_M_CH_END_LF && mode != POLC_L7_M_CH_DATA;
}

/* ---- a run of bytes ------------------------------------------------------------- */

/* Copy up to a window of the frame at off into scratch->buf; bytes copied (0: none or error). */
static __always_inline __u32 polc_http_fill(struct __sk_buff *skb, struct polc_http_scratch *scr, __u32 off,
					    __u32 end)
{
	__u32 len = end - off;

	if (len > POLC_HTTP_WIN)
		len = POLC_HTTP_WIN;
	if (len == 0 || bpf_skb_load_bytes(skb, off, scr->buf, len))
		return 0;
	scr->win = len;
	return len;
}

/*
 * One step of judging the frame's bytes [off, end): a run of body bytes,
 * or a window of a head or of chunk framing. Advances scr->st (next_seq
 * follows off); returns the new offset, or a negative POLC_HTTP_* with
 * the reason in scr. audit: a refused request is reported and passes.
 * Global (lesson 7).
 */
POLC_GLOBAL int polc_http_step(struct __sk_buff *skb, const struct polc_ctx *c, __u32 off, __u32 end, __u32 audit)
{
	struct polc_http_scratch *scr = polc_http_scratch();

	if (!scr || !c || off >= end || end > 0xffff)
		return -POLC_HTTP_BAD;

	struct polc_l7_flow *st = &scr->st;
	__u8 mode = st->mode;

	if (mode == POLC_L7_M_BLIND) {
		st->next_seq += end - off;
		return end;
	}
	if (mode == POLC_L7_M_BODY || mode == POLC_L7_M_CH_DATA) {
		__u64 n = end - off;

		if (n > st->remaining)
			n = st->remaining;
		st->remaining -= n;
		st->next_seq += (__u32)n;
		if (st->remaining == 0)
			st->mode = mode == POLC_L7_M_BODY ? POLC_L7_M_HEAD : POLC_L7_M_CH_DATA_CR;
		return off + (__u32)n;
	}

	__u32 len = polc_http_fill(skb, scr, off, end);

	if (!len)
		return -POLC_HTTP_BAD;
	scr->used = 0;

	if (polc_http_is_chunk_framing(mode)) {
		struct polc_http_cb cb = {.scr = scr, .len = len};

		scr->h.done = 0;
		bpf_loop(len, polc_http_chunk_cb, &cb, 0);
		if (scr->h.done == 2 || scr->used == 0 || scr->used > len)
			return -POLC_HTTP_BAD;
		st->next_seq += scr->used;
		st->opaque_seq = st->next_seq;
		return off + scr->used;
	}
	if (mode != POLC_L7_M_HEAD)
		return -POLC_HTTP_BAD;

	__u32 set_id = st->set;

	if (!scr->in_head) {
		polc_http_head_init(&scr->h, polc_http_set_get(set_id));
		scr->in_head = 1;
	}
	struct polc_http_cb cb = {.scr = scr, .len = len};

	bpf_loop(len, polc_http_head_cb, &cb, 0);

	__u32 used = scr->used;

	if (used == 0 || used > len)
		return -POLC_HTTP_BAD;
	st->next_seq += used;
	st->opaque_seq = st->next_seq;
	if (scr->h.done == 0) {
		/* The head goes on in the next window; a segment that ends here splits it: refused. */
		return off + used;
	}
	scr->in_head = 0;
	if (scr->h.done != 1)
		return -POLC_HTTP_BAD;

	struct polc_http_head *h = &scr->h;

	if ((h->n_te && (h->n_cl || h->http10)))
		return -POLC_HTTP_BAD;
	if (h->n_te)
		st->mode = POLC_L7_M_CH_SIZE0;
	else if (h->n_cl && h->cl) {
		st->mode = POLC_L7_M_BODY;
		st->remaining = h->cl;
	}

	__u64 ok = polc_http_decide(set_id);
	const struct polc_http_set *s = polc_http_set_get(set_id);

	if (ok && s) {
		__u32 rule = polc_http_rule_id(s, polc_ctz64(ok));

		st->rule = rule;
		st->reqs++;
		polc_event(c, POLC_VERDICT_ALLOW, POLC_REASON_L7, rule);
	} else if (audit) {
		st->reqs++;
		st->flags |= POLC_L7_F_AUDITED;
		polc_event(c, POLC_VERDICT_AUDIT, POLC_REASON_L7, scr->deny_rule);
	} else {
		/* next_seq stays after the refused head: the caller answers from the segment. */
		return -POLC_HTTP_DENY;
	}
	return off + used;
}

/*
 * Judge the frame's bytes [off, end) with scr->st, up to
 * POLC_GEN_HTTP_MAX_STEPS steps. POLC_HTTP_OK when they all passed.
 * Global (lesson 7).
 */
POLC_GLOBAL int polc_http_run(struct __sk_buff *skb, const struct polc_ctx *c, __u32 off, __u32 end, __u32 audit)
{
	struct polc_http_scratch *scr = polc_http_scratch();

	if (!scr || !c)
		return POLC_HTTP_BAD;
	scr->in_head = 0;
	for (int i = 0; i < POLC_GEN_HTTP_MAX_STEPS; i++) {
		if (off >= end)
			break;

		int next = polc_http_step(skb, c, off, end, audit);

		if (next < 0) {
			if (next == -POLC_HTTP_DENY)
				return POLC_HTTP_DENY;
			if (!audit)
				return POLC_HTTP_BAD;
			/* Audit: the stream is lost; what follows passes unjudged, reported once. */
			scr->st.flags |= POLC_L7_F_AUDITED;
			scr->st.mode = POLC_L7_M_BLIND;
			polc_event(c, POLC_VERDICT_AUDIT, POLC_REASON_L7_MALFORMED, scr->deny_rule);
			scr->in_head = 0;
			continue;
		}
		off = next;
	}
	/* Bytes left over, or a head the segment ends in the middle of. */
	if (off < end || scr->in_head) {
		if (!audit)
			return POLC_HTTP_BAD;
		scr->st.mode = POLC_L7_M_BLIND;
		scr->st.flags |= POLC_L7_F_AUDITED;
		polc_event(c, POLC_VERDICT_AUDIT, POLC_REASON_L7_MALFORMED, scr->deny_rule);
	}
	return POLC_HTTP_OK;
}

#endif
