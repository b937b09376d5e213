/*
 * topsh.h - message types spoken between the topsh processes.
 *
 * Numbers are grouped by the process that serves them so that each
 * component owns its own header: common (1-99), control (100-199),
 * policyd (200-299), sandboxd (300-399), proxyd (400-499),
 * gatewayd (500-599); a component puts its topshctl requests in its own
 * range too.  Payloads are fixed structs checked for exact size
 * or one JSON object (imsg_get_json); the header's peerid carries the
 * request id that a reply repeats.
 */
#ifndef TOPSH_H
#define TOPSH_H

#define TOPSH_VERSION_STR	"0.1.0"

enum imsg_type_common {
	IMSG_NONE = 0,
	IMSG_HELLO = 1,		/* struct topsh_hello */
	IMSG_ERROR = 2,		/* {"error": "..."} reply to any request */
};

enum imsg_type_control {
	IMSG_CTL_STATUS = 100,	/* -> status object */
	IMSG_CTL_LOG_VERBOSE,	/* struct int: verbosity */
	IMSG_CTL_RELOAD,
	IMSG_CTL_OK,		/* {"message": ...} optional */
	IMSG_CTL_FAIL,		/* {"error": ...} */
	IMSG_CTL_DATA,		/* one JSON object of a listing */
	IMSG_CTL_END,		/* end of a reply */
};

struct topsh_hello {
	uint32_t	proc;		/* enum proc_id of the sender */
	uint32_t	version;	/* TOPSH_PROTO_VERSION */
};
#define TOPSH_PROTO_VERSION	1

#include "imsg_policy.h"
#include "imsg_sandbox.h"
#include "imsg_proxy.h"
#include "imsg_gateway.h"

#endif
