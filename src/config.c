/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <string.h>

void mi_config_init(struct mi_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->proxy_port = 15001;
	cfg->inbound_port = 15006;
	cfg->tunnel_port = 15008;
	cfg->probe_port = 15002;
	cfg->tproxy_mark = 1337;
	cfg->route_table = 133;
	cfg->owner_include_all = true;
	mi_cidr_parse("127.0.0.1/32", &cfg->loopback4, NULL);
	cfg->probe_timeout_ms = 5000;
	cfg->log_level = MI_LOG_INFO;
	strcpy(cfg->resolv_conf, "/etc/resolv.conf");
}

void mi_config_release(struct mi_config *cfg)
{
	mi_ranges_release(&cfg->proxy_uids);
	mi_ranges_release(&cfg->proxy_gids);
	mi_ranges_release(&cfg->inbound_ports);
	mi_ranges_release(&cfg->inbound_exclude_ports);
	mi_ifnames_release(&cfg->exclude_ifaces);
	mi_ifnames_release(&cfg->virt_ifaces);
	mi_cidrs_release(&cfg->outbound_include);
	mi_cidrs_release(&cfg->outbound_exclude);
	mi_ranges_release(&cfg->outbound_include_ports);
	mi_ranges_release(&cfg->outbound_exclude_ports);
	mi_ranges_release(&cfg->owner_include);
	mi_ranges_release(&cfg->owner_exclude);
	mi_ranges_release(&cfg->exclude_uids);
	mi_ranges_release(&cfg->exclude_gids);
	mi_uidports_release(&cfg->exclude_uid_ports);
	mi_cidrs_release(&cfg->dns_servers);
}
