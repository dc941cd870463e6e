/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef MI_ERR_H
#define MI_ERR_H

/* no include of util.h: util.c includes this header (exit codes) */
#define MI_ERR_PRINTF(f, a) __attribute__((format(printf, f, a)))

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

/* Where the value an error is about came from. */
enum mi_err_src {
	MI_ERR_SRC_NONE,	/* not a user's value: environment, kernel */
	MI_ERR_SRC_FLAG,	/* the command line */
	MI_ERR_SRC_ENV,		/* an environment variable */
};

/*
 * User-facing error detail, owned by the caller and filled by the layer
 * that detects the problem. Lower layers never print and never exit:
 * main() prints "error: <msg>" once. @exit is the exit code the error
 * maps to and @src where the offending value came from; both are set by
 * the layer that records the error, never guessed from @msg.
 */
struct mi_err {
	int code;		/* negative errno, 0 when unset */
	int exit;		/* enum mi_exit_code */
	enum mi_err_src src;
	char msg[512];
};

/* Record an error (first one wins) and return @code for chaining. */
int mi_err_set(struct mi_err *err, int code, const char *fmt, ...)
	MI_ERR_PRINTF(3, 4);

/* As mi_err_set, with an explicit exit code. */
int mi_err_setx(struct mi_err *err, int exit_code, int code,
		const char *fmt, ...) MI_ERR_PRINTF(4, 5);

/* As mi_err_setx, also naming where the value came from. */
int mi_err_set_src(struct mi_err *err, int exit_code, enum mi_err_src src,
		   int code, const char *fmt, ...) MI_ERR_PRINTF(5, 6);

/* Prefix the recorded message with "<what>: ". */
void mi_err_prefix(struct mi_err *err, const char *fmt, ...)
	MI_ERR_PRINTF(2, 3);

#endif
