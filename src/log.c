/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "log.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

void mi_log_init(struct mi_log *log, FILE *out, const struct mi_config *cfg)
{
	memset(log, 0, sizeof(*log));
	log->out[0] = out;
	log->nout = out ? 1 : 0;
	log->level = cfg ? cfg->log_level : MI_LOG_INFO;
	log->json = cfg ? cfg->log_json : false;
}

void mi_log_set_outputs(struct mi_log *log, FILE *const *outs, size_t n)
{
	log->nout = 0;
	for (size_t i = 0; i < n && log->nout < MI_LOG_MAX_OUT; i++)
		if (outs[i])
			log->out[log->nout++] = outs[i];
}

void mi_log_without(const struct mi_log *log, FILE *f, struct mi_log *out)
{
	*out = *log;
	out->nout = 0;
	for (size_t i = 0; i < log->nout; i++)
		if (log->out[i] != f)
			out->out[out->nout++] = log->out[i];
}

bool mi_log_has_output(const struct mi_log *log, FILE *f)
{
	for (size_t i = 0; i < log->nout; i++)
		if (log->out[i] == f)
			return true;
	return false;
}

/*
 * Civil date of a day count since 1970-01-01 (proleptic Gregorian; the
 * well-known days-to-civil algorithm, eras of 400 years).
 */
static void civil_from_days(long z, int *y, unsigned int *m, unsigned int *d)
{
	long era, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	yoe = z - era * 146097;
	yoe = (yoe - yoe / 1460 + yoe / 36524 - yoe / 146096) / 365;
	doy = z - era * 146097 - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (unsigned int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

static void timestamp(char *buf, size_t len)
{
	struct timeval tv;
	unsigned int mon, day;
	long secs;
	int year;

	/*
	 * By hand: gmtime_r() and strftime() initialise the time zone,
	 * which opens /etc/localtime; meshinit opens no file it needs not.
	 */
	gettimeofday(&tv, NULL);
	civil_from_days((long)(tv.tv_sec / 86400), &year, &mon, &day);
	secs = (long)(tv.tv_sec % 86400);
	snprintf(buf, len, "%04d-%02u-%02uT%02ld:%02ld:%02ld.%06ldZ", year, mon,
		 day, secs / 3600, secs / 60 % 60, secs % 60, (long)tv.tv_usec);
}

void mi_log(const struct mi_log *log, enum mi_log_level level,
	    const char *fmt, ...)
{
	static const char *const names[] = { "debug", "info", "warn", "error" };
	char ts[48], stackbuf[1024], *msg = stackbuf;
	va_list ap;
	int n;

	if (!log || !log->nout || level < log->level ||
	    log->level == MI_LOG_NONE)
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
	for (size_t i = 0; i < log->nout; i++) {
		FILE *out = log->out[i];

		if (log->json) {
			fprintf(out,
				"{\"level\":\"%s\",\"time\":\"%s\",\"msg\":",
				names[level], ts);
			mi_json_string(out, msg);
			fputs("}\n", out);
		} else {
			fprintf(out, "%s\t%s\t%s\n", ts, names[level], msg);
		}
		fflush(out);
	}
	if (msg != stackbuf)
		free(msg);
}
