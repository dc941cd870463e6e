/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the resolv.conf parser (mi_resolv_parse).
 * Invariants: every server is a full-length IPv4 or IPv6 address and no
 * server is listed twice.
 */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "detect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mi_cidrs out = { 0 };
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	mi_resolv_parse(text, &out);
	for (size_t i = 0; i < out.n; i++) {
		const struct mi_cidr *c = &out.v[i];

		if (!((c->family == AF_INET && c->plen == 32) ||
		      (c->family == AF_INET6 && c->plen == 128)))
			abort();
		for (size_t j = 0; j < i; j++)
			if (!memcmp(&out.v[j], c, sizeof(*c)))
				abort();
	}
	mi_cidrs_release(&out);
	free(text);
	return 0;
}
