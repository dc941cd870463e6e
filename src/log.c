/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "log.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

void mi_log_init(struct mi_log *log, FILE *out, const struct mi_config *cfg)
{
	log->out = out;
	log->level = cfg ? cfg->log_level : MI_LOG_INFO;
	log->json = cfg ? cfg->log_json : false;
}

static void timestamp(char *buf, size_t len)
{
	struct timeval tv;
	struct tm tm;
	char base[32];

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%06ldZ", base, (long)tv.tv_usec);
}

static void json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(out, "\\%c", ch);
		else if (ch == '\n')
			fputs("\\n", out);
		else if (ch == '\t')
			fputs("\\t", out);
		else if (ch < 0x20)
			fprintf(out, "\\u%04x", ch);
		else
			fputc(ch, out);
	}
	fputc('"', out);
}

void mi_log(const struct mi_log *log, enum mi_log_level level,
	    const char *fmt, ...)
{
	static const char *const names[] = { "debug", "info", "warn", "error" };
	char ts[48], stackbuf[1024], *msg = stackbuf;
	va_list ap;
	int n;

	if (!log || !log->out || level < log->level || log->level == MI_LOG_NONE)
		return;
	va_start(ap, fmt);
	n = vsnprintf(stackbuf, sizeof(stackbuf), fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(stackbuf)) {
		msg = mi_xmalloc((size_t)n + 1);
		va_start(ap, fmt);
		vsnprintf(msg, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	timestamp(ts, sizeof(ts));
	if (log->json) {
		fprintf(log->out, "{\"level\":\"%s\",\"time\":\"%s\",\"msg\":",
			names[level], ts);
		json_string(log->out, msg);
		fputs("}\n", log->out);
	} else {
		fprintf(log->out, "%s\t%s\t%s\n", ts, names[level], msg);
	}
	fflush(log->out);
	if (msg != stackbuf)
		free(msg);
}
