/*
 * imsg_sandbox.h - messages served by sandboxd (300-399).
 *
 * Every request carries one JSON object; the header's peerid is the
 * caller's request id, repeated in the reply.  "user" is the Telegram
 * user id (integer > 0); "chat" the chat id (integer, optional, passed
 * on to policyd).  Unknown keys are ignored; a wrong type or a missing
 * required key is answered with IMSG_ERROR code "invalid".
 *
 * Errors and refusals: any request may be answered by IMSG_ERROR
 *   {"error": str,            readable text, for the model and the log
 *    "code": str,             one of the codes below
 *    "rule": str|null,        policy rule (codes "denied", "needs-approval")
 *    "category": str|null, "message": str|null,
 *    "timeout": int}          seconds an approval may wait ("needs-approval")
 * codes: "invalid" bad request; "denied" policyd said deny;
 *   "needs-approval" policyd said approve and no valid approval was
 *   presented; "policy-unavailable" policyd is not connected (fail
 *   closed: nothing runs, nothing is touched); "docker-unavailable"
 *   docker.sock is missing or dead (retried with backoff in the
 *   background); "docker" any other Engine API failure; "not-found";
 *   "exists"; "escape" the path would leave the workspace (.., absolute,
 *   a symlink, a hard-linked file, a magic link); "too-large" over
 *   max-file-size; "quota" workspace quota exhausted (ENOSPC/EDQUOT);
 *   "no-match" / "ambiguous" (edit: find text absent / more than once
 *   without "all") (a user's ninth command at once is not refused: it
 *   waits for one of the eight to end); "too-large" also when a reply would not fit the
 *   channel's frame size; "io" any other system error.
 *
 * Approval token.  When a check returns decision "approve", sandboxd
 * refuses with code "needs-approval" and the rule name.  After the user
 * pressed Approve, gatewayd sends the same request again with
 *   "approved": "<rule name from the refusal>"
 * sandboxd asks policyd again and runs the request only if the decision
 * is still "approve" AND its rule equals "approved".  "deny" is never
 * overridden; an approval for one rule does not cover another.
 *
 * Paths are relative to the user's workspace (a leading "/workspace/"
 * or "/" is taken as the workspace root); they never leave it.
 *
 * --- from gatewayd ---------------------------------------------------
 * IMSG_SANDBOX_EXEC        {"user", "chat", "command": str (<= 12288
 *                                                     bytes),
 *                           "timeout": int (opt, seconds, capped by
 *                                           exec-timeout),
 *                           "approved": str (opt)}
 *   runs `sh -c COMMAND' in /workspace in the user's container (created
 *   on first use).  Reply IMSG_SANDBOX_EXEC_RESULT
 *                          {"exit": int,        exit status (137 killed,
 *                                               -1 unknown, then "error"
 *                                               says why)
 *                           "stdout": str, "stderr": str,
 *                           "timed_out": bool,  the time limit hit and the
 *                                               process tree was killed
 *                           "truncated": bool,  output over output-cap
 *                           "stdout_cut": int, "stderr_cut": int,
 *                                               bytes cut from the middle
 *                           "seconds": real}
 *   Each stream keeps its first and last output-cap/2 bytes; the cut
 *   middle is replaced by "\n[... N bytes cut ...]\n".  Invalid UTF-8 is
 *   replaced by U+FFFD.
 *
 * File operations: each is checked with IMSG_POLICY_CHECK_FILE first
 * (op read|write|delete|list, path "/workspace/REL"); each also takes
 * "approved" as above.  Reply IMSG_SANDBOX_FILE_RESULT with the object
 * shown after "->".
 * IMSG_SANDBOX_FILE_READ   {"user", "chat", "path", "offset": int (opt),
 *                           "limit": int (opt, bytes, default and max
 *                           256 KiB)}
 *   -> {"path", "size": int, "offset": int, "content": str,
 *       "encoding": "utf-8"|"base64", "truncated": bool}
 * IMSG_SANDBOX_FILE_WRITE  {"user", "chat", "path", "content": str,
 *                           "encoding": "utf-8"|"base64" (opt),
 *                           "append": bool (opt)}
 *   parent directories are created.  -> {"path", "size", "created": bool}
 * IMSG_SANDBOX_FILE_EDIT   {"user", "chat", "path", "find": str,
 *                           "replace": str, "all": bool (opt)}
 *   exact text find/replace.  -> {"path", "size", "replacements": int}
 * IMSG_SANDBOX_FILE_DELETE {"user", "chat", "path"}
 *   soft delete: moved into the user's trash (also directories).
 *   -> {"path", "trash_id": str}
 * IMSG_SANDBOX_FILE_LIST   {"user", "chat", "path" (opt, "."),
 *                           "recursive": bool (opt), "limit": int (opt)}
 *   -> {"path", "entries": [{"name", "type": "file|dir|symlink|other",
 *       "size", "mtime"}], "truncated": bool}   (names relative to path)
 * IMSG_SANDBOX_FILE_GLOB   {"user", "chat", "pattern": str ("**" crosses
 *                           directories), "path" (opt), "limit" (opt)}
 *   the pattern is matched against paths below "path"; matches are
 *   workspace-relative.  -> {"matches": [str], "truncated": bool}
 * IMSG_SANDBOX_FILE_GREP   {"user", "chat", "pattern": str (PCRE2),
 *                           "path" (opt), "glob": str (opt),
 *                           "ignore_case": bool (opt), "limit" (opt)}
 *   -> {"matches": [{"path", "line": int, "text"}], "truncated": bool}
 *   Binary files and files over 16 MiB are skipped; lines are cut at
 *   500 bytes.  Walks (list, glob, grep) stop after 100000 entries or,
 *   for grep, 64 MiB read, and say "truncated".
 * IMSG_SANDBOX_FILE_STAT   {"user", "chat", "path"}
 *   -> {"path", "type", "size", "mode": int, "mtime": int, "nlink": int}
 * IMSG_SANDBOX_FILE_OPEN   {"user", "chat", "path"}
 *   send-as-fd: a read-only fd of a regular file travels with the reply
 *   -> {"path", "name": basename, "size"}
 * IMSG_SANDBOX_PORTS       {"user", "chat", "prepare": bool (opt)}
 *   reply IMSG_SANDBOX_PORTS_RESULT {"addr": str, "ports": [int]}: the
 *   user's published ports (the same number inside the container and on
 *   the host), [] when the network mode publishes nothing.  gatewayd
 *   asks at the start of each job; with "prepare" sandboxd also starts
 *   the user's container in the background (when none runs and fewer
 *   than max-containers exist), so its creation overlaps the model's
 *   first answer instead of delaying the first command.
 *
 * --- from topshctl (control socket; replies IMSG_CTL_DATA objects then
 *     IMSG_CTL_END, or IMSG_CTL_FAIL {"error": str}) ---------------------
 * IMSG_CTL_SANDBOX_LIST    {}
 *   one IMSG_CTL_DATA per container: {"user": int, "container": str (12
 *   hex), "state": str, "idle": int (seconds), "memory": int (bytes in
 *   use, -1 unknown), "ports": str ("lo-hi") | null}
 *   topshctl sandbox list
 * IMSG_CTL_SANDBOX_KILL    {"user": int}
 *   stops and removes the container (the workspace stays).
 *   DATA {"user", "container", "removed": true}
 *   topshctl sandbox kill USER
 * IMSG_CTL_SANDBOX_EXEC    {"user": int, "command": str,
 *                           "timeout": int (opt), "approved": str (opt)}
 *   the same policy check, limits, time limit and output cap as
 *   IMSG_SANDBOX_EXEC; DATA is the EXEC_RESULT object.  topshctl prints
 *   stdout and stderr to its own and exits with "exit".
 *   topshctl sandbox exec USER -- COMMAND
 * IMSG_CTL_TRASH_LIST      {"user": int}
 *   one DATA per item: {"id": str, "path": str, "type": str, "size": int,
 *   "deleted": int (epoch)}
 *   topshctl trash list USER
 * IMSG_CTL_TRASH_RESTORE   {"user": int, "id": str}
 *   DATA {"id", "path"}; FAIL when the original path exists again.
 *   topshctl trash restore USER ID
 * IMSG_CTL_TRASH_PURGE     {"user": int, "id": str (opt)}
 *   removes one trash item, or all of the user's items, for good; the
 *   space goes back to the user's quota.  DATA {"user", "purged": int}
 *   topshctl trash purge USER [ID]
 * IMSG_CTL_SANDBOX_PS      {"user": int}
 *   one DATA per process in the user's container (the init process
 *   aside): {"pid": int, "session": int, "kind": "command"|"background",
 *   "args": str}; "command" is part of a command still running,
 *   "background" was left by one that ended.
 *   topshctl sandbox ps USER
 * IMSG_CTL_SANDBOX_STOP    {"user": int}
 *   ends the user's background jobs (as IMSG_SANDBOX_CLEAR).
 *   DATA {"user", "ended": bool}
 *   topshctl sandbox stop USER
 * IMSG_CTL_SANDBOX_REMOVE_USER {"user": int, "workspace": bool}
 *   stops and removes the user's container (no container is fine);
 *   with "workspace" the workspace (and its quota image) also moves to
 *   WORKSPACE-ROOT/.removed/USER.EPOCH, out of every container's reach.
 *   DATA {"user", "state": str}
 *   topshctl users block|remove USER (after gatewayd's IMSG_CTL_USERS_SET)
 *
 * "full" (any request that needs a container): max-containers are in
 * use and none is idle; nothing ran, try again later.  The error
 * carries "place": int, the user's place in line (1: next; a place is
 * kept while the user asks again).  Requests may
 * carry "name": str, the user's display name, used as the gecos field
 * of the user's passwd entry in the container (git's author name).
 */
#ifndef TOPSH_IMSG_SANDBOX_H
#define TOPSH_IMSG_SANDBOX_H

enum imsg_type_sandbox {
	IMSG_SANDBOX_BASE = 300,
	IMSG_SANDBOX_EXEC = 300,
	IMSG_SANDBOX_EXEC_RESULT,
	IMSG_SANDBOX_FILE_READ = 310,
	IMSG_SANDBOX_FILE_WRITE,
	IMSG_SANDBOX_FILE_EDIT,
	IMSG_SANDBOX_FILE_DELETE,
	IMSG_SANDBOX_FILE_LIST,
	IMSG_SANDBOX_FILE_GLOB,
	IMSG_SANDBOX_FILE_GREP,
	IMSG_SANDBOX_FILE_STAT,
	IMSG_SANDBOX_FILE_OPEN,
	IMSG_SANDBOX_FILE_RESULT = 329,
	IMSG_SANDBOX_PORTS = 330,
	IMSG_SANDBOX_PORTS_RESULT,
	IMSG_SANDBOX_CLEAR,
	IMSG_SANDBOX_CLEAR_RESULT,
	IMSG_CTL_SANDBOX_LIST = 390,
	IMSG_CTL_SANDBOX_KILL,
	IMSG_CTL_SANDBOX_EXEC,
	IMSG_CTL_TRASH_LIST,
	IMSG_CTL_TRASH_RESTORE,
	IMSG_CTL_TRASH_PURGE,
	IMSG_CTL_SANDBOX_PS,
	IMSG_CTL_SANDBOX_STOP,
	IMSG_CTL_SANDBOX_REMOVE_USER,
};

#endif
