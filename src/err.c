/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static MI_ERR_PRINTF(5, 0) int err_vset(struct mi_err *err, int exit_code,
					 enum mi_err_src src, int code,
					 const char *fmt, va_list ap)
{
	if (!err || err->code)
		return code;
	err->code = code ? code : -1;
	err->exit = exit_code;
	err->src = src;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	return code;
}

int mi_err_set(struct mi_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vset(err, MI_EXIT_FAILURE, MI_ERR_SRC_NONE, code, fmt, ap);
	va_end(ap);
	return code;
}

int mi_err_setx(struct mi_err *err, int exit_code, int code,
		const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vset(err, exit_code, MI_ERR_SRC_NONE, code, fmt, ap);
	va_end(ap);
	return code;
}

int mi_err_set_src(struct mi_err *err, int exit_code, enum mi_err_src src,
		   int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vset(err, exit_code, src, code, fmt, ap);
	va_end(ap);
	return code;
}

void mi_err_prefix(struct mi_err *err, const char *fmt, ...)
{
	char old[sizeof(err->msg)];
	size_t n;
	va_list ap;

	memcpy(old, err->msg, sizeof(old));
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	n = strlen(err->msg);
	if (n + 2 < sizeof(err->msg)) {
		memcpy(err->msg + n, ": ", 3);
		strncat(err->msg, old, sizeof(err->msg) - n - 3);
	}
}
