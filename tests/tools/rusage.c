/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * rusage: run a command and report what it cost, for tests that bound
 * time and memory (tests/lint/hostile.py, check_cases.py). The command
 * is forked from this small process, so its peak RSS (which Linux counts
 * from before exec) is its own and not a test harness's.
 *
 *   rusage OUT_FILE CMD [ARG...]
 *
 * Writes "SECONDS MAXRSS_KIB" to OUT_FILE and exits with the command's
 * status (128 + signal when it was killed; 127 when it could not run).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: rusage OUT_FILE CMD [ARG...]\n");
		return 2;
	}
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid_t pid = fork();
	if (pid < 0) {
		perror("rusage: fork");
		return 127;
	}
	if (pid == 0) {
		execvp(argv[2], argv + 2);
		fprintf(stderr, "rusage: %s: %s\n", argv[2], strerror(errno));
		_exit(127);
	}
	int status;
	struct rusage ru;
	while (wait4(pid, &status, 0, &ru) < 0) {
		if (errno != EINTR) {
			perror("rusage: wait4");
			return 127;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	FILE *f = fopen(argv[1], "w");
	if (!f || fprintf(f, "%.6f %ld\n", secs, ru.ru_maxrss) < 0 || fclose(f) != 0) {
		perror("rusage: writing the report");
		return 127;
	}
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
