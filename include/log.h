/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef MI_LOG_H
#define MI_LOG_H

#include <stdio.h>

#include "config.h"
#include "util.h"

/* A line goes to every output (--log_target may be given several times). */
#define MI_LOG_MAX_OUT 4

/*
 * Logger with Istio's formats: "<UTC time>\t<level>\t<message>" lines, or
 * JSON objects {"level","time","msg"} with --log_as_json.
 */
struct mi_log {
	FILE *out[MI_LOG_MAX_OUT];
	size_t nout;
	enum mi_log_level level;
	bool json;
};

/* One output, @out (NULL: none). */
void mi_log_init(struct mi_log *log, FILE *out, const struct mi_config *cfg);

/* Replace the outputs by @outs[0..@n) (at most MI_LOG_MAX_OUT). */
void mi_log_set_outputs(struct mi_log *log, FILE *const *outs, size_t n);

/* @log without output @f: to log what was already printed on @f. */
void mi_log_without(const struct mi_log *log, FILE *f, struct mi_log *out);

/* True when @f is one of @log's outputs. */
bool mi_log_has_output(const struct mi_log *log, FILE *f);

void mi_log(const struct mi_log *log, enum mi_log_level level,
	    const char *fmt, ...) MI_PRINTF(3, 4);

#define mi_info(l, ...) mi_log((l), MI_LOG_INFO, __VA_ARGS__)
#define mi_warn(l, ...) mi_log((l), MI_LOG_WARN, __VA_ARGS__)
#define mi_error(l, ...) mi_log((l), MI_LOG_ERROR, __VA_ARGS__)

#endif
