/*
 * usermsg.c - what a chat user is told when a service failed.
 *
 * The errors proxyd passes back name what an operator needs to know:
 * the provider's answer, libcurl's "Failed to connect to 127.0.0.1 port
 * 8080", a timeout.  That detail goes to the log; a chat user gets a
 * short sentence that names no internal address and says what to do.
 */
#include <stdint.h>

#include "gateway.h"

/* a failed IMSG_PROXY_LLM_CHAT */
const char *
usermsg_model(const struct rpc_reply *rep)
{
	switch (rep->status) {
	case 401:
	case 403:
	case 404:
		return ("The model is not available because of a setup "
		    "problem on this bot. The operator can find the details "
		    "in the logs.");
	case 429:
		return ("The model is busy right now. Please try again in a "
		    "minute.");
	}
	if (rep->status >= 400 && rep->status < 500)
		return ("The model could not handle this request. Try "
		    "rephrasing it, or /clear to start a fresh "
		    "conversation.");
	/* unreachable, timed out, 5xx, an answer that made no sense */
	return ("The model is not answering right now. Please try again in "
	    "a minute.");
}

/* a failed call to a service of the operator's (search, Telegram) */
const char *
usermsg_service(const struct rpc_reply *rep)
{
	if (rep->status == 429)
		return ("the service is busy right now; try again in a "
		    "minute");
	if (rep->status == 0 || rep->status >= 500)
		return ("the service is not reachable right now; try again "
		    "in a minute");
	return ("the service refused the request");
}
