/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The datapath's HTTP parser against a reference written here in plain
 * C: random request heads, assembled from fragments that the parser must
 * accept and fragments it must refuse (bad bytes, normalisation tricks,
 * smuggling headers, odd versions and line ends), each sent on a new
 * connection through the kernel. The kernel must pass exactly what the
 * reference allows, answer 403 to what no rule allows, and reset what
 * cannot be parsed. The reference decides the rules with the same DFAs
 * the compiler built (they are checked against RE2 elsewhere): what is
 * tested is the BPF parser and its walk, byte by byte.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "grammar/regex.h"
#include "l7_world.h"
#include "verdict.h"

#define REQUESTS 800

enum outcome { ALLOW, DENY, BAD };

static const char *const outcome_name[] = {"allow", "deny", "bad"};

static uint32_t rnd_state;

static uint32_t rnd(uint32_t n)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return (rnd_state >> 8) % n;
}

static const char *pick(const char *const *v, size_t n)
{
	return v[rnd((uint32_t)n)];
}

#define PICK(v) pick((v), sizeof(v) / sizeof((v)[0]))

/* ---- the reference ------------------------------------------------------------ */

static bool tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool unreserved(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
	       c == '_' || c == '~';
}

static bool pchar(unsigned char c)
{
	return unreserved(c) || (c && strchr("!$&'()*+,;=:@", c));
}

static int hexu(unsigned char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static bool dfa_has(const struct dfa *d, const char *s, size_t n, uint32_t bit)
{
	return dfa_set_has(d, dfa_match(d, (const uint8_t *)s, n), bit);
}

/* A path as Envoy's normalisation would leave it unchanged; the query anything visible but '#'. */
static bool target_ok(const char *t, size_t n)
{
	if (n == 1 && t[0] == '*')
		return true;
	if (n == 0 || t[0] != '/')
		return false;
	size_t seg = 0;
	bool dots = true;
	for (size_t i = 1; i <= n; i++) {
		unsigned char c = i < n ? (unsigned char)t[i] : ' ';
		if (c == '/' || c == '?' || c == ' ') {
			if (dots && (seg == 1 || seg == 2))
				return false;
			if (c == '/' && seg == 0)
				return false;
			if (c == '?') {
				for (size_t k = i + 1; k < n; k++)
					if ((unsigned char)t[k] < 0x21 || (unsigned char)t[k] > 0x7e || t[k] == '#')
						return false;
				return true;
			}
			seg = 0;
			dots = true;
			continue;
		}
		seg++;
		if (c == '%') {
			if (i + 2 >= n + 0 || hexu((unsigned char)t[i + 1]) < 0 || hexu((unsigned char)t[i + 2]) < 0)
				return false;
			unsigned char d = (unsigned char)(hexu((unsigned char)t[i + 1]) << 4 | hexu((unsigned char)t[i + 2]));
			if (unreserved(d) || d == '/' || d == '\\')
				return false;
			dots = false;
			i += 2;
			continue;
		}
		if (!pchar(c))
			return false;
		if (c != '.')
			dots = false;
	}
	return true;
}

static void trim(const char **v, size_t *n)
{
	while (*n && (**v == ' ' || **v == '\t')) {
		(*v)++;
		(*n)--;
	}
	while (*n && ((*v)[*n - 1] == ' ' || (*v)[*n - 1] == '\t'))
		(*n)--;
}

static bool has_inner_ws(const char *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == ' ' || v[i] == '\t')
			return true;
	return false;
}

static enum outcome reference(const struct dp_http_set *s, const char *req)
{
	const char *end = strstr(req, "\r\n\r\n");
	if (!end)
		return BAD;
	const char *p = req;
	/* Request line. */
	const char *sp = strchr(p, ' ');
	if (!sp || sp == p)
		return BAD;
	for (const char *q = p; q < sp; q++)
		if (!tchar((unsigned char)*q))
			return BAD;
	const char *method = p;
	size_t mlen = (size_t)(sp - p);
	const char *target = sp + 1;
	const char *sp2 = strchr(target, ' ');
	const char *crlf = strstr(p, "\r\n");
	if (!sp2 || !crlf || sp2 > crlf)
		return BAD;
	size_t tlen = (size_t)(sp2 - target);
	for (const char *q = target; q < sp2; q++)
		if ((unsigned char)*q < 0x21 || (unsigned char)*q > 0x7e)
			return BAD;
	if (!target_ok(target, tlen))
		return BAD;
	const char *ver = sp2 + 1;
	if (crlf - ver != 8 || (strncmp(ver, "HTTP/1.1", 8) != 0 && strncmp(ver, "HTTP/1.0", 8) != 0))
		return BAD;
	bool http10 = ver[7] == '0';
	if (memchr(req, '\n', (size_t)(crlf - req)) || memchr(req, '\r', (size_t)(crlf - req)))
		return BAD;

	/* Headers. */
	int n_host = 0, n_cl = 0, n_te = 0, n_headers = 0;
	const char *host = NULL;
	size_t host_len = 0;
	char joined[DP_HTTP_MAX_NAMES][512];
	size_t jlen[DP_HTTP_MAX_NAMES];
	bool seen[DP_HTTP_MAX_NAMES] = {false};
	p = crlf + 2;
	while (p < end + 2) {
		const char *le = strstr(p, "\r\n");
		if (le == p)
			break; /* the empty line */
		if (memchr(p, '\n', (size_t)(le - p)) || memchr(p, '\r', (size_t)(le - p)))
			return BAD;
		if (++n_headers > 100)
			return BAD;
		const char *colon = p;
		while (colon < le && tchar((unsigned char)*colon))
			colon++;
		if (colon == p || colon == le || *colon != ':')
			return BAD;
		size_t nlen = (size_t)(colon - p);
		const char *v = colon + 1;
		size_t vlen = (size_t)(le - v);
		for (size_t i = 0; i < vlen; i++) {
			unsigned char c = (unsigned char)v[i];
			if ((c < 0x20 && c != '\t') || c == 0x7f)
				return BAD;
		}
		trim(&v, &vlen);
		uint32_t a = dfa_match(s->names, (const uint8_t *)p, nlen);
		if (dfa_set_has(s->names, a, DP_HTTP_NAME_UPGRADE))
			return BAD;
		if (dfa_set_has(s->names, a, DP_HTTP_NAME_HOST)) {
			if (++n_host > 1 || has_inner_ws(v, vlen))
				return BAD;
			for (size_t i = 0; i < vlen; i++)
				if (!pchar((unsigned char)v[i]) && v[i] != '[' && v[i] != ']' && v[i] != '%')
					return BAD;
			host = v;
			host_len = vlen;
		}
		if (dfa_set_has(s->names, a, DP_HTTP_NAME_CONTENT_LENGTH)) {
			if (++n_cl > 1 || vlen == 0 || vlen > 15 || has_inner_ws(v, vlen))
				return BAD;
			for (size_t i = 0; i < vlen; i++)
				if (v[i] < '0' || v[i] > '9')
					return BAD;
		}
		if (dfa_set_has(s->names, a, DP_HTTP_NAME_TRANSFER_ENCODING)) {
			if (++n_te > 1 || vlen != 7 || strncasecmp(v, "chunked", 7) != 0)
				return BAD;
		}
		for (size_t k = 0; k < s->n_names; k++) {
			if (!dfa_set_has(s->names, a, DP_HTTP_NAME_FIRST_RULE + (uint32_t)k))
				continue;
			if (seen[k] && jlen[k] < sizeof(joined[k]))
				joined[k][jlen[k]++] = ',';
			if (!seen[k])
				jlen[k] = 0;
			seen[k] = true;
			for (size_t i = 0; i < vlen && jlen[k] < sizeof(joined[k]); i++)
				joined[k][jlen[k]++] = v[i];
		}
		p = le + 2;
	}
	if (n_te && (n_cl || http10))
		return BAD;

	/* The rules. */
	uint64_t all = s->n_rules == 64 ? ~0ull : (1ull << s->n_rules) - 1, ok = 0;
	for (size_t r = 0; r < s->n_rules; r++) {
		bool m = (!s->method || dfa_has(s->method, method, mlen, (uint32_t)r)) &&
			 (!s->path || dfa_has(s->path, target, tlen, (uint32_t)r)) &&
			 (n_host ? (!s->host || dfa_has(s->host, host, host_len, (uint32_t)r))
				 : (s->host_optional >> r) & 1);
		for (size_t c = 0; m && c < s->n_cons; c++) {
			if (!((s->cons[c].rules >> r) & 1))
				continue;
			size_t k = s->cons[c].name;
			if (!seen[k])
				m = false;
			else if (s->cons[c].value &&
				 (strlen(s->cons[c].value) != jlen[k] || memcmp(s->cons[c].value, joined[k], jlen[k]) != 0))
				m = false;
		}
		if (m)
			ok |= 1ull << r;
	}
	return ok & all ? ALLOW : DENY;
}

/* ---- random heads ------------------------------------------------------------- */

/*
 * Fragments of heads: good ones (which may still be denied by the rules),
 * and bad ones the parser must refuse, each picked with a small chance so
 * that all three outcomes are common.
 */
static const char *const methods[] = {"GET", "GET", "GET", "GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"};
static const char *const bad_methods[] = {"get", "G\x01T", "GE T", "", "GET\t"};
static const char *const segments[] = {"public", "public", "public", "public", "public", "api", "v1", "v22", "items", "items", "shop",
				       "x.y", "a-b_c~d", "%20", "%3A", "...", ";p=1", "a@b:c", "caf%C3%A9"};
static const char *const bad_segments[] = {"%3a", "%41", "%2F", "%5C", ".", "..", "", "{", "\\", "%2", "a b"};
static const char *const queries[] = {"", "", "", "?x=1", "?a=%20&b=/c?d", "?", "?q=%3a"};
static const char *const bad_queries[] = {"?#", "?x\x7f", "?\xff"};
static const char *const versions[] = {"HTTP/1.1", "HTTP/1.1", "HTTP/1.1", "HTTP/1.0"};
static const char *const bad_versions[] = {"HTTP/2.0", "http/1.1", "HTTP/1.1 ", "HTTP/1.10", "HTTP/1"};
static const char *const headers[] = {
	"Host: shop.example.com", "Host: shop.example.com:8080", "Host: evil.example.com", "Host:shop.example.com  ",
	"X-Token: s3cret", "x-token:\ts3cret ", "X-Token: s3cret2", "X-Token: s3cret", "X-Admin:", "X-Admin: yes",
	"Content-Length: 0", "Content-Length: 00", "Transfer-Encoding: chunked", "Transfer-Encoding: Chunked",
	"X-Tab:\tv\t", "Accept: */*", "User-Agent: curl/7.88.1", "X-Obs: caf\xc3\xa9", "Cookie: a=b; c=d",
};
static const char *const bad_headers[] = {
	"Host: a b", "Content-Length: 1 2", "Content-Length: x", "Transfer-Encoding: gzip", "Upgrade: h2c",
	"Bad Name: x", "X-Ctl: a\x01" "b", "X-Fold: a\r\n b", "Host : x", ": x", "X-Del: \x7f",
};

#define CHOOSE(good, bad) (rnd(20) ? PICK(good) : PICK(bad))

static void random_request(char *out, size_t size)
{
	size_t n = 0;
	n += (size_t)snprintf(out + n, size - n, "%s ", CHOOSE(methods, bad_methods));
	uint32_t form = rnd(30);
	if (form == 0) {
		n += (size_t)snprintf(out + n, size - n, "*");
	} else if (form == 1) {
		n += (size_t)snprintf(out + n, size - n, "http://x/public");
	} else {
		uint32_t segs = rnd(4);
		if (segs == 0)
			n += (size_t)snprintf(out + n, size - n, "/");
		for (uint32_t i = 0; i < segs; i++)
			n += (size_t)snprintf(out + n, size - n, "/%s", CHOOSE(segments, bad_segments));
		if (rnd(4) == 0)
			n += (size_t)snprintf(out + n, size - n, "/");
		n += (size_t)snprintf(out + n, size - n, "%s", CHOOSE(queries, bad_queries));
	}
	const char *eol = rnd(40) == 0 ? "\n" : "\r\n";
	n += (size_t)snprintf(out + n, size - n, " %s%s", CHOOSE(versions, bad_versions), eol);
	uint32_t nh = rnd(6);
	bool chunked = false;
	for (uint32_t i = 0; i < nh; i++) {
		const char *h = CHOOSE(headers, bad_headers);
		chunked |= strncasecmp(h, "Transfer-Encoding: chunked", 26) == 0;
		n += (size_t)snprintf(out + n, size - n, "%s%s", h, rnd(60) == 0 ? "\n" : "\r\n");
	}
	n += (size_t)snprintf(out + n, size - n, "\r\n");
	if (chunked)
		snprintf(out + n, size - n, "0\r\n\r\n");
}

/* The rule set of the client's entry on port 80. */
static const struct dp_http_set *entry_set(struct l7w *w)
{
	for (size_t i = 0; i < w->dp.entries.len; i++) {
		const struct dp_policy_entry *e = &w->dp.entries.items[i];
		if (e->key.port == 80 && e->value.l7)
			return w->dp.http_sets.items[e->value.l7 - 1];
	}
	fail_msg("no HTTP entry on port 80");
	return NULL;
}

void test_l7_random_heads(void **state)
{
	struct l7w *w = *state;
	world_init(w, false);
	add_rule(w, 80, "- {method: GET, path: '/public(/.*)?'}\n"
			"- {method: 'POST|PUT', path: '/api/v[0-9]+/items(\\?.*)?', headers: ['X-Token: s3cret']}\n"
			"- {host: '^shop\\.example\\.com(:[0-9]+)?$', path: '/shop/.*'}\n"
			"- {method: DELETE, headerMatches: [{name: X-Admin}]}\n"
			"- {path: '\\*'}\n");
	world_load(w);
	const struct dp_http_set *set = entry_set(w);
	rnd_state = 777;
	size_t counts[3] = {0, 0, 0};
	char req[2048];
	for (int i = 0; i < REQUESTS; i++) {
		struct conv c;
		struct seen s, back;
		random_request(req, sizeof(req));
		enum outcome want = reference(set, req);
		size_t n = strlen(req);
		counts[want]++;
		conv_init(&c, w, rnd(2) ? 4 : 6, (uint16_t)(20000 + i));
		conv_open(&c);
		drain(c.w->sock_s);
		client_seg(&c, c.cseq, PKT_ACK | PKT_PSH, req, n, &s);
		enum outcome got;
		if (unchanged(&s, c.cseq, PKT_ACK | PKT_PSH, n)) {
			got = ALLOW;
		} else if (s.flags == (PKT_ACK | PKT_RST) && caught(&c, &back)) {
			got = back.flags & PKT_RST ? BAD : DENY;
			if (!back.csum_ok || !s.csum_ok)
				fail_msg("request %d: answer with a bad checksum", i);
		} else {
			got = (enum outcome)-1;
		}
		if (got != want) {
			fprintf(stderr, "request %d (%s):\n", i, c.family == 4 ? "IPv4" : "IPv6");
			for (size_t k = 0; k < n; k++)
				fprintf(stderr, (unsigned char)req[k] < 0x20 && req[k] != '\n' ? "\\x%02x" : "%c",
					(unsigned char)req[k]);
			fail_msg("kernel %s, reference %s", (int)got >= 0 ? outcome_name[got] : "(no answer)",
				 outcome_name[want]);
		}
	}
	print_message("      %zu random heads: %zu allowed, %zu denied, %zu refused as unparseable, as the reference says\n",
		      (size_t)REQUESTS, counts[ALLOW], counts[DENY], counts[BAD]);
	assert_true(counts[ALLOW] > REQUESTS / 20 && counts[DENY] > REQUESTS / 20 && counts[BAD] > REQUESTS / 20);
}

/* ---- random streams ----------------------------------------------------------- */

#define STREAMS 120

struct stream {
	char bytes[1800];
	size_t len;
	/* Where heads are ([start, end) each): cuts never fall inside one. */
	size_t head_start[16], head_end[16];
	size_t n_heads;
	size_t denied_at; /* start of the refused head, or len when there is none */
};

static void add(struct stream *st, const char *text, size_t n)
{
	if (st->len + n <= sizeof(st->bytes)) {
		memcpy(st->bytes + st->len, text, n);
		st->len += n;
	}
}

static void adds(struct stream *st, const char *text)
{
	add(st, text, strlen(text));
}

static void head(struct stream *st, const char *text)
{
	st->head_start[st->n_heads] = st->len;
	adds(st, text);
	st->head_end[st->n_heads++] = st->len;
}

/* Body bytes that look like framing and like requests: only counting may pass them. */
static void body_bytes(struct stream *st, size_t n)
{
	static const char pool[] = "GET /admin HTTP/1.1\r\nHost: x\r\n\r\n0\r\n\r\n5;x\r\nabc";
	for (size_t i = 0; i < n; i++) {
		char c = pool[rnd(sizeof(pool) - 1)];
		add(st, &c, 1);
	}
}

static void random_stream(struct stream *st)
{
	char line[256];
	memset(st, 0, sizeof(*st));
	uint32_t n = 1 + rnd(5);
	for (uint32_t i = 0; i < n && st->len < 1200; i++) {
		switch (rnd(3)) {
		case 0:
			head(st, "GET /public/x HTTP/1.1\r\nHost: s\r\n\r\n");
			break;
		case 1: {
			uint32_t cl = rnd(200);
			snprintf(line, sizeof(line), "POST /public/upload HTTP/1.1\r\nHost: s\r\nContent-Length: %u\r\n\r\n", cl);
			head(st, line);
			body_bytes(st, cl);
			break;
		}
		default: {
			head(st, "POST /public/upload HTTP/1.1\r\nHost: s\r\nTransfer-Encoding: chunked\r\n\r\n");
			uint32_t chunks = rnd(4);
			for (uint32_t k = 0; k < chunks; k++) {
				uint32_t size = 1 + rnd(90);
				snprintf(line, sizeof(line), rnd(2) ? "%x\r\n" : "%X;name=value\r\n", size);
				adds(st, line);
				body_bytes(st, size);
				adds(st, "\r\n");
			}
			adds(st, rnd(3) ? "0\r\n\r\n" : "0\r\nX-Trailer: t\r\n\r\n");
		}
		}
	}
	st->denied_at = st->len;
	if (rnd(2)) {
		st->denied_at = st->len;
		head(st, "DELETE /public/x HTTP/1.1\r\nHost: s\r\n\r\n");
	}
}

/* Framing followed across segments cut anywhere but inside heads. */
void test_l7_random_streams(void **state)
{
	struct l7w *w = *state;
	world_init(w, true);
	add_rule(w, 80, "- {method: GET, path: '/public(/.*)?'}\n- {method: POST, path: /public/upload}\n");
	world_load(w);
	rnd_state = 4242;
	size_t segments_sent = 0, refused = 0;
	for (int i = 0; i < STREAMS; i++) {
		struct stream st;
		struct conv c;
		random_stream(&st);
		conv_init(&c, w, 4, (uint16_t)(30000 + i));
		conv_open(&c);
		size_t at = 0;
		while (at < st.len) {
			/* Up to 400 bytes, never ending inside a head. */
			size_t cut = at + 1 + rnd(400);
			if (cut > st.len)
				cut = st.len;
			for (size_t h = 0; h < st.n_heads; h++)
				if (cut > st.head_start[h] && cut < st.head_end[h])
					cut = st.head_end[h];
			struct seen s;
			client_seg(&c, c.cseq, PKT_ACK | PKT_PSH, st.bytes + at, cut - at, &s);
			segments_sent++;
			bool has_denied = st.denied_at < st.len && st.denied_at >= at && st.denied_at < cut;
			if (has_denied) {
				if (s.flags != (PKT_ACK | PKT_RST))
					fail_msg("stream %d: the refused request at %zu (segment %zu..%zu) passed", i,
						 st.denied_at, at, cut);
				refused++;
				break;
			}
			if (!unchanged(&s, c.cseq, PKT_ACK | PKT_PSH, cut - at)) {
				fprintf(stderr, "stream %d, segment %zu..%zu of %zu:\n", i, at, cut, st.len);
				fwrite(st.bytes, 1, st.len, stderr);
				fail_msg("an allowed segment was not passed (verdict %d flags 0x%x)", s.verdict, s.flags);
			}
			c.cseq += (uint32_t)(cut - at);
			at = cut;
		}
	}
	print_message("      %d random streams, %zu segments: bodies and chunks followed, %zu refused at the right segment\n",
		      STREAMS, segments_sent, refused);
	assert_true(refused > STREAMS / 4);
}
