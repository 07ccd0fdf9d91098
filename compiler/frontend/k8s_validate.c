/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Kubernetes validation primitives: see k8s_validate.h. The regular
 * expressions of apimachinery are written out as small scanners; the
 * messages are the API server's, byte for byte (including the double
 * space its RegexError puts between examples).
 */
#include "k8s_validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char k8s_port_range_msg[] = "must be between 1 and 65535, inclusive";

#define DNS1123_LABEL_FMT "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
#define DNS1123_SUBDOMAIN_FMT DNS1123_LABEL_FMT "(\\." DNS1123_LABEL_FMT ")*"
#define LABEL_KEY_FMT "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"

#define SUBDOMAIN_REGEX_MSG                                                                              \
	"a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', " \
	"and must start and end with an alphanumeric character (e.g. 'example.com', regex used for "       \
	"validation is '" DNS1123_SUBDOMAIN_FMT "')"
#define LABEL_REGEX_MSG                                                                                  \
	"a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must " \
	"start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for "    \
	"validation is '" DNS1123_LABEL_FMT "')"
#define LABEL_KEY_REGEX_MSG                                                                             \
	"must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "     \
	"alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation " \
	"is '" LABEL_KEY_FMT "')"
#define LABEL_VALUE_REGEX_MSG                                                                          \
	"a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', " \
	"and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or "   \
	"'12345', regex used for validation is '(" LABEL_KEY_FMT ")?')"

static void add(struct k8s_errs *e, const char *msg)
{
	if (e->n < K8S_MAX_ERRS)
		e->msg[e->n++] = msg;
}

void k8s_errs_clear(struct k8s_errs *e)
{
	e->n = 0;
}

static bool lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool alnum(char c)
{
	return lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

/* [a-z0-9]([-a-z0-9]*[a-z0-9])? over s[0..len) */
static bool match_dns_label(const char *s, size_t len)
{
	if (len == 0 || !lower_alnum(s[0]) || !lower_alnum(s[len - 1]))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!lower_alnum(s[i]) && s[i] != '-')
			return false;
	return true;
}

static bool match_dns_subdomain(const char *s, size_t len)
{
	size_t start = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i == len || s[i] == '.') {
			if (!match_dns_label(s + start, i - start))
				return false;
			start = i + 1;
		}
	}
	return true;
}

/* ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9] */
static bool match_label_key(const char *s, size_t len)
{
	if (len == 0 || !alnum(s[0]) || !alnum(s[len - 1]))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
			return false;
	return true;
}

void k8s_is_dns1123_subdomain(const char *value, struct k8s_errs *e)
{
	size_t len = strlen(value);
	if (len > K8S_DNS1123_SUBDOMAIN_MAX)
		add(e, "must be no more than 253 bytes");
	if (!match_dns_subdomain(value, len))
		add(e, SUBDOMAIN_REGEX_MSG);
}

void k8s_is_dns1123_label(const char *value, struct k8s_errs *e)
{
	size_t len = strlen(value);
	if (len > K8S_DNS1123_LABEL_MAX)
		add(e, "must be no more than 63 bytes");
	if (!match_dns_label(value, len)) {
		/* A valid subdomain that is not a label can only be one with dots. */
		if (match_dns_subdomain(value, len))
			add(e, "must not contain dots");
		else
			add(e, LABEL_REGEX_MSG);
	}
}

void k8s_is_qualified_name(const char *value, struct k8s_errs *e)
{
	const char *slash = strchr(value, '/');
	const char *name = value;
	if (slash) {
		if (strchr(slash + 1, '/')) {
			add(e, "a valid label key " LABEL_KEY_REGEX_MSG
			       " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
			return;
		}
		size_t plen = (size_t)(slash - value);
		if (plen == 0) {
			add(e, "prefix part must be non-empty");
		} else {
			if (plen > K8S_DNS1123_SUBDOMAIN_MAX)
				add(e, "prefix part must be no more than 253 bytes");
			if (!match_dns_subdomain(value, plen))
				add(e, "prefix part " SUBDOMAIN_REGEX_MSG);
		}
		name = slash + 1;
	}
	size_t nlen = strlen(name);
	if (nlen == 0)
		add(e, "name part must be non-empty");
	else if (nlen > K8S_LABEL_NAME_MAX)
		add(e, "name part must be no more than 63 bytes");
	if (!match_label_key(name, nlen))
		add(e, "name part " LABEL_KEY_REGEX_MSG);
}

void k8s_is_label_value(const char *value, struct k8s_errs *e)
{
	size_t len = strlen(value);
	if (len > K8S_LABEL_VALUE_MAX)
		add(e, "must be no more than 63 bytes");
	if (len > 0 && !match_label_key(value, len))
		add(e, LABEL_VALUE_REGEX_MSG);
}

void k8s_is_port_name(const char *value, struct k8s_errs *e)
{
	size_t len = strlen(value);
	bool charset = len > 0, letter = false;
	for (size_t i = 0; i < len; i++) {
		char c = value[i];
		if (!lower_alnum(c) && c != '-')
			charset = false;
		if (c >= 'a' && c <= 'z')
			letter = true;
	}
	if (len > K8S_PORT_NAME_MAX)
		add(e, "must be no more than 15 bytes");
	if (!charset)
		add(e, "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
	if (!letter)
		add(e, "must contain at least one letter (a-z)");
	if (strstr(value, "--"))
		add(e, "must not contain consecutive hyphens");
	if (len > 0 && (value[0] == '-' || value[len - 1] == '-'))
		add(e, "must not begin or end with a hyphen");
}

bool k8s_is_port_num(int64_t port)
{
	return port >= 1 && port <= 65535;
}

const char *k8s_ifname_problem(const char *value)
{
	size_t len = strlen(value);
	if (len == 0)
		return "must be non-empty";
	if (len > K8S_IFNAME_MAX)
		return "must be no more than 15 bytes (IFNAMSIZ)";
	if (strcmp(value, ".") == 0 || strcmp(value, "..") == 0)
		return "must not be \".\" or \"..\"";
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)value[i];
		if (c == '/' || c == ':')
			return "must not contain '/' or ':'";
		if (c <= ' ' || c >= 0x7f)
			return "must contain only printable ASCII characters other than space";
	}
	return NULL;
}

/* ---- addresses ----------------------------------------------------------- */

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Four decimal octets. *leading_zero: an octet like 010 (only sloppy parsers take it). */
static bool parse_ipv4(const char *s, size_t len, uint8_t out[4], bool *leading_zero)
{
	size_t i = 0;
	for (int field = 0; field < 4; field++) {
		if (field > 0) {
			if (i >= len || s[i] != '.')
				return false;
			i++;
		}
		size_t start = i;
		unsigned v = 0;
		while (i < len && is_digit(s[i]) && i - start < 4) {
			v = v * 10 + (unsigned)(s[i] - '0');
			i++;
		}
		size_t n = i - start;
		if (n == 0 || n > 3 || v > 255)
			return false;
		if (n > 1 && s[start] == '0')
			*leading_zero = true;
		out[field] = (uint8_t)v;
	}
	return i == len;
}

/* RFC 4291 text form as Go's netip parses it (no zone). */
static bool parse_ipv6(const char *s, size_t len, uint8_t out[16], bool *leading_zero)
{
	memset(out, 0, 16);
	int ellipsis = -1;
	size_t i = 0, p = 0;
	if (len >= 2 && s[0] == ':' && s[1] == ':') {
		ellipsis = 0;
		p = 2;
		if (p == len)
			return true;
	}
	while (i < 16) {
		size_t start = p;
		unsigned v = 0;
		while (p < len && hex_value(s[p]) >= 0 && p - start < 5) {
			v = v * 16 + (unsigned)hex_value(s[p]);
			p++;
		}
		size_t n = p - start;
		if (n == 0 || n > 4)
			return false;
		if (p < len && s[p] == '.') {
			/* Trailing dotted quad: only in the last 32 bits. */
			if (ellipsis < 0 && i != 12)
				return false;
			if (i + 4 > 16)
				return false;
			if (!parse_ipv4(s + start, len - start, out + i, leading_zero))
				return false;
			i += 4;
			p = len;
			break;
		}
		out[i] = (uint8_t)(v >> 8);
		out[i + 1] = (uint8_t)v;
		i += 2;
		if (p == len)
			break;
		if (s[p] != ':')
			return false;
		p++;
		if (p < len && s[p] == ':') {
			if (ellipsis >= 0)
				return false;
			ellipsis = (int)i;
			p++;
			if (p == len)
				break;
		} else if (p == len) {
			return false; /* trailing single colon */
		}
	}
	if (p != len)
		return false;
	if (i < 16) {
		if (ellipsis < 0)
			return false;
		size_t n = i - (size_t)ellipsis;
		memmove(out + 16 - n, out + ellipsis, n);
		memset(out + ellipsis, 0, 16 - n - (size_t)ellipsis);
	} else if (ellipsis >= 0) {
		return false; /* "::" must stand for at least one group */
	}
	return true;
}

static bool is_mapped4(const uint8_t a[16])
{
	static const uint8_t prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	return memcmp(a, prefix, 12) == 0;
}

static void mask_cidr(struct ir_cidr *c)
{
	unsigned bytes = c->family == 4 ? 4 : 16;
	for (unsigned i = 0; i < bytes; i++) {
		unsigned bit = i * 8;
		if (bit >= c->prefixlen)
			c->addr[i] = 0;
		else if (c->prefixlen - bit < 8)
			c->addr[i] &= (uint8_t)(0xff00u >> (c->prefixlen - bit));
	}
}

static const char invalid_cidr_msg[] = "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)";
static const char leading_zero_cidr_msg[] = "must not have leading 0s in IP or prefix length";

/* Parse an address into a full-length ir_cidr; *family 4 or 6. */
static bool parse_addr(const char *s, size_t len, struct ir_cidr *out, bool *leading_zero)
{
	memset(out, 0, sizeof(*out));
	if (memchr(s, ':', len)) {
		if (!parse_ipv6(s, len, out->addr, leading_zero))
			return false;
		out->family = 6;
		out->prefixlen = 128;
	} else {
		if (!parse_ipv4(s, len, out->addr, leading_zero))
			return false;
		out->family = 4;
		out->prefixlen = 32;
	}
	return true;
}

const char *k8s_parse_cidr(const char *value, struct k8s_cidr *out)
{
	const char *slash = strchr(value, '/');
	if (!slash)
		return invalid_cidr_msg;
	bool leading_zero = false;
	struct ir_cidr ip;
	if (!parse_addr(value, (size_t)(slash - value), &ip, &leading_zero))
		return invalid_cidr_msg;
	const char *pl = slash + 1;
	size_t plen = strlen(pl);
	if (plen == 0 || plen > 3)
		return invalid_cidr_msg;
	unsigned prefix = 0;
	for (size_t i = 0; i < plen; i++) {
		if (!is_digit(pl[i]))
			return invalid_cidr_msg;
		prefix = prefix * 10 + (unsigned)(pl[i] - '0');
	}
	if (prefix > (ip.family == 4 ? 32u : 128u))
		return invalid_cidr_msg;
	if (plen > 1 && pl[0] == '0')
		leading_zero = true;
	if (leading_zero)
		return leading_zero_cidr_msg;

	memset(out, 0, sizeof(*out));
	ip.prefixlen = (uint8_t)prefix;
	if (ip.family == 6 && is_mapped4(ip.addr) && prefix >= 96) {
		/* ::ffff:10.0.0.0/104 contains exactly the IPv4 addresses of 10.0.0.0/8. */
		struct ir_cidr v4 = {.family = 4, .prefixlen = (uint8_t)(prefix - 96)};
		memcpy(v4.addr, ip.addr + 12, 4);
		ip = v4;
		out->mapped4 = true;
	} else if (ip.family == 6 && is_mapped4(ip.addr)) {
		out->mapped4 = true;
	}
	out->ip = ip;
	out->net = ip;
	mask_cidr(&out->net);
	out->host_bits = memcmp(out->net.addr, ip.addr, sizeof(ip.addr)) != 0;
	return NULL;
}

const char *k8s_parse_ip(const char *value, struct ir_cidr *out)
{
	bool leading_zero = false;
	struct ir_cidr ip;
	if (!parse_addr(value, strlen(value), &ip, &leading_zero))
		return "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)";
	if (leading_zero)
		return "must not have leading 0s";
	if (ip.family == 6 && is_mapped4(ip.addr))
		return "must not be an IPv4-mapped IPv6 address";
	*out = ip;
	return NULL;
}

const char *k8s_cidr_hint(const char *value)
{
	const char *slash = strchr(value, '/');
	size_t alen = slash ? (size_t)(slash - value) : strlen(value);
	bool v6 = memchr(value, ':', alen) != NULL;
	if (!slash) {
		struct ir_cidr ip;
		bool lz = false;
		if (parse_addr(value, alen, &ip, &lz))
			return v6 ? "a CIDR needs a prefix length: add /128 for this one address"
				  : "a CIDR needs a prefix length: add /32 for this one address";
		return NULL;
	}
	if (!v6) {
		size_t dots = 0;
		for (size_t i = 0; i < alen; i++)
			dots += value[i] == '.';
		if (dots < 3)
			return "write all four octets: short forms are not CIDRs to Go (the API server), "
			       "while inet_aton() reads 10.2 as 10.0.0.2";
		const char *pl = slash + 1;
		if (*pl && strspn(pl, "0123456789") == strlen(pl) && strlen(pl) <= 3 && atoi(pl) > 32)
			return "an IPv4 prefix length is 0..32";
		struct ir_cidr ip;
		bool lz = false;
		if (parse_addr(value, alen, &ip, &lz) && lz)
			return "leading zeros read as octal in inet_aton() and as decimal elsewhere; remove them";
	} else {
		const char *pl = slash + 1;
		if (*pl && strspn(pl, "0123456789") == strlen(pl) && strlen(pl) <= 3 && atoi(pl) > 128)
			return "an IPv6 prefix length is 0..128";
	}
	return NULL;
}
