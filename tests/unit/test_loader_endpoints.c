/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * libpolc's node-agent calls on a real pinned datapath, without traffic
 * (so that they run under ASan too): a network namespace of the test's
 * own with veth pairs, a policy compiled in-process, then
 * polc_datapath_apply, polc_endpoints_change (add, relabel, update,
 * delete, refusals), polc_datapath_status, the lists, and the monitor
 * decoding the events that packets judged through BPF_PROG_TEST_RUN on
 * the pinned entry programs produced. Needs root; skipped otherwise.
 */
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <linux/tcp.h>

#include "driver/driver.h"
#include "polc/layout.h"
#include "polc/libpolc.h"

#define WEB_IP "198.18.0.2"
#define CLIENT_IP "198.18.0.3"
#define ADMIN_IP "198.18.0.4"

struct world {
	char dir[64];
	char pin[128];
	char art[128];
	struct polc_datapath *dp;
	uint32_t if_web, if_admin;
};

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return 0;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static const char inventory[] =
	"apiVersion: v1\nkind: List\nitems:\n"
	"- apiVersion: v1\n  kind: Pod\n"
	"  metadata: {name: web, namespace: x, labels: {app: web}, annotations: {polc.io/interface: ut-web}}\n"
	"  status: {podIP: " WEB_IP "}\n"
	"- apiVersion: v1\n  kind: Pod\n"
	"  metadata: {name: client, namespace: x, labels: {app: client}}\n"
	"  status: {podIP: " CLIENT_IP "}\n";

static const char policy[] =
	"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
	"metadata: {name: web-in, namespace: x}\n"
	"spec:\n"
	"  podSelector: {matchLabels: {app: web}}\n"
	"  ingress:\n"
	"  - from: [{podSelector: {matchLabels: {app: client}}}]\n"
	"    ports: [{port: 80}]\n"
	"  - from: [{podSelector: {matchLabels: {role: admin}}}]\n"
	"    ports: [{port: 81}]\n";

static int setup(void **state)
{
	libbpf_set_print(quiet);
	if (geteuid() != 0 || unshare(CLONE_NEWNET) != 0) {
		print_message("not root: skipping libpolc datapath tests\n");
		*state = NULL;
		return 0;
	}
	struct world *w = calloc(1, sizeof(*w));
	snprintf(w->dir, sizeof(w->dir), "/tmp/polc-ut-ep-%d", (int)getpid());
	snprintf(w->pin, sizeof(w->pin), "/sys/fs/bpf/polc-ut-ep-%d", (int)getpid());
	snprintf(w->art, sizeof(w->art), "%s/p.polc", w->dir);
	char cmd[512];
	snprintf(cmd, sizeof(cmd),
		 "mkdir -p %s && ip link add ut-web type veth peer name ut-web-p && ip link add ut-admin type veth peer "
		 "name ut-admin-p && ip link set ut-web up && ip link set ut-admin up",
		 w->dir);
	assert_int_equal(system(cmd), 0);
	w->if_web = if_nametoindex("ut-web");
	w->if_admin = if_nametoindex("ut-admin");
	char inv[128], pol[128];
	snprintf(inv, sizeof(inv), "%s/inventory.yaml", w->dir);
	snprintf(pol, sizeof(pol), "%s/policy.yaml", w->dir);
	write_file(inv, inventory);
	write_file(pol, policy);
	const char *inputs[] = { inv, pol };
	FILE *devnull = fopen("/dev/null", "w");
	struct compile_options co = { .inputs = inputs, .n_inputs = 2, .output = w->art, .diag_out = devnull };
	assert_int_equal(polc_compile(&co), COMPILE_OK);
	fclose(devnull);

	POLC_OPTS(polc_datapath_opts, opts, .pin_dir = w->pin);
	struct polc_error err;
	assert_int_equal(polc_datapath_open(&opts, &w->dp, &err), 0);
	POLC_OPTS(polc_apply_result, res);
	if (polc_datapath_apply_file(w->dp, w->art, &res, &err))
		fail_msg("apply: %s", err.message);
	assert_int_equal(res.outcome, POLC_APPLY_LOADED);
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;
	if (!w)
		return 0;
	struct polc_error err;
	assert_int_equal(polc_datapath_unload(w->dp, &err), 0);
	polc_datapath_close(w->dp);
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", w->dir);
	assert_int_equal(system(cmd), 0);
	free(w);
	return 0;
}

#define NEED_WORLD(w)        \
	struct world *w = *state; \
	if (!w)              \
		skip()

struct pkt {
	struct ethhdr eth;
	struct iphdr ip;
	struct tcphdr tcp;
} __attribute__((packed));

/* A SYN from saddr to web:dport, as delivered to web (its tc egress: the pod's ingress). */
static int to_web(const struct world *w, const char *saddr, uint16_t dport, uint16_t sport)
{
	struct pkt pkt = { 0 };
	pkt.eth.h_proto = htons(ETH_P_IP);
	pkt.ip.version = 4;
	pkt.ip.ihl = 5;
	pkt.ip.ttl = 64;
	pkt.ip.protocol = IPPROTO_TCP;
	pkt.ip.tot_len = htons(sizeof(pkt.ip) + sizeof(pkt.tcp));
	inet_pton(AF_INET, saddr, &pkt.ip.saddr);
	inet_pton(AF_INET, WEB_IP, &pkt.ip.daddr);
	pkt.tcp.source = htons(sport);
	pkt.tcp.dest = htons(dport);
	pkt.tcp.doff = 5;
	pkt.tcp.syn = 1;
	struct __sk_buff ctx = { .ifindex = w->if_web };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = &pkt, .data_size_in = sizeof(pkt), .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = 1);
	char path[256];
	snprintf(path, sizeof(path), "%s/entry/polc_to_pod", w->pin);
	int fd = bpf_obj_get(path);
	assert_true(fd >= 0);
	int rc = bpf_prog_test_run_opts(fd, &opts);
	close(fd);
	if (rc)
		fail_msg("BPF_PROG_TEST_RUN: %s", strerror(errno));
	return (int)opts.retval;
}

static const char *admin_ips[] = { ADMIN_IP };
static const struct polc_label admin_labels[] = { { "role", "admin" } };

static int add_admin(struct world *w, enum polc_pod_op op, struct polc_endpoints_result *res, struct polc_error *err)
{
	POLC_OPTS(polc_pod, pod, .namespace = "x", .name = "admin", .labels = admin_labels, .n_labels = 1,
		  .ips = admin_ips, .n_ips = 1, .interface = "ut-admin");
	struct polc_pod_change c = { .op = op, .pod = &pod };
	return polc_endpoints_change(w->dp, &c, 1, res, err);
}

static void test_add_relabel_delete(void **state)
{
	NEED_WORLD(w);
	struct polc_error err;
	POLC_OPTS(polc_endpoints_result, res);
	assert_int_equal(to_web(w, CLIENT_IP, 80, 40000), TC_ACT_UNSPEC);
	assert_int_equal(to_web(w, ADMIN_IP, 81, 40001), TC_ACT_SHOT); /* unknown address: world */

	if (add_admin(w, POLC_POD_ADD, &res, &err))
		fail_msg("add: %s", err.message);
	assert_int_equal(res.pods_changed, 1);
	assert_int_equal(res.identities_added, 1);
	assert_int_equal(res.attached, 1);
	assert_int_equal(res.endpoints, 2);
	assert_true(res.revision != res.prev_revision);
	assert_int_equal(to_web(w, ADMIN_IP, 81, 40002), TC_ACT_UNSPEC);
	assert_int_equal(to_web(w, ADMIN_IP, 80, 40003), TC_ACT_SHOT);
	uint64_t added = res.revision;

	struct polc_label guest[] = { { "role", "guest" } };
	if (polc_endpoint_relabel(w->dp, "x", "admin", guest, 1, &res, &err))
		fail_msg("relabel: %s", err.message);
	assert_int_equal(res.identities_added, 1);
	assert_int_equal(res.identities_removed, 1);
	assert_int_equal(to_web(w, ADMIN_IP, 81, 40004), TC_ACT_SHOT);
	/* The connection admitted before is judged again under the new revision, and revoked. */
	assert_int_equal(to_web(w, ADMIN_IP, 81, 40002), TC_ACT_SHOT);

	if (add_admin(w, POLC_POD_UPDATE, &res, &err))
		fail_msg("update: %s", err.message);
	assert_int_equal(res.revision, added); /* the same inventory: the same revision */
	assert_int_equal(to_web(w, ADMIN_IP, 81, 40005), TC_ACT_UNSPEC);

	if (polc_endpoint_delete(w->dp, "x", "admin", &res, &err))
		fail_msg("delete: %s", err.message);
	assert_int_equal(res.detached, 1);
	assert_int_equal(res.endpoints, 1);
	assert_int_equal(to_web(w, ADMIN_IP, 81, 40006), TC_ACT_SHOT);

	/* The artifact's inventory again: loading the artifact is a no-op. */
	POLC_OPTS(polc_apply_result, ar);
	if (polc_datapath_apply_file(w->dp, w->art, &ar, &err))
		fail_msg("apply: %s", err.message);
	assert_int_equal(ar.outcome, POLC_APPLY_UNCHANGED);
}

static void test_refusals(void **state)
{
	NEED_WORLD(w);
	struct polc_error err;
	POLC_OPTS(polc_endpoints_result, res);
	POLC_OPTS(polc_status, before);
	assert_int_equal(polc_datapath_status(w->dp, &before, &err), 0);

	static const char *web_ips[] = { "198.18.0.9" };
	POLC_OPTS(polc_pod, dup, .namespace = "x", .name = "web", .ips = web_ips, .n_ips = 1);
	assert_int_equal(polc_endpoint_add(w->dp, &dup, &res, &err), -EEXIST);
	assert_non_null(strstr(err.message, "exists already"));

	POLC_OPTS(polc_pod, ghost, .namespace = "x", .name = "ghost", .ips = web_ips, .n_ips = 1, .interface = "nosuch7");
	assert_int_equal(polc_endpoint_add(w->dp, &ghost, &res, &err), -ENODEV);
	assert_non_null(strstr(err.message, "nosuch7"));

	static const struct polc_label web[] = { { "app", "web" } };
	POLC_OPTS(polc_pod, audited, .namespace = "x", .name = "audited", .labels = web, .n_labels = 1, .ips = web_ips,
		  .n_ips = 1, .interface = "ut-admin", .audit = 1);
	assert_int_equal(polc_endpoint_add(w->dp, &audited, &res, &err), -EOPNOTSUPP);
	assert_non_null(strstr(err.message, "needs polc compile"));

	static const char *bad_ips[] = { "198.18.0.300" };
	POLC_OPTS(polc_pod, bad, .namespace = "x", .name = "bad", .ips = bad_ips, .n_ips = 1);
	assert_int_equal(polc_endpoint_add(w->dp, &bad, &res, &err), -EINVAL);
	assert_non_null(strstr(err.message, "198.18.0.300"));

	assert_int_equal(polc_endpoint_delete(w->dp, "x", "nobody", &res, &err), -ENOENT);

	static const char yaml[] = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
				   "metadata: {name: sneaky, namespace: x}\nspec: {podSelector: {}}\n";
	struct polc_pod_change c = { .op = POLC_POD_ADD, .yaml = yaml, .yaml_len = sizeof(yaml) - 1, .yaml_name = "p.yaml" };
	assert_int_equal(polc_endpoints_change(w->dp, &c, 1, &res, &err), -EINVAL);

	/* Nothing changed. */
	POLC_OPTS(polc_status, after);
	assert_int_equal(polc_datapath_status(w->dp, &after, &err), 0);
	assert_int_equal(after.revision, before.revision);
	assert_int_equal(after.endpoints, before.endpoints);
	assert_int_equal(after.pending, 0);
	assert_int_equal(to_web(w, CLIENT_IP, 80, 41000), TC_ACT_UNSPEC);
}

struct seen {
	int forwarded, dropped, named, pods;
};

static int collect(const struct polc_flow *f, void *ctx)
{
	struct seen *s = ctx;
	if (strcmp(f->verdict, "FORWARDED") == 0)
		s->forwarded++;
	else
		s->dropped++;
	if (f->policy.name && strcmp(f->policy.name, "web-in") == 0 && f->policy.line == 7)
		s->named++;
	if (f->destination.pod_name && strcmp(f->destination.pod_name, "web") == 0 && f->source.pod_name &&
	    strcmp(f->source.pod_name, "client") == 0)
		s->pods++;
	char buf[2048];
	assert_true(polc_flow_json(f, buf, sizeof(buf)) > 0 && buf[0] == '{');
	assert_true(polc_flow_text(f, buf, sizeof(buf)) > 0);
	/* Too small a buffer: truncated, and says how much it needed. */
	char tiny[8];
	assert_true(polc_flow_json(f, tiny, sizeof(tiny)) > (int)sizeof(tiny));
	assert_int_equal(strlen(tiny), sizeof(tiny) - 1);
	return 0;
}

static void test_status_lists_events(void **state)
{
	NEED_WORLD(w);
	struct polc_error err;
	struct polc_monitor *m = NULL;
	assert_int_equal(polc_monitor_open(w->dp, &m, &err), 0);
	struct polc_monitor *m2 = NULL;
	assert_int_equal(polc_monitor_open(w->dp, &m2, &err), -EBUSY);
	struct seen s = { 0 };
	polc_monitor_poll(m, 0, collect, &s, &err); /* what earlier tests left */
	memset(&s, 0, sizeof(s));

	assert_int_equal(to_web(w, CLIENT_IP, 80, 42000), TC_ACT_UNSPEC);
	assert_int_equal(to_web(w, CLIENT_IP, 81, 42001), TC_ACT_SHOT);
	int n = polc_monitor_poll(m, 100, collect, &s, &err);
	assert_true(n >= 2);
	assert_true(s.forwarded >= 1 && s.dropped >= 1);
	assert_true(s.named >= 1);
	assert_true(s.pods >= 2);
	polc_monitor_close(m);

	POLC_OPTS(polc_status, st);
	assert_int_equal(polc_datapath_status(w->dp, &st, &err), 0);
	assert_int_equal(st.loaded, 1);
	assert_int_equal(st.endpoints, 1);
	assert_true(st.endpoints_max >= 1);
	assert_int_equal(st.rules, 2);
	assert_true(st.ct_entries >= 1);
	assert_int_equal(st.events, POLC_EVENTS_ALL);

	struct polc_endpoint_info *eps = NULL;
	size_t n_eps = 0;
	assert_int_equal(polc_endpoints_list(w->dp, &eps, &n_eps, &err), 0);
	assert_int_equal(n_eps, 1);
	assert_string_equal(eps[0].name, "web");
	assert_string_equal(eps[0].addrs[0], WEB_IP);
	assert_int_equal(eps[0].ifindex, w->if_web);
	assert_true(eps[0].flags & POLC_EP_ENFORCE_INGRESS);
	assert_non_null(strstr(eps[0].labels, "k8s:app=web"));
	polc_free(eps);

	struct polc_rule_info *rules = NULL;
	size_t n_rules = 0;
	assert_int_equal(polc_rules_list(w->dp, &rules, &n_rules, &err), 0);
	assert_int_equal(n_rules, 2);
	assert_string_equal(rules[0].name, "web-in");
	assert_string_equal(rules[0].path, "spec.ingress[0]");
	assert_int_equal(rules[0].line, 7);
	assert_true(rules[0].packets >= 1);
	polc_free(rules);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_relabel_delete),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_status_lists_events),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
