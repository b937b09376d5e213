/*
 * imsg_proxy.h - messages served by the proxy component (400-499).
 *
 */
#ifndef TOPSH_IMSG_PROXY_H
#define TOPSH_IMSG_PROXY_H

enum imsg_type_proxy {
	IMSG_PROXY_BASE = 400,
};

#endif
