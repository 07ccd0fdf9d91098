/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Judged flows in words and in JSON (flow_report.h). The chain of a
 * verdict: for each side, the rule that decided it (file:line), the
 * policies that isolate the pod when no rule matched, and the other
 * rules that matched; then the side that decided; then the datapath.
 */
#include "flow_report.h"

#include <string.h>

const char *flow_verdict_word(bool allow, bool audit)
{
	return audit ? "allow (audit: would be denied)" : allow ? "allow" : "deny";
}

void flow_report_title(struct strbuf *sb, const struct flow_end *src, const struct flow_end *dst, const char *service,
		       const struct flow_result *r)
{
	char a[64], b[64];
	strbuf_printf(sb, "%s -> %s %s (IPv%u %s -> %s)", src->label, dst->label, service, r->family,
		      flow_addr_str(r->family, r->src, a, sizeof(a)), flow_addr_str(r->family, r->dst, b, sizeof(b)));
}

static const char *side_name(const struct flow_ctx *fc, const struct flow_side *s, const struct flow_end *end)
{
	return arena_printf(fc->arena, "%s of %s", s->dir == IR_EGRESS ? "egress" : "ingress", end->label);
}

static void side_text(struct strbuf *sb, const struct flow_ctx *fc, const struct flow_side *s,
		      const struct flow_end *end, const char *indent)
{
	const char *name = side_name(fc, s, end);
	if (!s->present) {
		strbuf_printf(sb, "%s%s: no policy applies (%s)\n", indent, name,
			      end->pod ? "host-network pod" : "an address outside the inventory");
		return;
	}
	const struct sim_verdict *v = &s->ir;
	const char *word = flow_verdict_word(v->allow, v->audit);
	const char *dir = s->dir == IR_EGRESS ? "egress" : "ingress";
	switch (v->reason) {
	case SIM_NOT_ISOLATED:
		strbuf_printf(sb, "%s%s: %s: no policy selects the pod for %s (default allow)\n", indent, name, word, dir);
		break;
	case SIM_ALLOWED:
		strbuf_printf(sb, "%s%s: %s: allowed by %s\n", indent, name, word, flow_rule_ref(fc, v->rule));
		break;
	case SIM_DENIED:
		strbuf_printf(sb, "%s%s: %s: denied by %s (deny takes precedence over every allow)\n", indent, name,
			      word, flow_rule_ref(fc, v->rule));
		break;
	case SIM_DEFAULT_DENY:
		strbuf_printf(sb, "%s%s: %s: default deny: isolated for %s by %s, and no rule matches\n", indent, name,
			      word, dir, flow_isolators(fc, s->pod, s->dir));
		break;
	}
	for (size_t i = 0; i < s->n_matched; i++) {
		if ((v->reason == SIM_ALLOWED || v->reason == SIM_DENIED) && s->matched[i] == v->rule)
			continue;
		const struct ir_rule *r = fc->prog->rules.items[s->matched[i]];
		strbuf_printf(sb, "%s  also matched: %s %s\n", indent, r->action == IR_DENY ? "deny" : "allow",
			      flow_rule_ref(fc, s->matched[i]));
	}
}

static const char *reason_word(const struct sim_verdict *v)
{
	switch (v->reason) {
	case SIM_NOT_ISOLATED: return "not isolated";
	case SIM_ALLOWED: return "allowed";
	case SIM_DENIED: return "denied";
	case SIM_DEFAULT_DENY: return "default deny";
	}
	return "?";
}

static void dp_text(struct strbuf *sb, const struct flow_ctx *fc, const struct flow_side *s, const struct flow_end *end)
{
	const struct sim_verdict *v = &s->dp;
	strbuf_printf(sb, "%s %s", side_name(fc, s, end), flow_verdict_word(v->allow, v->audit));
	if (v->reason == SIM_ALLOWED || v->reason == SIM_DENIED)
		strbuf_printf(sb, " (rule %u)", v->rule);
	else
		strbuf_printf(sb, " (%s)", reason_word(v));
}

void flow_report_text(struct strbuf *sb, const struct flow_ctx *fc, const struct flow_end *src,
		      const struct flow_end *dst, const struct flow_result *r, const char *indent)
{
	side_text(sb, fc, &r->egress, src, indent);
	side_text(sb, fc, &r->ingress, dst, indent);
	bool eg = r->egress.present, in = r->ingress.present;
	bool eg_ok = !eg || r->egress.ir.allow, in_ok = !in || r->ingress.ir.allow;
	const char *e = side_name(fc, &r->egress, src), *i = side_name(fc, &r->ingress, dst);
	if (!eg && !in)
		strbuf_printf(sb, "%sdecided by: nothing (neither end is a pod polc polices): allowed\n", indent);
	else if (!r->allow && !eg_ok && !in_ok)
		strbuf_printf(sb, "%sdecided by: both sides deny\n", indent);
	else if (!r->allow)
		strbuf_printf(sb, "%sdecided by: the %s (a flow needs both the sender's egress and the receiver's "
				  "ingress)\n",
			      indent, eg_ok ? i : e);
	else if (eg && in)
		strbuf_printf(sb, "%sdecided by: both sides allow\n", indent);
	else
		strbuf_printf(sb, "%sdecided by: the %s (the only side with a pod)\n", indent, eg ? e : i);

	if (!r->dp_checked) {
		strbuf_printf(sb, "%sdatapath: not checked (neither end is a local endpoint of this node)\n", indent);
		return;
	}
	strbuf_printf(sb, "%sdatapath: %s (", indent, r->dp_agrees ? "agrees" : "DISAGREES with the policies");
	bool first = true;
	const struct flow_side *sides[2] = {&r->egress, &r->ingress};
	const struct flow_end *ends[2] = {src, dst};
	for (int k = 0; k < 2; k++) {
		if (!sides[k]->have_dp)
			continue;
		strbuf_puts(sb, first ? "" : "; ");
		first = false;
		dp_text(sb, fc, sides[k], ends[k]);
	}
	strbuf_puts(sb, ")\n");
}

static void rule_json(struct strbuf *sb, const struct flow_ctx *fc, uint32_t id)
{
	const struct ir_rule *r = fc->prog->rules.items[id];
	const struct ir_policy *p = r->policy;
	strbuf_printf(sb, "{\"id\":%u,\"action\":\"%s\",\"kind\":", id, r->action == IR_DENY ? "deny" : "allow");
	strbuf_json_string(sb, ir_policy_kind_name(p->kind));
	strbuf_puts(sb, ",\"namespace\":");
	strbuf_json_string(sb, p->namespace);
	strbuf_puts(sb, ",\"policy\":");
	strbuf_json_string(sb, p->name);
	strbuf_puts(sb, ",\"path\":");
	strbuf_json_string(sb, r->path);
	strbuf_puts(sb, ",\"file\":");
	strbuf_json_string(sb, source_name(fc->sources, r->loc.file));
	strbuf_printf(sb, ",\"line\":%u,\"column\":%u}", r->loc.line, r->loc.col);
}

static void verdict_json(struct strbuf *sb, const struct flow_ctx *fc, const struct sim_verdict *v)
{
	strbuf_printf(sb, "{\"verdict\":\"%s\",\"audit\":%s,\"reason\":\"%s\",\"rule\":", v->allow ? "allow" : "deny",
		      v->audit ? "true" : "false", reason_word(v));
	if (v->reason == SIM_ALLOWED || v->reason == SIM_DENIED)
		rule_json(sb, fc, v->rule);
	else
		strbuf_puts(sb, "null");
	strbuf_putc(sb, '}');
}

static void side_json(struct strbuf *sb, const struct flow_ctx *fc, const struct flow_side *s)
{
	if (!s->present) {
		strbuf_puts(sb, "null");
		return;
	}
	strbuf_puts(sb, "{\"policies\":");
	verdict_json(sb, fc, &s->ir);
	strbuf_puts(sb, ",\"matched\":[");
	for (size_t i = 0; i < s->n_matched; i++) {
		strbuf_puts(sb, i ? "," : "");
		rule_json(sb, fc, s->matched[i]);
	}
	strbuf_puts(sb, "],\"datapath\":");
	if (s->have_dp)
		verdict_json(sb, fc, &s->dp);
	else
		strbuf_puts(sb, "null");
	strbuf_putc(sb, '}');
}

void flow_report_json(struct strbuf *sb, const struct flow_ctx *fc, const struct flow_end *src,
		      const struct flow_end *dst, const char *service, const struct flow_result *r)
{
	char a[64], b[64];
	strbuf_puts(sb, "{\"from\":");
	strbuf_json_string(sb, src->label);
	strbuf_puts(sb, ",\"to\":");
	strbuf_json_string(sb, dst->label);
	strbuf_puts(sb, ",\"service\":");
	strbuf_json_string(sb, service);
	strbuf_printf(sb, ",\"family\":%u,\"src\":\"%s\",\"dst\":\"%s\",\"port\":%u,\"verdict\":\"%s\",\"egress\":",
		      r->family, flow_addr_str(r->family, r->src, a, sizeof(a)),
		      flow_addr_str(r->family, r->dst, b, sizeof(b)), r->port, r->allow ? "allow" : "deny");
	side_json(sb, fc, &r->egress);
	strbuf_puts(sb, ",\"ingress\":");
	side_json(sb, fc, &r->ingress);
	strbuf_printf(sb, ",\"datapath_checked\":%s,\"datapath_agrees\":%s}", r->dp_checked ? "true" : "false",
		      r->dp_agrees ? "true" : "false");
}
