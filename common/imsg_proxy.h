/*
 * imsg_proxy.h - messages served by proxyd (400-499).
 *
 * proxyd is the only process holding secrets and the only one talking
 * to the outside.  gatewayd (the only peer allowed to connect, on a
 * channel whose maximum frame is 8 MiB) sends one request per frame,
 * a JSON object, with its request id in the header's peerid.  Exactly
 * one IMSG_PROXY_REPLY with the same peerid answers every request,
 * however it ends (also when the connection to the outside fails, the
 * request is malformed or proxyd shuts the request down).  Requests run
 * concurrently; replies come in completion order, not request order.
 *
 * Every reply object:
 *   {"ok": bool,             true when the call succeeded end to end
 *    "error": str|null,      readable reason when !ok (never a secret)
 *    "status": int,          HTTP status from the remote side, 0 if none
 *    "retry_after": int,     seconds to wait before retrying (Telegram
 *                            429 parameters.retry_after or HTTP
 *                            Retry-After), 0 if none
 *    "result": any|null}     the method-specific result below
 *
 * Text and bodies going out (model requests, Telegram texts, captions)
 * pass DLP first ([REDACTED:NAME]); whatever comes back to gatewayd has
 * proxyd's own secrets replaced, so no reply can carry one.
 *
 * Telegram Bot API ("user"/"chat" fields are optional everywhere and
 * only used for logging and pacing):
 *
 * IMSG_PROXY_TG_CALL      {"method": str, "params": object,
 *                          "file_field": str, "filename": str,
 *                          "content_type": str}
 *     Any Bot API method (sendMessage, editMessageText, deleteMessage,
 *     sendChatAction, setMessageReaction, answerCallbackQuery, getMe,
 *     getFile, ...).  params is sent as the JSON body.  With an fd
 *     (readable, e.g. a file from sandboxd) the call is a multipart
 *     upload: params become form fields (non-string values as JSON) and
 *     the fd's content is the part named file_field (default
 *     "document") with filename (default "file"); an upload carrying
 *     one of proxyd's secrets has it replaced.  Methods that post into
 *     a chat (send*, edit*, copyMessage, forwardMessage; not
 *     sendChatAction) are paced per "chat_id" (telegram-chat-interval);
 *     a 429 is retried by proxyd (twice, when retry_after <= 30s) before
 *     it is reported.  result: Telegram's "result" field.  On a
 *     Telegram error: ok false, error = Telegram's description, status
 *     = error_code, retry_after from parameters.retry_after.
 *
 * IMSG_PROXY_TG_UPDATES   {"offset": int, "timeout": int (seconds of
 *                          long poll, default 30), "limit": int,
 *                          "allowed_updates": [str]}
 *     getUpdates.  result: the array of updates.
 *
 * IMSG_PROXY_TG_DOWNLOAD  {"file_id": str, "max_bytes": int} + a
 *                          writable fd (required)
 *     getFile then download of the file into the fd (proxyd closes its
 *     copy when done).  result: {"file_path": str, "file_size": int,
 *     "bytes": int}; ok false with "file too large" past max_bytes.
 *
 * Model:
 *
 * IMSG_PROXY_LLM_CHAT     {"request": object, "timeout": int (seconds,
 *                          optional, capped by llm-timeout), "chat": int
 *                          (optional: the conversation, whose
 *                          placeholder map dlp tokenize uses)}
 *     POST {llm_base_url}/chat/completions with request as the body
 *     (model, messages, tools, tool_choice, ...; "stream" is forced to
 *     false).  Retried on 5xx, 429 and transport errors up to
 *     llm-retries times.  result: the provider's response object
 *     (choices[0].message with content and/or tool_calls, usage).  A
 *     reply that is not JSON gives ok false, error "model returned
 *     invalid JSON".
 *
 * Web:
 *
 * IMSG_PROXY_SEARCH_WEB   {"user": int, "query": str, "count": int}
 *     Z.AI web search.  result: {"results": [{"title": str, "url": str,
 *     "snippet": str, "site": str|null, "date": str|null}]}
 *
 * IMSG_PROXY_FETCH_PAGE   {"user": int, "url": str, "max_bytes": int,
 *                          "raw": bool}
 *     http(s) only.  Every hop (the URL and each redirect) has its host
 *     resolved and every address checked with policyd
 *     (IMSG_POLICY_CHECK_NET) before connecting to that pinned address;
 *     redirects are followed by proxyd, at most max-redirects.  HTML is
 *     turned into text unless raw.  result: {"url": str (final),
 *     "status": int, "content_type": str|null, "text": str,
 *     "truncated": bool}.  A refused destination: ok false, error
 *     "destination denied: ...", status 0.
 *
 * Google Drive (tokens live in proxyd's state directory, one file per
 * Telegram user; nothing about them ever reaches gatewayd):
 *
 * IMSG_PROXY_GDRIVE_AUTH_URL  {"user": int, "chat": int}
 *     result: {"url": str} to show the user (OAuth consent, offline
 *     access, read-only scope, out-of-band redirect); its state is a
 *     nonce issued to the user (single use, 10 minutes).  Private chats
 *     only: refused unless "chat" (optional) is the user and proxyd saw
 *     the user's latest message there.
 * IMSG_PROXY_GDRIVE_AUTH_CODE {"user": int, "chat": int, "code": str}
 *     exchanges the code in the redirect address the user pasted, if
 *     its state was issued to that user.  result: {"connected": true}
 * IMSG_PROXY_GDRIVE_STATUS    {"user": int}
 *     result: {"connected": bool}
 * IMSG_PROXY_GDRIVE_LOGOUT    {"user": int}
 *     forgets the user's tokens.  result: {"connected": false}
 * IMSG_PROXY_GDRIVE_LIST      {"user": int, "folder": str|null,
 *                              "page_size": int, "page_token": str|null}
 * IMSG_PROXY_GDRIVE_SEARCH    {"user": int, "query": str,
 *                              "page_size": int, "page_token": str|null}
 *     result: {"files": [{"id": str, "name": str, "mime_type": str,
 *     "size": int|null, "modified": str|null}],
 *     "next_page_token": str|null}
 * IMSG_PROXY_GDRIVE_DOWNLOAD  {"user": int, "file_id": str,
 *                              "max_bytes": int} + a writable fd
 *     Google Docs are exported (documents as text/plain, sheets as
 *     text/csv, slides as application/pdf).  result: {"name": str,
 *     "mime_type": str, "bytes": int}
 *     Access tokens are refreshed as needed; a user without tokens
 *     gets ok false, error "google drive not connected".
 *
 * IMSG_PROXY_SERVICES     {} -> {"search": bool, "gdrive": bool}:
 *     which optional services have their secrets (zai_api_key; the
 *     gdrive_client_id and gdrive_client_secret pair).  gatewayd offers
 *     the model search_web and the Drive tools only when they do.
 *
 * IMSG_PROXY_REPLY        the reply object above.
 *
 * Control (topshctl, answered with IMSG_CTL_DATA + IMSG_CTL_END):
 * IMSG_CTL_PROXY_STATS    {} -> {"requests": int, "failed": int,
 *                          "active": int, "redactions": int,
 *                          "telegram_429": int, "llm_retries": int,
 *                          "fetch_denied": int,
 *                          "egress": "disabled|running|down",
 *                          "dlp": bool}
 *                          (the same object is "proxy" in
 *                          topshctl status proxyd)
 * IMSG_CTL_PROXY_PROBE    {} -> {"telegram": {"ok": bool, "status": int,
 *                          "bot": str | "error": str},
 *                          "model": {"ok": bool, "status": int,
 *                          "listed": bool, "models": [str] (20 at
 *                          most), "count": int, "known": bool (when
 *                          llm-model is set) | "error": str}}
 *                          getMe and GET /models with the secrets
 *                          (topshctl check); 404 from /models is ok with
 *                          listed false.
 */
#ifndef TOPSH_IMSG_PROXY_H
#define TOPSH_IMSG_PROXY_H

enum imsg_type_proxy {
	IMSG_PROXY_BASE = 400,
	IMSG_PROXY_REPLY = IMSG_PROXY_BASE,
	IMSG_PROXY_TG_CALL,
	IMSG_PROXY_TG_UPDATES,
	IMSG_PROXY_TG_DOWNLOAD,
	IMSG_PROXY_LLM_CHAT,
	IMSG_PROXY_SEARCH_WEB,
	IMSG_PROXY_FETCH_PAGE,
	IMSG_PROXY_GDRIVE_AUTH_URL,
	IMSG_PROXY_GDRIVE_AUTH_CODE,
	IMSG_PROXY_GDRIVE_STATUS,
	IMSG_PROXY_GDRIVE_LOGOUT,
	IMSG_PROXY_GDRIVE_LIST,
	IMSG_PROXY_GDRIVE_SEARCH,
	IMSG_PROXY_GDRIVE_DOWNLOAD,
	IMSG_PROXY_SERVICES,
	IMSG_CTL_PROXY_STATS = 490,
	IMSG_CTL_PROXY_PROBE,
};

/* the gatewayd <-> proxyd channel's maximum frame */
#define PROXY_IMSG_MAXSIZE	(8 * 1024 * 1024)

#endif
