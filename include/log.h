/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef MI_LOG_H
#define MI_LOG_H

#include <stdio.h>

#include "config.h"
#include "util.h"

/*
 * Logger with Istio's formats: "<UTC time>\t<level>\t<message>" lines, or
 * JSON objects {"level","time","msg"} with --log_as_json.
 */
struct mi_log {
	FILE *out;
	enum mi_log_level level;
	bool json;
};

void mi_log_init(struct mi_log *log, FILE *out, const struct mi_config *cfg);

void mi_log(const struct mi_log *log, enum mi_log_level level,
	    const char *fmt, ...) MI_PRINTF(3, 4);

#define mi_info(l, ...) mi_log((l), MI_LOG_INFO, __VA_ARGS__)
#define mi_warn(l, ...) mi_log((l), MI_LOG_WARN, __VA_ARGS__)
#define mi_error(l, ...) mi_log((l), MI_LOG_ERROR, __VA_ARGS__)

#endif
