/*
 * conf_sections.h - the per-daemon sections of topsh.conf(5).
 * Each struct is filled from the keyword table in conf_<name>.c.
 */
#ifndef TOPSH_CONF_SECTIONS_H
#define TOPSH_CONF_SECTIONS_H

#include "conf_gateway.h"
#include "conf_proxy.h"
#include "conf_policy.h"
#include "conf_sandbox.h"

extern const struct cfsection conf_gateway_section;
extern const struct cfsection conf_proxy_section;
extern const struct cfsection conf_policy_section;
extern const struct cfsection conf_sandbox_section;

#endif
