/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * toPorts and icmps of a Cilium rule entry -> IR ports.
 *
 * toPorts: [PortRule]; PortRule {ports: [PortProtocol] (at most 40), rules,
 * listener, originatingTLS, terminatingTLS, serverNames}; in ingressDeny
 * and egressDeny a PortDenyRule has only ports (the CRD schema: anything
 * else is an unknown field, never pruned into a wider deny).
 *
 * PortProtocol {port, endPort, protocol}, parsed as the agent parses it
 * (pkg/policy/api/rule_validation.go PortProtocol.sanitize, pkg/policy/l4.go
 * createL4Filter, pkg/policy/types PortRangeToMaskedPorts):
 *   port      a string; an IANA service name (1-15 of [A-Za-z0-9-], a letter,
 *             no leading, trailing or double '-') is a named port, lowercased;
 *             anything else is strconv.ParseUint(port, 0, 16): decimal, a leading
 *             0 reads octal ("010" is 8), '_' may separate digits. "0" is every port.
 *   endPort   int32 0..65535; port..endPort when endPort > port, else port alone
 *             (port 0 with endPort 0 or 65535: every port)
 *   protocol  TCP, UDP, SCTP or ANY (the CRD enum, case-sensitive; the agent
 *             upper-cases a bare rule's); absent: ANY, which is TCP, UDP and SCTP
 *             (never ICMP: that is icmps)
 *
 * icmps: [ICMPRule]; ICMPRule {fields: [ICMPField] (at most 40)};
 * ICMPField {family: IPv4|IPv6 (default IPv4), type: 0..255 or a name of
 * that family} (pkg/policy/api/icmp.go). A rule may have icmps or toPorts,
 * not both (rule_validation.go).
 */
#include <errno.h>
#include <string.h>

#include "cilium.h"

#define CIL_MAX_PORTS 40
#define CIL_MAX_ICMP_FIELDS 40

static const char *const port_rule_fields[] = {"ports", "rules", "listener", "originatingTLS", "terminatingTLS",
					       "serverNames", NULL};
static const char *const port_deny_rule_fields[] = {"ports", NULL};
static const char *const port_fields[] = {"port", "endPort", "protocol", NULL};

/* pkg/iana IsSvcName: RFC 6335 section 5.1. */
static bool is_svc_name(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 15 || s[0] == '-' || s[n - 1] == '-')
		return false;
	bool letter = false;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		bool alpha = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
		if (!alpha && !(ch >= '0' && ch <= '9') && ch != '-')
			return false;
		if (ch == '-' && s[i + 1] == '-')
			return false;
		letter |= alpha;
	}
	return letter;
}

/*
 * strconv.ParseUint(s, 0, 16) for strings that are not service names
 * (a base prefix 0x, 0o or 0b makes one, so only decimal and leading-zero
 * octal reach here). 0, or the problem.
 */
static const char *parse_uint16_base0(const char *s, uint32_t *out, bool *octal)
{
	size_t n = strlen(s);
	if (n == 0)
		return "empty";
	unsigned base = 10;
	size_t i = 0;
	*octal = false;
	if (n > 1 && s[0] == '0') {
		base = 8;
		*octal = true;
		i = 1;
	}
	uint64_t v = 0;
	bool last_digit = base == 8; /* "0_7" is valid: '_' may follow the base prefix */
	bool any = false;
	for (; i < n; i++) {
		char ch = s[i];
		if (ch == '_') {
			if (!last_digit)
				return "invalid syntax";
			last_digit = false;
			continue;
		}
		if (ch < '0' || ch > '9' || (unsigned)(ch - '0') >= base)
			return "invalid syntax";
		v = v * base + (uint64_t)(ch - '0');
		if (v > 0xffff)
			return "value out of range";
		last_digit = true;
		any = true;
	}
	if (!last_digit || (!any && base == 10))
		return "invalid syntax";
	*out = (uint32_t)v;
	return NULL;
}

struct port_spec {
	bool named;
	const char *name;
	uint32_t port, end;
	uint8_t protos[3];
	size_t n_protos;
	bool is_any;
	struct src_loc loc, proto_loc;
	const char *path;
	bool proto_given;
	bool extended; /* VRRP, IGMP: no port */
};

/* protocol: the CRD enum, or the agent's ParseL4Proto for bare rules. */
static bool parse_protocol(struct cil *c, const struct ynode *pn, const struct ypath *path, struct port_spec *ps)
{
	static const char *const protos[] = {"TCP", "UDP", "SCTP", "ANY", NULL};
	const char *s = "ANY";
	if (ynode_is_set(pn)) {
		if (!decode_string(&c->d, pn, path, &s))
			return false;
		ps->proto_given = true;
		ps->proto_loc = pn->loc;
	}
	/* The agent upper-cases and reads "" as ANY; the CRD enum is exact. */
	char up[8] = "";
	size_t len = strlen(s);
	if (len < sizeof(up)) {
		for (size_t i = 0; i < len; i++)
			up[i] = cil_crd(c) || s[i] < 'a' || s[i] > 'z' ? s[i] : (char)(s[i] - 32);
		if (len == 0 && !cil_crd(c))
			strcpy(up, "ANY");
	}
	if (strcmp(up, "TCP") == 0) {
		ps->protos[ps->n_protos++] = IR_PROTO_TCP;
	} else if (strcmp(up, "UDP") == 0) {
		ps->protos[ps->n_protos++] = IR_PROTO_UDP;
	} else if (strcmp(up, "SCTP") == 0) {
		ps->protos[ps->n_protos++] = IR_PROTO_SCTP;
	} else if (strcmp(up, "ANY") == 0) {
		/* pkg/policy/rule.go mergeIngress: ANY is TCP, UDP and SCTP. */
		ps->protos[ps->n_protos++] = IR_PROTO_TCP;
		ps->protos[ps->n_protos++] = IR_PROTO_UDP;
		ps->protos[ps->n_protos++] = IR_PROTO_SCTP;
		ps->is_any = true;
	} else if (strcmp(up, "VRRP") == 0 || strcmp(up, "IGMP") == 0) {
		/* Cilium 1.19+ with --enable-extended-ip-protocols: valid there, not compiled here. */
		ps->extended = true;
		cil_unsupported(c, pn->loc, path, "polc matches TCP, UDP, SCTP and ICMP",
				"protocol %s (extended IP protocols, Cilium's --enable-extended-ip-protocols) is not "
				"supported by polc",
				s);
		return false;
	} else {
		const char *sug = decode_suggest(s, protos);
		const char *hint = strncmp(s, "ICMP", 4) == 0 || strncmp(s, "icmp", 4) == 0
					   ? "ICMP is matched with icmps: [{fields: [{type: ..., family: IPv4}]}], "
					     "not toPorts"
				   : sug ? arena_printf(c->arena, "values are case-sensitive: did you mean \"%s\"?", sug)
					 : "toPorts matches TCP, UDP, SCTP or ANY (all three)";
		decode_error_at(&c->d, pn->loc, path, "unsupported-value", hint,
				"Unsupported value: %s: supported values: \"TCP\", \"UDP\", \"SCTP\", \"ANY\"",
				decode_quote(&c->d, s));
		return false;
	}
	return true;
}

/*
 * The port field: a string (the CRD types it so). A YAML integer is read
 * as the number it is, with a warning: the API server refuses it ("must
 * be of type string"), but what it means is not in doubt.
 */
static bool parse_port_field(struct cil *c, const struct ynode *node, const struct ypath *path,
			     struct port_spec *ps)
{
	struct decoder *d = &c->d;
	if (!ynode_is_set(node) || (node->kind == YNODE_SCALAR && node->scalar.len == 0 &&
				    yscalar_type(node) == YTYPE_STRING)) {
		decode_error_at(d, node ? node->loc : ps->loc, path, "required-field",
				"give the port: a number (\"80\"), \"0\" for every port, or a container port name",
				"Required value: port must be specified");
		return false;
	}
	const char *text;
	if (node->kind == YNODE_SCALAR && yscalar_type(node) == YTYPE_INT) {
		struct int_or_string v;
		if (!decode_int_or_string(d, node, path, &v))
			return false;
		if (v.num < 0 || v.num > 65535) {
			decode_error_at(d, node->loc, path, "invalid-value", NULL,
					"Invalid value: %d: unable to parse port: value out of range", v.num);
			return false;
		}
		decode_warning_at(d, node->loc, path, "port-not-string",
				  arena_printf(c->arena, "quote it: port: \"%d\"", v.num),
				  "port is a string in the CiliumNetworkPolicy schema: the API server refuses %d "
				  "unquoted (must be of type string); polc reads the number",
				  v.num);
		text = arena_printf(c->arena, "%d", v.num);
		if (!text) {
			c->oom = true;
			return false;
		}
	} else if (!decode_string(d, node, path, &text)) {
		return false;
	}
	if (is_svc_name(text)) {
		char *lower = arena_strdup(c->arena, text);
		if (!lower) {
			c->oom = true;
			return false;
		}
		for (char *p = lower; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p + 32);
		ps->named = true;
		ps->name = lower;
		return true;
	}
	uint32_t p;
	bool octal;
	const char *problem = parse_uint16_base0(text, &p, &octal);
	if (problem) {
		const char *dash = strchr(text, '-');
		const char *hint = NULL;
		if (dash && dash != text && strspn(text, "0123456789") == (size_t)(dash - text) &&
		    strspn(dash + 1, "0123456789") == strlen(dash + 1) && dash[1])
			hint = arena_printf(c->arena, "a range is port: \"%.*s\" with endPort: %s", (int)(dash - text),
					    text, dash + 1);
		else if (strspn(text, "0123456789") == strlen(text))
			hint = "a port number is 0..65535 (0: every port)";
		else
			hint = "a port is a number, or a name of at most 15 letters, digits and '-' with a letter";
		decode_error_at(d, node->loc, path, "invalid-value", hint,
				"Invalid value: %s: unable to parse port: %s", decode_quote(d, text), problem);
		return false;
	}
	if (octal && strcmp(text, "0") != 0)
		decode_warning_at(d, node->loc, path, "octal-port",
				  arena_printf(c->arena, "write %u, or the decimal port you meant without the leading 0",
					       p),
				  "port %s reads as octal %u: Cilium parses ports with strconv.ParseUint(port, 0, 16)",
				  decode_quote(d, text), p);
	ps->port = p;
	return true;
}

/* One ports[] item. Returns false after errors. */
static bool parse_port(struct cil *c, const struct ynode *node, const struct ypath *path, const struct cil_l7 *l7,
		       struct port_spec *ps)
{
	struct decoder *d = &c->d;
	memset(ps, 0, sizeof(*ps));
	if (!decode_mapping(d, node, path))
		return false;
	bool ok = decode_known_fields(d, node, path, port_fields);
	ps->loc = node->loc;
	ps->path = cil_path(c, path);
	struct ypath pp = YPATH_KEY(path, "port");
	struct ypath ep = YPATH_KEY(path, "endPort");
	struct ypath prp = YPATH_KEY(path, "protocol");
	const struct ynode *en = ymap_get(node, "endPort");
	int32_t end = 0;
	if (ynode_is_set(en)) {
		if (!decode_int32(d, en, &ep, &end)) {
			ok = false;
		} else if (end < 0 || end > 65535) {
			decode_error_at(d, en->loc, &ep, "invalid-value", NULL,
					"Invalid value: %d: should be between 0 and 65535, inclusive", end);
			ok = false;
		}
	}
	if (!parse_protocol(c, ymap_get(node, "protocol"), &prp, ps))
		ok = false;
	if (!ps->extended && !parse_port_field(c, ymap_get(node, "port"), &pp, ps))
		ok = false;
	if (!ok)
		return false;
	if (l7->dns && !ps->named && end > (int32_t)ps->port) {
		/* PortProtocol.sanitize(hasDNSRules) */
		decode_error_at(d, en->loc, &ep, "invalid-value", "DNS rules take the port alone: port: \"53\"",
				"Invalid value: %d: DNS rules do not support port ranges", end);
		return false;
	}
	if (ps->named && end)
		decode_warning_at(d, en->loc, &ep, "endport-ignored", "remove endPort; a name resolves to one port",
				  "endPort is ignored with the named port %s", decode_quote(d, ps->name));
	else if (end && (uint32_t)end < ps->port)
		decode_warning_at(d, en->loc, &ep, "endport-ignored",
				  arena_printf(c->arena, "the range is port..endPort: %u..%d is empty", ps->port, end),
				  "endPort %d is below port %u: Cilium matches port %u alone", end, ps->port, ps->port);
	if (!ps->named) {
		if (ps->port == 0 && (end == 0 || end == 65535)) {
			ps->end = 0;
			decode_warning_at(d, ymap_get(node, "port")->loc, &pp, "port-zero",
					  "leave toPorts out for every port of every protocol",
					  "port 0 means every %s port", ps->is_any ? "TCP, UDP and SCTP" :
					  ir_proto_name(ps->protos[0]));
		} else {
			ps->end = (uint32_t)end > ps->port ? (uint32_t)end : ps->port;
		}
	}
	/* PortRule.sanitize: L7 rules are for TCP alone (DNS also UDP), never on port 0. */
	if (l7->present && !l7->dns && (ps->is_any || ps->protos[0] != IR_PROTO_TCP)) {
		decode_error_at(d, ps->proto_given ? ps->proto_loc : node->loc, &prp, "invalid-value",
				"set protocol: TCP for HTTP and Kafka rules",
				"L7 rules can only apply to TCP (not %s) except for DNS rules",
				ps->is_any ? "ANY" : ir_proto_name(ps->protos[0]));
		return false;
	}
	if (l7->present && !ps->named && ps->port == 0) {
		decode_error_at(d, ymap_get(node, "port")->loc, &pp, "invalid-value", "name the port the L7 rules are for",
				"L7 rules can not be used when a port is 0");
		return false;
	}
	return true;
}

static bool push_port(struct cil *c, struct cil_rule *rule, struct ir_port p)
{
	if (vec_push(c->arena, &rule->ports, p)) {
		c->oom = true;
		return false;
	}
	return true;
}

/* One toPorts item. */
static void parse_port_rule(struct cil *c, const struct ynode *node, const struct ypath *path, struct cil_rule *rule)
{
	struct decoder *d = &c->d;
	if (ynode_is_null(node))
		return; /* "- " : a PortRule without ports matches nothing */
	if (!decode_mapping(d, node, path))
		return;
	bool deny = rule->action == IR_DENY;
	decode_known_fields(d, node, path, deny ? port_deny_rule_fields : port_rule_fields);
	struct ypath lp = YPATH_KEY(path, "ports");
	const struct ynode *ports = ymap_get(node, "ports");
	size_t n = 0;
	if (ynode_is_set(ports)) {
		if (!decode_sequence(d, ports, &lp))
			return;
		n = ports->seq.len;
		if (n > CIL_MAX_PORTS) {
			/* PortRule.sanitize and the CRD (maxItems: 40): refused, never truncated. */
			decode_error_at(d, ymap_get_key(node, "ports")->loc, &lp, "too-many",
					"split the ports over several toPorts items",
					"Too many: %zu: must have at most %d items (too many ports, the max is %d)", n,
					CIL_MAX_PORTS, CIL_MAX_PORTS);
			return;
		}
	}
	struct cil_l7 l7 = {0};
	if (!deny) {
		struct ypath rp = YPATH_KEY(path, "rules");
		const struct ynode *rules = ymap_get(node, "rules");
		if (ynode_is_set(rules))
			cil_parse_l7(c, rules, &rp, rule->dir, n, &l7);
		cil_parse_port_extras(c, node, path, rule->dir, &l7);
	}
	if (n == 0)
		return;
	for (size_t i = 0; i < n; i++) {
		struct ypath ip = YPATH_INDEX(&lp, i);
		struct port_spec ps;
		if (!parse_port(c, ports->seq.items[i], &ip, &l7, &ps))
			continue;
		for (size_t k = 0; k < ps.n_protos; k++) {
			struct ir_port p = {.proto = ps.protos[k], .loc = ps.loc, .path = ps.path};
			if (ps.named) {
				p.name = ps.name;
			} else {
				p.lo = (uint16_t)ps.port;
				p.hi = (uint16_t)ps.end;
			}
			if (!push_port(c, rule, p))
				return;
		}
	}
}

void cil_parse_to_ports(struct cil *c, const struct ynode *list, const struct ypath *path, struct cil_rule *rule)
{
	for (size_t i = 0; i < list->seq.len; i++) {
		struct ypath ip = YPATH_INDEX(path, i);
		parse_port_rule(c, list->seq.items[i], &ip, rule);
	}
}

/* ---- icmps --------------------------------------------------------------- */

static const struct icmp_name {
	const char *name;
	uint8_t type;
} icmp4_names[] = {
	{"EchoReply", 0}, {"DestinationUnreachable", 3}, {"Redirect", 5}, {"Echo", 8}, {"EchoRequest", 8},
	{"RouterAdvertisement", 9}, {"RouterSelection", 10}, {"TimeExceeded", 11}, {"ParameterProblem", 12},
	{"Timestamp", 13}, {"TimestampReply", 14}, {"Photuris", 40}, {"ExtendedEchoRequest", 42},
	{"ExtendedEchoReply", 43}, {NULL, 0},
}, icmp6_names[] = {
	{"DestinationUnreachable", 1}, {"PacketTooBig", 2}, {"TimeExceeded", 3}, {"ParameterProblem", 4},
	{"EchoRequest", 128}, {"EchoReply", 129}, {"MulticastListenerQuery", 130},
	{"MulticastListenerReport", 131}, {"MulticastListenerDone", 132}, {"RouterSolicitation", 133},
	{"RouterAdvertisement", 134}, {"NeighborSolicitation", 135}, {"NeighborAdvertisement", 136},
	{"RedirectMessage", 137}, {"RouterRenumbering", 138}, {"ICMPNodeInformationQuery", 139},
	{"ICMPNodeInformationResponse", 140}, {"InverseNeighborDiscoverySolicitation", 141},
	{"InverseNeighborDiscoveryAdvertisement", 142}, {"HomeAgentAddressDiscoveryRequest", 144},
	{"HomeAgentAddressDiscoveryReply", 145}, {"MobilePrefixSolicitation", 146},
	{"MobilePrefixAdvertisement", 147}, {"DuplicateAddressRequestCodeSuffix", 157},
	{"DuplicateAddressConfirmationCodeSuffix", 158}, {"ExtendedEchoRequest", 160}, {"ExtendedEchoReply", 161},
	{NULL, 0},
};

static const char *const icmp_field_fields[] = {"family", "type", NULL};
static const char *const icmp_rule_fields[] = {"fields", NULL};

static bool icmp_type(struct cil *c, const struct ynode *tn, const struct ypath *path, bool v6, uint8_t *out)
{
	struct decoder *d = &c->d;
	struct int_or_string v;
	if (!decode_int_or_string(d, tn, path, &v))
		return false;
	if (!v.is_string) {
		if (v.num < 0 || v.num > 255) {
			decode_error_at(d, tn->loc, path, "invalid-value", "an ICMP type is 0..255, or its name",
					"Invalid value: %d: should be between 0 and 255, inclusive", v.num);
			return false;
		}
		*out = (uint8_t)v.num;
		return true;
	}
	/* The CRD pattern takes a decimal string 0..255 without leading zeros. */
	size_t len = strlen(v.str);
	if (len && strspn(v.str, "0123456789") == len) {
		uint32_t t = 0;
		for (size_t i = 0; i < len && t < 1000; i++)
			t = t * 10 + (uint32_t)(v.str[i] - '0');
		if ((len > 1 && v.str[0] == '0') || t > 255) {
			decode_error_at(d, tn->loc, path, "invalid-value", "an ICMP type is 0..255 without leading zeros",
					"Invalid value: %s: not an ICMP type", decode_quote(d, v.str));
			return false;
		}
		*out = (uint8_t)t;
		return true;
	}
	const struct icmp_name *names = v6 ? icmp6_names : icmp4_names;
	const char *cands[64];
	size_t n = 0;
	for (size_t i = 0; names[i].name; i++) {
		if (strcmp(names[i].name, v.str) == 0) {
			*out = names[i].type;
			return true;
		}
		cands[n++] = names[i].name;
	}
	cands[n] = NULL;
	const char *sug = decode_suggest(v.str, cands);
	/* icmp.go UnmarshalJSON: "ICMP type %s not found in %s" */
	decode_error_at(d, tn->loc, path, "unsupported-value",
			sug ? arena_printf(c->arena, "did you mean \"%s\"?", sug)
			    : v6 ? "ICMPv6 names: EchoRequest, EchoReply, DestinationUnreachable, PacketTooBig, ..."
				 : "ICMPv4 names: EchoRequest (Echo), EchoReply, DestinationUnreachable, TimeExceeded, ...",
			"Unsupported value: %s: ICMP type %s not found in %s", decode_quote(d, v.str), v.str,
			v6 ? "IPv6" : "IPv4");
	return false;
}

static void parse_icmp_field(struct cil *c, const struct ynode *node, const struct ypath *path, struct cil_rule *rule)
{
	struct decoder *d = &c->d;
	if (!decode_mapping(d, node, path))
		return;
	decode_known_fields(d, node, path, icmp_field_fields);
	struct ypath fp = YPATH_KEY(path, "family");
	struct ypath tp = YPATH_KEY(path, "type");
	const struct ynode *fn = ymap_get(node, "family");
	const struct ynode *tn = ymap_get(node, "type");
	bool v6 = false;
	if (ynode_is_set(fn)) {
		const char *fam;
		if (!decode_string(d, fn, &fp, &fam))
			return;
		if (strcmp(fam, "IPv6") == 0) {
			v6 = true;
		} else if (strcmp(fam, "IPv4") != 0 && !(strcmp(fam, "") == 0 && !cil_crd(c))) {
			static const char *const fams[] = {"IPv4", "IPv6", NULL};
			const char *sug = decode_suggest(fam, fams);
			decode_error_at(d, fn->loc, &fp, "unsupported-value",
					sug ? arena_printf(c->arena, "values are case-sensitive: did you mean \"%s\"?", sug)
					    : NULL,
					"Unsupported value: %s: supported values: \"IPv4\", \"IPv6\" (wrong family)",
					decode_quote(d, fam));
			return;
		}
	}
	if (!ynode_is_set(tn)) {
		decode_error_at(d, node->loc, &tp, "required-field", "give the ICMP type: a number or a name",
				"Required value");
		return;
	}
	uint8_t type;
	if (!icmp_type(c, tn, &tp, v6, &type))
		return;
	struct ir_port p = {.proto = v6 ? IR_PROTO_ICMPV6 : IR_PROTO_ICMP, .lo = type, .hi = type, .loc = node->loc,
			    .path = cil_path(c, path)};
	push_port(c, rule, p);
}

void cil_parse_icmps(struct cil *c, const struct ynode *list, const struct ypath *path, struct cil_rule *rule)
{
	struct decoder *d = &c->d;
	for (size_t i = 0; i < list->seq.len; i++) {
		struct ypath ip = YPATH_INDEX(path, i);
		const struct ynode *item = list->seq.items[i];
		if (ynode_is_null(item))
			continue;
		if (!decode_mapping(d, item, &ip))
			continue;
		decode_known_fields(d, item, &ip, icmp_rule_fields);
		struct ypath fp = YPATH_KEY(&ip, "fields");
		const struct ynode *fields = ymap_get(item, "fields");
		if (!ynode_is_set(fields) || !decode_sequence(d, fields, &fp))
			continue;
		if (fields->seq.len > CIL_MAX_ICMP_FIELDS) {
			decode_error_at(d, ymap_get_key(item, "fields")->loc, &fp, "too-many",
					"split the types over several icmps items",
					"Too many: %zu: must have at most %d items (too many types, the max is %d)",
					fields->seq.len, CIL_MAX_ICMP_FIELDS, CIL_MAX_ICMP_FIELDS);
			continue;
		}
		for (size_t k = 0; k < fields->seq.len; k++) {
			struct ypath kp = YPATH_INDEX(&fp, k);
			parse_icmp_field(c, fields->seq.items[k], &kp, rule);
		}
	}
}
