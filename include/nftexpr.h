/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef MI_NFTEXPR_H
#define MI_NFTEXPR_H

#include <stdbool.h>
#include <stdint.h>

/*
 * nf_tables expressions, one helper each, appended to a libnftnl rule in
 * the order called (the rule takes ownership of each). Registers are the
 * kernel's NFT_REG_* numbers; comparisons and set lookups read NFT_REG_1.
 * Shared by the emitter (meshinit's rules) and trace (its filter rules).
 */

struct nftnl_rule;

/* nft's datatype ids (nftables include/datatype.h): set key types that
 * `nft list` and our own status output understand. */
enum mi_nft_datatype {
	MI_DT_IPADDR = 7,
	MI_DT_IP6ADDR = 8,
	MI_DT_INET_SERVICE = 13,
	MI_DT_UID = 24,
	MI_DT_GID = 25,
	MI_DT_IFNAME = 41,
	MI_DT_BITS = 6,		/* a concatenation is (first << BITS) | second */
	MI_DT_UID_SERVICE = (MI_DT_UID << MI_DT_BITS) | MI_DT_INET_SERVICE,
};

/* meta KEY -> dreg, and sreg -> meta KEY */
void mi_expr_meta(struct nftnl_rule *r, uint32_t key, uint32_t dreg);
void mi_expr_meta_set(struct nftnl_rule *r, uint32_t key, uint32_t sreg);
/* ct KEY -> dreg, and sreg -> ct KEY */
void mi_expr_ct(struct nftnl_rule *r, uint32_t key, uint32_t dreg);
void mi_expr_ct_set(struct nftnl_rule *r, uint32_t key, uint32_t sreg);
/* @len bytes at @base + @off -> dreg */
void mi_expr_payload(struct nftnl_rule *r, uint32_t base, uint32_t off,
		     uint32_t len, uint32_t dreg);
/* reg1 OP @data (@len bytes) */
void mi_expr_cmp(struct nftnl_rule *r, uint32_t op, const void *data,
		 uint32_t len);
/* reg1 = reg1 & @mask (xor 0) */
void mi_expr_bitwise(struct nftnl_rule *r, const void *mask, uint32_t len);
/* reg1 = htonl(reg1), @len bytes */
void mi_expr_byteorder_hton(struct nftnl_rule *r, uint32_t len);
/* reg1 in set @set (named, or created in the same batch as @set_id) */
void mi_expr_lookup(struct nftnl_rule *r, const char *set, uint32_t set_id,
		    bool neg);
/* reg1 = @data */
void mi_expr_immediate(struct nftnl_rule *r, const void *data, uint32_t len);
/* verdict (NFT_RETURN, NF_ACCEPT, NFT_JUMP to @chain, ...) */
void mi_expr_verdict(struct nftnl_rule *r, int verdict, const char *chain);
void mi_expr_counter(struct nftnl_rule *r);
/* redirect to the port in reg1 */
void mi_expr_redir(struct nftnl_rule *r);
/* tproxy (@family) to the port in reg1 */
void mi_expr_tproxy(struct nftnl_rule *r, uint32_t family);

#endif
