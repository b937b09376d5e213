/*
 * imsg_policy.h - messages served by policyd (200-299).
 *
 * Requests carry one JSON object; the header's peerid is the caller's
 * request id, repeated in the IMSG_POLICY_RESULT reply.
 *
 * IMSG_POLICY_CHECK_CMD   {"user": int, "chat": int, "command": str,
 *                          "scripts": {PATH: TEXT|false|null, ...},
 *                          "scripts_follow": bool (both optional)}
 *                          "scripts": the texts of workspace files the
 *                          command runs (sh FILE, python3 FILE, ./FILE,
 *                          source FILE, sh < FILE, cat FILE | sh, and the
 *                          files those run in turn), read beneath the
 *                          workspace; each is checked as its interpreter's
 *                          inline script.  false: no such file (nothing
 *                          runs); null: it could not be read.  The answer
 *                          lists the files run whose text was not carried
 *                          as "scripts": [PATH, ...] (decided by "default
 *                          script", topsh-policy(5)); ask again with their
 *                          texts to have them checked.  With
 *                          "scripts_follow": true the requester promises
 *                          to ask again if the answer lists any: such an
 *                          answer is then "preliminary": true, neither
 *                          audited nor given a ticket.  A frame to policyd
 *                          may be POLICY_MAXSIZE bytes.
 * IMSG_POLICY_CHECK_FILE  {"user": int, "chat": int,
 *                          "op": "read|write|create|delete|list",
 *                          "path": str}
 *                          "op" may list several ("read,write": sandboxd's
 *                          edit, which reveals what a file holds); the
 *                          answer is the strictest rule matching any.
 * IMSG_POLICY_CHECK_NET   {"user": int, "host": str, "addr": str|null,
 *                          "port": int}
 * IMSG_POLICY_RESULT      {"decision": "allow|deny|approve|soft-delete",
 *                          "rule": str|null, "category": str|null,
 *                          "message": str|null, "timeout": int}
 *                          (timeout: seconds an approval may wait)
 * IMSG_CTL_POLICY_TEST    from topshctl: {"command": str}; answered with
 *                          IMSG_CTL_DATA (a result object plus "input")
 *                          and IMSG_CTL_END.  Instead of "command" it may
 *                          carry {"path": str, "op": str} or {"host": str,
 *                          "addr": str, "port": int} to test a file or
 *                          network rule.  Tests are never audited.
 *
 * Vouchers (policyd/vouch.c, see policyd(8) TRUST): the user ids in
 * requests come from gatewayd, which reads model output and may be
 * compromised; proxyd alone sees Telegram's updates and vouches for
 * them, and only a peer that connected as proxyd (its uid checked with
 * SO_PEERCRED) may:
 * IMSG_POLICY_VOUCH       {"writes": [{"user": int, "chat": int,
 *                                     "age": int}],
 *                          "presses": [{"user": int, "chat": int,
 *                                      "data": str, "age": int}]}
 *                          who wrote, who pressed which button
 *                          (callback_data), "age" seconds ago.  Answered
 *                          with IMSG_POLICY_RESULT {"decision": "allow"}
 *                          once recorded (proxyd hands the updates to
 *                          gatewayd only after that).  From any other
 *                          peer: logged, the connection is closed.
 * IMSG_POLICY_CHECK_USER  {"user": int, "chat": int}: may something be
 *                          done for this user now?  "allow" when proxyd
 *                          vouched for a message or a press of the user
 *                          within vouch-window seconds, else "deny" with
 *                          rule "unvouched-user" (audited).  sandboxd asks
 *                          before every request from gatewayd.
 * Approvals: a CHECK_CMD or CHECK_FILE result "approve" asked by sandboxd
 * carries "ticket": a random 32-hex-digit id bound to the user, the
 * input (command, or op and path), the rule and the rule's timeout.
 * gatewayd puts it at the end of the Approve button's callback_data
 * ("...:TICKET"); when proxyd vouches for a press of that button by the
 * user the ticket was issued to, the ticket counts as pressed.  The same
 * check sent again with "approval": TICKET is answered "allow" (with
 * "approved_by": the presser) if, and only if, the decision is still
 * "approve" by the same rule for the same user and input, the ticket was
 * pressed and has not expired; the ticket is then used up.  Anything
 * else gets a fresh ticket.  "deny" is never turned into anything.
 *
 * A request that is not a JSON object or lacks a field is answered with
 * IMSG_ERROR {"error": str} carrying the same request id; the connection
 * stays open.  "user" and "chat" are optional (0) and go to the audit
 * log.  "decision" "soft-delete" only answers IMSG_POLICY_CHECK_FILE with
 * op "delete": move the file to a trash instead of removing it.
 */
#ifndef TOPSH_IMSG_POLICY_H
#define TOPSH_IMSG_POLICY_H

/* a check may carry script texts: the frame limit both ends set */
#define POLICY_MAXSIZE	(1024 * 1024)

enum imsg_type_policy {
	IMSG_POLICY_CHECK_CMD = 200,
	IMSG_POLICY_CHECK_FILE,
	IMSG_POLICY_CHECK_NET,
	IMSG_POLICY_RESULT,
	IMSG_POLICY_VOUCH,
	IMSG_POLICY_CHECK_USER,
	IMSG_CTL_POLICY_TEST = 290,
};

#endif
