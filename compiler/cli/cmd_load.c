/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* polc load / polc unload: libpolc from a shell. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "polc/libpolc.h"

#include "cli.h"

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	/* libpolc puts what matters (verifier tails) into its error message. */
	if (level == LIBBPF_DEBUG || level == LIBBPF_INFO)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static int parse_mode(const char *arg, enum polc_attach_mode *mode)
{
	if (strcmp(arg, "auto") == 0)
		*mode = POLC_ATTACH_AUTO;
	else if (strcmp(arg, "tcx") == 0)
		*mode = POLC_ATTACH_TCX;
	else if (strcmp(arg, "clsact") == 0)
		*mode = POLC_ATTACH_CLSACT;
	else
		return -1;
	return 0;
}

static void load_usage(FILE *out)
{
	fprintf(out, "usage: polc load [--pin-dir DIR] [--attach auto|tcx|clsact] [--events all|drops|none] ARTIFACT\n"
		     "\n"
		     "Attach the artifact's programs to every endpoint interface it lists, or,\n"
		     "when a datapath is already loaded in DIR, swap to it atomically (conntrack\n"
		     "kept). On any failure the previous datapath stays in force.\n"
		     "  --pin-dir DIR   bpffs directory of the datapath (default " POLC_DEFAULT_PIN_DIR ")\n"
		     "  --attach MODE   tcx links (default where the kernel has them) or clsact filters\n"
		     "  --events WHICH  verdict events of the new generation: every drop and new flow\n"
		     "                  (all, the default), drops only, or none (see polc monitor)\n");
}

int cmd_load(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"pin-dir", required_argument, NULL, 'p'},
		{"attach", required_argument, NULL, 'a'},
		{"events", required_argument, NULL, 'e'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	POLC_OPTS(polc_datapath_opts, opts);
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			opts.pin_dir = optarg;
			break;
		case 'e':
			if (strcmp(optarg, "all") == 0)
				opts.events = POLC_EVENTS_ALL;
			else if (strcmp(optarg, "drops") == 0)
				opts.events = POLC_EVENTS_DROPS;
			else if (strcmp(optarg, "none") == 0)
				opts.events = POLC_EVENTS_NONE;
			else {
				fprintf(stderr, "polc load: --events takes all, drops or none\n");
				return EXIT_USAGE;
			}
			break;
		case 'a':
			if (parse_mode(optarg, &opts.attach_mode) != 0) {
				fprintf(stderr, "polc load: --attach takes auto, tcx or clsact\n");
				return EXIT_USAGE;
			}
			break;
		case 'h':
			load_usage(stdout);
			return 0;
		default:
			load_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc) {
		load_usage(stderr);
		return EXIT_USAGE;
	}
	libbpf_set_print(libbpf_print);

	char msg[1024];
	struct polc_artifact *art = NULL;
	int rc = polc_artifact_read(argv[optind], &art, msg, sizeof(msg));
	if (rc) {
		fprintf(stderr, "polc load: %s\n", msg);
		return rc == -EINVAL ? EXIT_INVALID_INPUT : EXIT_USAGE;
	}
	struct polc_error err = {0};
	if (polc_artifact_check(art, &err) != 0) {
		fprintf(stderr, "polc load: %s: %s\n", argv[optind], err.message);
		polc_artifact_free(art);
		return EXIT_INVALID_INPUT;
	}
	struct polc_datapath *dp = NULL;
	POLC_OPTS(polc_apply_result, res);
	rc = polc_datapath_open(&opts, &dp, &err);
	if (!rc)
		rc = polc_datapath_apply(dp, art, &res, &err);
	if (rc) {
		fprintf(stderr, "polc load: %s\n", err.message);
	} else {
		printf("%s revision %016llx: %u endpoints, mode %s", polc_apply_outcome_str(res.outcome),
		       (unsigned long long)res.revision, res.endpoints, polc_attach_mode_str(res.attach_mode));
		if (res.has_prev_revision)
			printf(", previous revision %016llx", (unsigned long long)res.prev_revision);
		printf("\n");
	}
	polc_datapath_close(dp);
	polc_artifact_free(art);
	return rc ? EXIT_KERNEL : 0;
}

int cmd_unload(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"pin-dir", required_argument, NULL, 'p'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	POLC_OPTS(polc_datapath_opts, opts);
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			opts.pin_dir = optarg;
			break;
		case 'h':
			printf("usage: polc unload [--pin-dir DIR]\n");
			return 0;
		default:
			fprintf(stderr, "usage: polc unload [--pin-dir DIR]\n");
			return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "usage: polc unload [--pin-dir DIR]\n");
		return EXIT_USAGE;
	}
	libbpf_set_print(libbpf_print);
	struct polc_error err = {0};
	struct polc_datapath *dp = NULL;
	int rc = polc_datapath_open(&opts, &dp, &err);
	if (!rc)
		rc = polc_datapath_unload(dp, &err);
	if (rc)
		fprintf(stderr, "polc unload: %s\n", err.message);
	polc_datapath_close(dp);
	return rc ? EXIT_KERNEL : 0;
}
