/*
 * gw.c - the state shared by gatewayd's files, and its event base.
 */
#include "daemon.h"
#include "gateway.h"

struct gw	 gw;

struct event_base *
gw_base(void)
{
	return (topsh_base);
}
