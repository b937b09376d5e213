/*
 * sandboxd_policy.c - what sandboxd does with policyd's answers: allow
 * runs, deny refuses with the rule, approve always refuses here (only
 * policyd turns a pressed approval ticket into allow) and passes the
 * ticket on, no answer fails closed.
 */
#include <sys/types.h>

#include <string.h>

#include "regress.h"
#include "../../sandboxd/sandboxd.h"

static const char *
code(const struct polres *r, const char *approved)
{
	static char	 buf[64];
	json_t		*e;

	if ((e = sbx_policy_refusal(r, approved)) == NULL)
		return ("run");
	strlcpy(buf, json_string_value(json_object_get(e, "code")),
	    sizeof(buf));
	json_decref(e);
	return (buf);
}

int
main(void)
{
	struct polres	 allow = { "allow", NULL, NULL, NULL, 0, NULL, NULL, 0 };
	struct polres	 soft = { "soft-delete", "trash", NULL, NULL, 0, NULL, NULL, 0 };
	struct polres	 deny = { "deny", "rm-rf", "destructive", "no", 0, NULL, NULL, 0 };
	struct polres	 appr = { "approve", "sudo", "priv", "ask", 300,
	    "0123456789abcdef0123456789abcdef", NULL, 0 };
	struct polres	 noname = { "approve", NULL, NULL, NULL, 0, NULL, NULL, 0 };
	json_t		*e;

	is_str(code(&allow, NULL), "run", "allow runs");
	is_str(code(&soft, NULL), "run", "soft-delete runs (delete is soft)");
	is_str(code(&deny, NULL), "denied", "deny refuses");
	is_str(code(&deny, "rm-rf"), "denied", "an approval never beats deny");
	is_str(code(&appr, NULL), "needs-approval", "approve needs approval");
	is_str(code(&appr, "other"), "needs-approval",
	    "an approval for another rule does not count");
	is_str(code(&appr, "sudo"), "needs-approval",
	    "the rule name is no approval (the issue 14 forgery)");
	is_str(code(&appr, "0123456789abcdef0123456789abcdef"),
	    "needs-approval", "nor is the ticket itself: policyd decides");
	is_str(code(&noname, ""), "needs-approval",
	    "an approve result without a rule cannot be approved");
	is_str(code(NULL, "sudo"), "policy-unavailable",
	    "no answer: fail closed");
	e = sbx_policy_refusal(&deny, NULL);
	is_str(json_string_value(json_object_get(e, "rule")), "rm-rf",
	    "the rule name is in the refusal");
	json_decref(e);
	e = sbx_policy_refusal(&appr, NULL);
	is_int(json_integer_value(json_object_get(e, "timeout")), 300,
	    "the approval timeout is passed on");
	is_str(json_string_value(json_object_get(e, "ticket")),
	    "0123456789abcdef0123456789abcdef", "and the approval ticket");
	json_decref(e);
	return (done_testing());
}
