/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef MI_ERR_H
#define MI_ERR_H

#include "util.h"

/*
 * Exit codes. 0, 1, 126 and 255 are Istio's contract (Kubernetes tooling
 * and the istio-cni repair controller key on them); the others are ours.
 */
enum mi_exit_code {
	MI_EXIT_OK = 0,
	MI_EXIT_FAILURE = 1,	/* bad value, environment, kernel error */
	MI_EXIT_NOT_INSTALLED = 3, /* status: nothing of ours installed */
	MI_EXIT_DRIFT = 4,	/* verify: kernel differs from the plan */
	MI_EXIT_NOMEM = 5,
	MI_EXIT_VALIDATION = 126, /* --run-validation failed */
	MI_EXIT_USAGE = 255,	/* unknown flag, malformed flag value */
};

/*
 * User-facing error detail, owned by the caller and filled by the layer
 * that detects the problem. Lower layers never print and never exit:
 * main() prints "error: <msg>". @exit is the exit code the error maps to.
 */
struct mi_err {
	int code;		/* negative errno, 0 when unset */
	int exit;		/* enum mi_exit_code */
	char msg[512];
};

/* Record an error (first one wins) and return @code for chaining. */
int mi_err_set(struct mi_err *err, int code, const char *fmt, ...)
	MI_PRINTF(3, 4);

/* As mi_err_set, with an explicit exit code. */
int mi_err_setx(struct mi_err *err, int exit_code, int code,
		const char *fmt, ...) MI_PRINTF(4, 5);

/* Prefix the recorded message with "<what>: ". */
void mi_err_prefix(struct mi_err *err, const char *fmt, ...) MI_PRINTF(2, 3);

#endif
