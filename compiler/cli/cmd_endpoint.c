/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * polc endpoint add|update|upsert|relabel|del|list: libpolc's endpoint
 * operations from a shell. Pods come as Kubernetes Pod objects (files,
 * or - for stdin) or from flags; every change of one command applies
 * together or not at all.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "polc/libpolc.h"

#include "cli.h"

#define MAX_ITEMS 64

static void usage(FILE *out)
{
	fprintf(out,
		"usage: polc endpoint add|update|upsert [--pin-dir DIR] FILE...\n"
		"       polc endpoint add|update|upsert [--pin-dir DIR] NAMESPACE/NAME [--ip IP]... [--label K=V]...\n"
		"                 [--interface IF] [--service-account SA] [--port NAME:PORT[/PROTO]]... [--audit]\n"
		"       polc endpoint relabel [--pin-dir DIR] NAMESPACE/NAME [K=V]...\n"
		"       polc endpoint del [--pin-dir DIR] NAMESPACE/NAME...\n"
		"       polc endpoint prepare [--pin-dir DIR] INTERFACE...\n"
		"       polc endpoint list [--pin-dir DIR] [--json]\n"
		"\n"
		"Change pods on the live datapath without recompiling: the live policy is\n"
		"resolved again for the new inventory and only the map entries that differ\n"
		"are written. FILE holds v1 Pod objects (kubectl get pod -o yaml; - reads\n"
		"stdin); a local pod names its host-side interface in the annotation\n"
		"polc.io/interface (or --interface). A change the compiled program cannot\n"
		"enforce is refused and says \"needs polc compile\". prepare attaches polc to a\n"
		"pod's interface before the pod is known (its packets drop until it is added).\n"
		"  --pin-dir DIR   bpffs directory of the datapath (default " POLC_DEFAULT_PIN_DIR ")\n");
}

static char *read_all(const char *path, size_t *len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	while (buf) {
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (n < cap)
			break;
		char *p = realloc(buf, cap * 2);
		if (!p) {
			free(buf);
			buf = NULL;
			break;
		}
		buf = p;
		cap *= 2;
	}
	bool failed = ferror(f);
	if (f != stdin)
		fclose(f);
	if (failed) {
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

/* "ns/name" into its parts (in place); a name alone is in "default". */
static int split_name(char *arg, const char **ns, const char **name)
{
	char *slash = strchr(arg, '/');
	if (!slash) {
		*ns = "default";
		*name = arg;
	} else {
		*slash = '\0';
		*ns = arg;
		*name = slash + 1;
	}
	return **name ? 0 : -1;
}

static int parse_label(char *arg, struct polc_label *l)
{
	char *eq = strchr(arg, '=');
	if (!eq)
		return -1;
	*eq = '\0';
	l->key = arg;
	l->value = eq + 1;
	return 0;
}

/* NAME:PORT[/PROTO] */
static int parse_port(char *arg, struct polc_named_port *p)
{
	char *colon = strchr(arg, ':');
	if (!colon)
		return -1;
	*colon = '\0';
	char *slash = strchr(colon + 1, '/');
	p->protocol = IPPROTO_TCP;
	if (slash) {
		*slash = '\0';
		if (strcasecmp(slash + 1, "udp") == 0)
			p->protocol = IPPROTO_UDP;
		else if (strcasecmp(slash + 1, "sctp") == 0)
			p->protocol = IPPROTO_SCTP;
		else if (strcasecmp(slash + 1, "tcp") != 0)
			return -1;
	}
	char *end;
	long v = strtol(colon + 1, &end, 10);
	if (*end || v < 1 || v > 65535)
		return -1;
	p->name = arg;
	p->port = (uint16_t)v;
	return 0;
}

static int status_of(int rc)
{
	switch (rc) {
	case -EINVAL:
	case -EEXIST:
	case -ENOENT:
		return EXIT_INVALID_INPUT;
	default:
		return EXIT_KERNEL;
	}
}

static void print_result(const char *verb, const struct polc_endpoints_result *r)
{
	printf("%s: revision %016llx (was %016llx), %u pod%s changed, %u endpoints; identities +%u -%u; entries +%u ~%u "
	       "-%u; interfaces +%u -%u; %.2f ms (resolve %.2f ms)\n",
	       verb, (unsigned long long)r->revision, (unsigned long long)r->prev_revision, r->pods_changed,
	       r->pods_changed == 1 ? "" : "s", r->endpoints, r->identities_added, r->identities_removed,
	       r->entries_added, r->entries_changed, r->entries_removed, r->attached, r->detached,
	       (double)r->total_ns / 1e6, (double)r->resolve_ns / 1e6);
}

static int cmd_list(struct polc_datapath *dp, bool json);

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	/* libpolc's messages say what matters; libbpf's notes about existing tc qdiscs would only alarm. */
	return 0;
}

int cmd_endpoint(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"pin-dir", required_argument, NULL, 'p'},
		{"ip", required_argument, NULL, 'i'},
		{"label", required_argument, NULL, 'l'},
		{"labels", required_argument, NULL, 'L'},
		{"interface", required_argument, NULL, 'I'},
		{"service-account", required_argument, NULL, 's'},
		{"port", required_argument, NULL, 'P'},
		{"audit", no_argument, NULL, 'a'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	const char *verb = argv[1];
	enum polc_pod_op op;
	if (strcmp(verb, "add") == 0)
		op = POLC_POD_ADD;
	else if (strcmp(verb, "update") == 0)
		op = POLC_POD_UPDATE;
	else if (strcmp(verb, "upsert") == 0)
		op = POLC_POD_UPSERT;
	else if (strcmp(verb, "relabel") == 0)
		op = POLC_POD_RELABEL;
	else if (strcmp(verb, "del") == 0 || strcmp(verb, "delete") == 0)
		op = POLC_POD_DELETE;
	else if (strcmp(verb, "list") == 0 || strcmp(verb, "ls") == 0)
		op = 0;
	else if (strcmp(verb, "prepare") == 0)
		op = -1;
	else {
		fprintf(stderr, "polc endpoint: unknown operation '%s'\n\n", verb);
		usage(stderr);
		return EXIT_USAGE;
	}

	POLC_OPTS(polc_datapath_opts, opts);
	POLC_OPTS(polc_pod, pod);
	const char *ips[MAX_ITEMS];
	struct polc_label labels[MAX_ITEMS];
	struct polc_named_port ports[MAX_ITEMS];
	bool flags = false, json = false;
	int c;
	optind = 2;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			opts.pin_dir = optarg;
			break;
		case 'i':
			if (pod.n_ips == MAX_ITEMS)
				goto too_many;
			ips[pod.n_ips++] = optarg;
			flags = true;
			break;
		case 'l':
			if (pod.n_labels == MAX_ITEMS || parse_label(optarg, &labels[pod.n_labels]))
				goto bad_label;
			pod.n_labels++;
			flags = true;
			break;
		case 'L':
			for (char *tok = strtok(optarg, ","); tok; tok = strtok(NULL, ",")) {
				if (pod.n_labels == MAX_ITEMS || parse_label(tok, &labels[pod.n_labels]))
					goto bad_label;
				pod.n_labels++;
			}
			flags = true;
			break;
		case 'I':
			pod.interface = optarg;
			flags = true;
			break;
		case 's':
			pod.service_account = optarg;
			flags = true;
			break;
		case 'P':
			if (pod.n_ports == MAX_ITEMS || parse_port(optarg, &ports[pod.n_ports])) {
				fprintf(stderr, "polc endpoint: --port takes NAME:PORT[/tcp|udp|sctp]\n");
				return EXIT_USAGE;
			}
			pod.n_ports++;
			flags = true;
			break;
		case 'a':
			pod.audit = 1;
			flags = true;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	pod.ips = ips;
	pod.labels = labels;
	pod.ports = ports;

	libbpf_set_print(libbpf_quiet);
	struct polc_error err = {0};
	struct polc_datapath *dp = NULL;
	int rc = polc_datapath_open(&opts, &dp, &err);
	if (rc) {
		fprintf(stderr, "polc endpoint: %s\n", err.message);
		return EXIT_KERNEL;
	}
	if (op == 0) {
		rc = cmd_list(dp, json);
		polc_datapath_close(dp);
		return rc;
	}
	if ((int)op == -1) {
		int status = optind < argc ? 0 : EXIT_USAGE;
		for (int i = optind; i < argc && status == 0; i++) {
			if (polc_interface_prepare(dp, argv[i], &err)) {
				fprintf(stderr, "polc endpoint prepare: %s\n", err.message);
				status = EXIT_KERNEL;
			}
		}
		if (optind >= argc)
			usage(stderr);
		polc_datapath_close(dp);
		return status;
	}

	struct polc_pod_change changes[MAX_ITEMS];
	char *texts[MAX_ITEMS];
	size_t n = 0, n_texts = 0;
	int status = 0;
	memset(changes, 0, sizeof(changes));
	if (op == POLC_POD_RELABEL) {
		if (optind >= argc || split_name(argv[optind], &changes[0].namespace, &changes[0].name)) {
			usage(stderr);
			status = EXIT_USAGE;
			goto out;
		}
		for (int i = optind + 1; i < argc; i++) {
			if (pod.n_labels == MAX_ITEMS || parse_label(argv[i], &labels[pod.n_labels])) {
				fprintf(stderr, "polc endpoint: labels are KEY=VALUE (got '%s')\n", argv[i]);
				status = EXIT_USAGE;
				goto out;
			}
			pod.n_labels++;
		}
		changes[0].op = op;
		changes[0].labels = labels;
		changes[0].n_labels = pod.n_labels;
		n = 1;
	} else if (op == POLC_POD_DELETE) {
		for (int i = optind; i < argc && n < MAX_ITEMS; i++) {
			changes[n].op = op;
			if (split_name(argv[i], &changes[n].namespace, &changes[n].name)) {
				usage(stderr);
				status = EXIT_USAGE;
				goto out;
			}
			n++;
		}
	} else if (flags || (optind + 1 == argc && strchr(argv[optind], '/') && access(argv[optind], F_OK) != 0)) {
		/* A pod from flags. */
		if (optind + 1 != argc || split_name(argv[optind], &pod.namespace, &pod.name)) {
			usage(stderr);
			status = EXIT_USAGE;
			goto out;
		}
		changes[0].op = op;
		changes[0].pod = &pod;
		n = 1;
	} else {
		for (int i = optind; i < argc && n < MAX_ITEMS; i++) {
			size_t len = 0;
			char *text = read_all(argv[i], &len);
			if (!text) {
				fprintf(stderr, "polc endpoint: cannot read %s: %s\n", argv[i], strerror(errno ? errno : EIO));
				status = EXIT_USAGE;
				goto out;
			}
			texts[n_texts++] = text;
			changes[n] = (struct polc_pod_change){
				.op = op, .yaml = text, .yaml_len = len,
				.yaml_name = strcmp(argv[i], "-") == 0 ? "<stdin>" : argv[i],
			};
			n++;
		}
	}
	if (n == 0) {
		usage(stderr);
		status = EXIT_USAGE;
		goto out;
	}
	POLC_OPTS(polc_endpoints_result, res);
	rc = polc_endpoints_change(dp, changes, n, &res, &err);
	if (rc) {
		fprintf(stderr, "polc endpoint %s: %s\n", verb, err.message);
		status = status_of(rc);
	} else {
		print_result(verb, &res);
	}
out:
	for (size_t i = 0; i < n_texts; i++)
		free(texts[i]);
	polc_datapath_close(dp);
	return status;
too_many:
	fprintf(stderr, "polc endpoint: at most %d of each\n", MAX_ITEMS);
	return EXIT_USAGE;
bad_label:
	fprintf(stderr, "polc endpoint: labels are KEY=VALUE\n");
	return EXIT_USAGE;
}

static int cmd_list(struct polc_datapath *dp, bool json)
{
	int rc = cli_endpoints_print(dp, json);
	if (json && rc == 0)
		printf("\n");
	return rc;
}
