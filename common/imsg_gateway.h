/*
 * imsg_gateway.h - messages served by the gateway component (500-599).
 *
 */
#ifndef TOPSH_IMSG_GATEWAY_H
#define TOPSH_IMSG_GATEWAY_H

enum imsg_type_gateway {
	IMSG_GATEWAY_BASE = 500,
};

#endif
