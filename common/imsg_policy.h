/*
 * imsg_policy.h - messages served by policyd (200-299).
 *
 * Requests carry one JSON object; the header's peerid is the caller's
 * request id, repeated in the IMSG_POLICY_RESULT reply.
 *
 * IMSG_POLICY_CHECK_CMD   {"user": int, "chat": int, "command": str}
 * IMSG_POLICY_CHECK_FILE  {"user": int, "chat": int,
 *                          "op": "read|write|create|delete|list",
 *                          "path": str}
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
 * A request that is not a JSON object or lacks a field is answered with
 * IMSG_ERROR {"error": str} carrying the same request id; the connection
 * stays open.  "user" and "chat" are optional (0) and go to the audit
 * log.  "decision" "soft-delete" only answers IMSG_POLICY_CHECK_FILE with
 * op "delete": move the file to a trash instead of removing it.
 */
#ifndef TOPSH_IMSG_POLICY_H
#define TOPSH_IMSG_POLICY_H

enum imsg_type_policy {
	IMSG_POLICY_CHECK_CMD = 200,
	IMSG_POLICY_CHECK_FILE,
	IMSG_POLICY_CHECK_NET,
	IMSG_POLICY_RESULT,
	IMSG_CTL_POLICY_TEST = 290,
};

#endif
