// regress/proxy/mock.js - stand-in servers for proxyd's tests, node's
// http module only (no npm packages).
//
// One process, two listeners:
//   "inside"  127.0.0.1:<p1>  Telegram Bot API, the model, Z.AI search,
//                             Google OAuth + Drive, /secret (an internal
//                             page that fetch_page must never reach)
//   "public"  127.0.0.2:<p2>  pages for fetch_page and the egress proxy,
//                             redirects to internal and metadata addresses
// It prints {"p1": N, "p2": N} on its first stdout line.
// GET /__journal on either returns every request seen (method, url,
// headers, body as latin1 text), for canary searches.
//
// The Telegram part mimics telegram-test-api 4.2.1's bot side and what
// it lacks (long polling is not needed here; multipart sendDocument,
// getFile and file download, setMessageReaction, sendChatAction, 429
// with parameters.retry_after).  The model part mimics an
// OpenAI-compatible /chat/completions like @copilotkit/aimock, with
// scenarios chosen by the last user message.
'use strict';
const http = require('http');

const journal = [];
const counters = {};
let p1 = 0;
let msgid = 100;

function count(k) {
	counters[k] = (counters[k] || 0) + 1;
	return counters[k];
}

function send(res, status, obj, headers) {
	const body = typeof obj === 'string' ? obj : JSON.stringify(obj);
	res.writeHead(status, Object.assign({
		'Content-Type': typeof obj === 'string' ? 'text/plain' :
		    'application/json',
		'Content-Length': Buffer.byteLength(body)
	}, headers || {}));
	res.end(body);
}

function parseBody(req, raw) {
	const ct = req.headers['content-type'] || '';
	if (ct.startsWith('application/json')) {
		try { return JSON.parse(raw.toString('utf8')); } catch (e) {
			return null;
		}
	}
	if (ct.startsWith('application/x-www-form-urlencoded'))
		return Object.fromEntries(new URLSearchParams(raw.toString()));
	if (ct.startsWith('multipart/form-data')) {
		const m = /boundary=(.*)$/.exec(ct);
		const out = { _files: {} };
		if (!m)
			return out;
		const parts = raw.toString('latin1').split('--' + m[1]);
		for (const p of parts) {
			const hm = /name="([^"]*)"(?:; filename="([^"]*)")?/.exec(p);
			if (!hm)
				continue;
			const i = p.indexOf('\r\n\r\n');
			const v = p.substring(i + 4, p.length - 2);
			if (hm[2] !== undefined)
				out._files[hm[1]] = { filename: hm[2], data: v };
			else
				out[hm[1]] = v;
		}
		return out;
	}
	return null;
}

function telegram(req, res, token, method, body) {
	const p = body || {};
	if (!token.includes(':'))
		return send(res, 401, { ok: false, error_code: 401,
		    description: 'Unauthorized' });
	const chat = String(p.chat_id);
	if (chat === '4291' && count('429-' + method + chat) === 1)
		return send(res, 429, { ok: false, error_code: 429,
		    description: 'Too Many Requests: retry after 1',
		    parameters: { retry_after: 1 } });
	if (chat === '4292')
		return send(res, 429, { ok: false, error_code: 429,
		    description: 'Too Many Requests: retry after 1',
		    parameters: { retry_after: 1 } });
	switch (method) {
	case 'getMe':
		return send(res, 200, { ok: true, result: { id: 1,
		    is_bot: true, first_name: 'Test', username: 'testbot' } });
	case 'getUpdates':
		// regress/unit/proxyd_harness.h H_VOUCH: users 1-20 write
		if (p.offset === 424242)
			return send(res, 200, { ok: true, result: Array.from(
			    { length: 20 }, (_, i) => ({ update_id: 424242 + i,
			    message: { message_id: 1 + i, from: { id: i + 1,
			    is_bot: false, first_name: 'u' + (i + 1) },
			    chat: { id: i + 1 }, text: 'hi' } })) });
		// regress/unit/proxyd_gdrive.c: user 21 writes in a group
		if (p.offset === 424300)
			return send(res, 200, { ok: true, result: [
			    { update_id: 424300, message: { message_id: 1,
			    from: { id: 21, is_bot: false, first_name: 'u21' },
			    chat: { id: -1001, type: 'group' },
			    text: 'hi all' } }] });
		return send(res, 200, { ok: true, result: [
		    { update_id: (p.offset || 1), message: { message_id: 1,
		    chat: { id: 42 }, text: 'hello bot' } }] });
	case 'sendMessage':
	case 'editMessageText':
		// a slow Telegram: a later message must not overtake this one
		if (String(p.text).startsWith('SLOW'))
			return setTimeout(() => send(res, 200, { ok: true,
			    result: { message_id: ++msgid, chat: { id: p.chat_id },
			    text: p.text } }), 1000);
		return send(res, 200, { ok: true, result: {
		    message_id: ++msgid, chat: { id: p.chat_id },
		    text: p.text } });
	case 'sendChatAction':
	case 'setMessageReaction':
	case 'deleteMessage':
	case 'answerCallbackQuery':
		return send(res, 200, { ok: true, result: true });
	case 'sendDocument': {
		const f = p._files && p._files.document;
		if (!f)
			return send(res, 400, { ok: false, error_code: 400,
			    description: 'Bad Request: no document' });
		return send(res, 200, { ok: true, result: {
		    message_id: ++msgid, chat: { id: Number(p.chat_id) },
		    caption: p.caption, document: { file_name: f.filename,
		    file_size: Buffer.byteLength(f.data, 'latin1') } } });
	}
	case 'getFile':
		if (p.file_id === 'big')
			return send(res, 200, { ok: true, result: {
			    file_id: 'big', file_size: 99999999,
			    file_path: 'documents/big.bin' } });
		return send(res, 200, { ok: true, result: {
		    file_id: p.file_id, file_size: 11,
		    file_path: 'documents/file_1.txt' } });
	}
	return send(res, 400, { ok: false, error_code: 400,
	    description: 'Bad Request: method not found' });
}

function lastUser(body) {
	const msgs = (body && body.messages) || [];
	for (let i = msgs.length - 1; i >= 0; i--)
		if (msgs[i].role === 'user')
			return String(msgs[i].content);
	return '';
}

function completion(content, toolCalls) {
	const msg = { role: 'assistant', content: content };
	if (toolCalls)
		msg.tool_calls = toolCalls;
	return { id: 'chatcmpl-test', object: 'chat.completion',
	    model: 'test-model', choices: [{ index: 0, message: msg,
	    finish_reason: toolCalls ? 'tool_calls' : 'stop' }],
	    usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } };
}

function model(req, res, body, key) {
	if (req.headers.authorization !== 'Bearer ' + key)
		return send(res, 401, { error: { message: 'bad key' } });
	const u = lastUser(body);
	if (u === 'slow')
		return setTimeout(() => send(res, 200,
		    completion('slow answer')), 3000);
	if (u === 'tool please')
		return send(res, 200, completion(null, [{ id: 'call_1',
		    type: 'function', function: { name: 'run_command',
		    arguments: '{"command":"ls"}' } }]));
	if (u === 'flaky' && count('flaky') === 1)
		return send(res, 503, { error: { message: 'overloaded' } });
	if (u === 'down')
		return send(res, 500, { error: { message: 'boom' } });
	if (u === 'garbage')
		return send(res, 200, 'this is {not json');
	if (u === 'nochoices')
		return send(res, 200, { object: 'chat.completion' });
	if (u === 'badreq')
		return send(res, 400, { error: {
		    message: 'context length exceeded' } });
	if (u === 'leak')
		// a provider echoing a secret back must not reach gatewayd
		return send(res, 200, completion('your key is ' + key));
	if (u === 'echo')
		return send(res, 200, completion(JSON.stringify(body)));
	return send(res, 200, completion('hello from the model'));
}

function gdrive(req, res, path, q, body) {
	if (path === '/oauth/token') {
		if (body.client_secret !== 'gdrive-canary-client-secret-77')
			return send(res, 401, { error: 'invalid_client' });
		if (body.grant_type === 'authorization_code' &&
		    body.code === 'good-code')
			return send(res, 200, { access_token: 'at-expired',
			    refresh_token: 'rt-1', expires_in: 0 });
		if (body.grant_type === 'refresh_token' &&
		    body.refresh_token === 'rt-1')
			return send(res, 200, { access_token: 'at-fresh',
			    expires_in: 3600 });
		return send(res, 400, { error: 'invalid_grant',
		    error_description: 'Bad code' });
	}
	if (req.headers.authorization !== 'Bearer at-fresh')
		return send(res, 401, { error: { message: 'bad token' } });
	if (path === '/drive/v3/files')
		return send(res, 200, { files: [{ id: 'f1', name: 'notes.txt',
		    mimeType: 'text/plain', size: '12',
		    modifiedTime: '2026-01-01T00:00:00Z' }, { id: 'd1',
		    name: 'Doc', mimeType: 'application/vnd.google-apps.document' }],
		    nextPageToken: q.get('q').includes('notes') ? undefined :
		    'page2' });
	if (path === '/drive/v3/files/f1' && q.get('alt') === 'media')
		return send(res, 200, 'drive file\n');
	if (path === '/drive/v3/files/f1')
		return send(res, 200, { id: 'f1', name: 'notes.txt',
		    mimeType: 'text/plain', size: '11' });
	if (path === '/drive/v3/files/d1')
		return send(res, 200, { id: 'd1', name: 'Doc',
		    mimeType: 'application/vnd.google-apps.document' });
	if (path === '/drive/v3/files/d1/export')
		return send(res, 200, 'exported as ' + q.get('mimeType'));
	return send(res, 404, { error: { message: 'not found' } });
}

function inside(req, res, raw) {
	const url = new URL(req.url, 'http://x');
	const path = url.pathname;
	const body = parseBody(req, raw);
	let m;
	if ((m = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(path)))
		return telegram(req, res, m[1], m[2], body);
	if ((m = /^\/file\/bot([^/]+)\/(.*)$/.exec(path))) {
		if (m[2] === 'documents/big.bin')
			return send(res, 200, 'x'.repeat(100000));
		return send(res, 200, 'hello file\n');
	}
	if (path === '/v1/chat/completions')
		return model(req, res, body, process.env.MOCK_LLM_KEY);
	if (path === '/search') {
		if (req.headers.authorization !== 'Bearer ' +
		    process.env.MOCK_ZAI_KEY)
			return send(res, 401, { error: { message: 'bad key' } });
		return send(res, 200, { search_result: [{ title: 'Result',
		    link: 'https://example.com/', content: 'a snippet',
		    media: 'example', publish_date: '2026-01-01' }] });
	}
	if (path.startsWith('/oauth/') || path.startsWith('/drive/'))
		return gdrive(req, res, path, url.searchParams, body || {});
	if (path === '/secret')
		return send(res, 200, 'INTERNAL SECRET PAGE');
	return send(res, 404, 'not found');
}

function outside(req, res) {
	const url = new URL(req.url, 'http://x');
	switch (url.pathname) {
	case '/page':
		res.writeHead(200, { 'Content-Type': 'text/html' });
		return res.end('<html><head><title>T</title></head><body>' +
		    '<h1>Public Title</h1><p>Public page text.</p></body></html>');
	case '/plain':
		return send(res, 200, 'plain text page\n');
	case '/binary':
		res.writeHead(200, { 'Content-Type': 'image/png' });
		return res.end(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2]));
	case '/big':
		return send(res, 200, 'y'.repeat(300000));
	case '/redirect-ok':
		res.writeHead(302, { Location: '/plain' });
		return res.end();
	case '/redirect-meta':
		res.writeHead(302, {
		    Location: 'http://169.254.169.254/latest/meta-data/' });
		return res.end();
	case '/redirect-local':
		res.writeHead(301, {
		    Location: 'http://127.0.0.1:' + p1 + '/secret' });
		return res.end();
	case '/redirect-decimal':
		res.writeHead(307, {
		    Location: 'http://2130706433:' + p1 + '/secret' });
		return res.end();
	case '/loop':
		res.writeHead(302, { Location: '/loop' });
		return res.end();
	case '/404':
		return send(res, 404, 'no such page');
	}
	return send(res, 200, 'origin ok ' + req.method + ' ' + req.url);
}

function handler(which) {
	return (req, res) => {
		const chunks = [];
		req.on('data', (c) => chunks.push(c));
		req.on('end', () => {
			const raw = Buffer.concat(chunks);
			if (req.url === '/__journal')
				return send(res, 200, journal);
			journal.push({ server: which, method: req.method,
			    url: req.url, headers: req.headers,
			    body: raw.toString('latin1') });
			try {
				if (which === 'inside')
					inside(req, res, raw);
				else
					outside(req, res);
			} catch (e) {
				send(res, 500, { message: String(e) });
			}
		});
	};
}

const s1 = http.createServer(handler('inside'));
const s2 = http.createServer(handler('public'));
s1.listen(0, '127.0.0.1', () => {
	p1 = s1.address().port;
	s2.listen(0, '127.0.0.2', () => {
		process.stdout.write(JSON.stringify({ p1: p1,
		    p2: s2.address().port }) + '\n');
	});
});
// die with the test
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
