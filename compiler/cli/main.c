/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* polc command line: a thin dispatcher over the compiler and libpolc. */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--version") == 0) {
		printf("polc %s\n", POLC_VERSION);
		return 0;
	}
	fprintf(stderr, "usage: polc COMMAND ...\n");
	return 2;
}
