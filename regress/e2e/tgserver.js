// tgserver.js - telegram-test-api 4.2.1 extended, without forking it, with
// what topsh needs: long polling getUpdates with offset confirmation,
// multipart sendDocument (multer), setMessageReaction, sendChatAction,
// getFile and file download, an HTML parse error on request, and a
// journal of every Bot API call for the tests to assert on.
//
// The routes are added to the package's route list before the server is
// built, so Express sees them first.
//
// Test-side routes (JSON bodies):
//   POST /__user/message  {token, from, chat, text?, caption?,
//                          reply_to_message?, document?: {file_name,
//                          content (base64)}, photo?: {content (base64)}}
//                                                  -> {update_id, message_id}
//   POST /__user/callback {token, from, chat, message_id, data}
//   POST /__user/raw      {token, update}  any update object, unchecked
//   GET  /__journal?since=N  -> [{seq, method, body}] bot calls
//   GET  /__updates          -> user updates not yet confirmed
//   GET  /__polls            -> arrival times (ms) of recent getUpdates
//   POST /__fault  {method, status, count, retry_after}: the next COUNT
//                  Bot API calls of METHOD fail (429 with retry_after, or
//                  STATUS with an HTML body, e.g. 502); GET /__fault
// And a Z.AI web search stand-in (proxyd's search-url in the e2e tests):
//   POST /__search {search_query, ...} -> one result whose title carries
//                  E2E-SEARCH-HIT and the query, so a test can tell a real
//                  search result from an error text
'use strict';

const multer = require('multer');
const { routes } = require('telegram-test-api/lib/routes/index');
const TelegramServer = require('telegram-test-api');

const upload = multer({ storage: multer.memoryStorage(),
	limits: { fileSize: 50 * 1024 * 1024 } });

const journal = [];
let seq = 0;
const files = new Map();	// file_id -> Buffer
const polls = [];		// arrival times of the last getUpdates calls
let fileSeq = 1;

function record(method, body) {
	seq++;
	const entry = { seq, method, body, time: Date.now() };
	journal.push(entry);
	return entry;
}

function params(req) {
	return Object.assign({}, req.query || {}, req.body || {});
}

function fail(res, code, description) {
	res.status(code).json({ ok: false, error_code: code, description });
}

function longPoll(app, server) {
	app.all('/bot:token/getUpdates', (req, res) => {
		const p = params(req);
		const token = req.params.token;
		polls.push(Date.now());
		if (polls.length > 1000)
			polls.splice(0, polls.length - 1000);
		const offset = Number(p.offset || 0);
		const limit = Math.min(Number(p.limit || 100), 100);
		const timeout = Math.min(Number(p.timeout || 0), 50);
		// confirmation: everything below offset is gone for good
		if (offset > 0) {
			server.storage.userMessages = server.storage.userMessages
			    .filter((u) => u.botToken !== token ||
			    u.updateId >= offset);
		}
		const pending = () => server.storage.userMessages
		    .filter((u) => u.botToken === token && u.updateId >= offset)
		    .sort((a, b) => a.updateId - b.updateId)
		    .slice(0, limit);
		const answer = () => {
			const list = pending();
			list.forEach((u) => { u.isRead = true; });
			res.json({ ok: true, result: list.map((u) => u.raw ?
			    Object.assign({ update_id: u.updateId }, u.raw) :
			    TelegramServer.formatUpdate(u)) });
		};
		if (pending().length > 0 || timeout === 0) {
			answer();
			return;
		}
		let done = false;
		const wake = () => {
			if (done)
				return;
			done = true;
			clearTimeout(timer);
			server.off('AddedUserMessage', wake);
			server.off('AddedUserCallbackQuery', wake);
			answer();
		};
		const timer = setTimeout(wake, timeout * 1000);
		server.on('AddedUserMessage', wake);
		server.on('AddedUserCallbackQuery', wake);
		res.on('close', () => {
			if (!done) {
				done = true;
				clearTimeout(timer);
				server.off('AddedUserMessage', wake);
				server.off('AddedUserCallbackQuery', wake);
			}
		});
	});
}

// every bot call goes to the journal first
// injected faults: method -> {status, count, retry_after}
const faults = new Map();

function journalAll(app) {
	app.all('/bot:token/:method', upload.any(), (req, res, next) => {
		const f = faults.get(req.params.method);
		if (f && f.count > 0) {
			f.count--;
			f.hit = (f.hit || 0) + 1;
			if (f.status === 429)
				return res.status(429).json({ ok: false,
				    error_code: 429, description:
				    'Too Many Requests: retry after ' +
				    f.retry_after, parameters: { retry_after:
				    f.retry_after } });
			return res.status(f.status).type('text/html')
			    .send('<html><body>' + f.status +
			    ' Bad Gateway</body></html>');
		}
		const body = params(req);
		if (req.files && req.files.length > 0) {
			body.__files = req.files.map((f) => ({
				field: f.fieldname,
				name: f.originalname,
				size: f.size,
				content: f.buffer.toString('base64'),
			}));
		}
		req.body = body;
		if (req.params.method !== 'getUpdates') {
			// the message id the bot got back, for the tests
			const entry = record(req.params.method, body);
			const json = res.json.bind(res);
			res.json = (b) => {
				if (b && b.result && b.result.message_id)
					entry.result_id = b.result.message_id;
				entry.ok = !!(b && b.ok);
				return json(b);
			};
		}
		next();
	});
}

function htmlCheck(app) {
	// a text carrying FAIL-HTML is refused the way Telegram refuses
	// malformed entities, so the plain-text fallback can be tested
	app.all('/bot:token/sendMessage', (req, res, next) => {
		const p = req.body;
		if (p.parse_mode === 'HTML' && String(p.text).includes('FAIL-HTML')) {
			fail(res, 400, "Bad Request: can't parse entities: " +
			    'unsupported start tag');
			return;
		}
		next();
	});
}

function extraMethods(app, server) {
	app.all('/bot:token/sendDocument', (req, res) => {
		const p = req.body;
		const f = (p.__files || []).find((x) => x.field === 'document');
		if (!p.chat_id || !f) {
			fail(res, 400, 'Bad Request: there is no document in ' +
			    'the request');
			return;
		}
		const msg = server.addBotMessage({
			chat_id: p.chat_id,
			caption: p.caption,
			document: { file_name: f.name, file_size: f.size,
			    content: f.content },
		}, req.params.token);
		res.json({ ok: true, result: msg });
	});
	app.all('/bot:token/setMessageReaction', (req, res) => {
		if (!req.body.chat_id || !req.body.message_id) {
			fail(res, 400, 'Bad Request: message to react not found');
			return;
		}
		res.json({ ok: true, result: true });
	});
	app.all('/bot:token/leaveChat', (req, res) => {
		if (!req.body.chat_id) {
			fail(res, 400, 'Bad Request: chat not found');
			return;
		}
		res.json({ ok: true, result: true });
	});
	app.all('/bot:token/sendChatAction', (req, res) => {
		if (!req.body.chat_id || !req.body.action) {
			fail(res, 400, 'Bad Request: wrong parameters');
			return;
		}
		res.json({ ok: true, result: true });
	});
	app.all('/bot:token/getFile', (req, res) => {
		const id = String(req.body.file_id || '');
		if (!files.has(id)) {
			fail(res, 400, 'Bad Request: invalid file_id');
			return;
		}
		res.json({ ok: true, result: { file_id: id,
		    file_unique_id: id, file_size: files.get(id).length,
		    file_path: `documents/${id}` } });
	});
	app.get('/file/bot:token/documents/:id', (req, res) => {
		const b = files.get(req.params.id);
		if (!b) {
			res.status(404).end();
			return;
		}
		res.type('application/octet-stream').send(b);
	});
}

function testRoutes(app, server) {
	app.post('/__user/message', async (req, res) => {
		const b = req.body;
		const message = {
			botToken: b.token,
			from: b.from,
			chat: b.chat,
			date: Math.floor(Date.now() / 1000),
		};
		if (b.text !== undefined)
			message.text = b.text;
		if (b.caption !== undefined)
			message.caption = b.caption;
		if (b.reply_to_message)
			message.reply_to_message = b.reply_to_message;
		if (b.document) {
			const id = `file${fileSeq++}`;
			const buf = Buffer.from(b.document.content || '', 'base64');
			files.set(id, buf);
			message.document = { file_id: id, file_unique_id: id,
			    file_name: b.document.file_name, file_size: buf.length };
		}
		if (b.photo) {
			const id = `photo${fileSeq++}`;
			const buf = Buffer.from(b.photo.content || '', 'base64');
			files.set(id, buf);
			message.photo = [
				{ file_id: `${id}s`, file_unique_id: `${id}s`,
				    width: 90, height: 90, file_size: 10 },
				{ file_id: id, file_unique_id: id, width: 800,
				    height: 600, file_size: buf.length },
			];
		}
		const updateId = server.updateId;
		const messageId = server.messageId;
		await server.addUserMessage(message);
		res.json({ ok: true, result: { update_id: updateId,
		    message_id: messageId } });
	});
	app.post('/__user/callback', async (req, res) => {
		const b = req.body;
		const updateId = server.updateId;
		await server.addUserCallback({
			botToken: b.token,
			from: b.from,
			data: b.data,
			message: { message_id: b.message_id, chat: b.chat,
			    from: { id: 666, is_bot: true, first_name: 'Bot' } },
		});
		res.json({ ok: true, result: { update_id: updateId } });
	});
	// any update at all, as it is: for malformed-input tests
	app.post('/__user/raw', (req, res) => {
		const updateId = server.updateId++;
		server.storage.userMessages.push({ botToken: req.body.token,
		    updateId, time: Date.now(), isRead: false,
		    raw: req.body.update });
		server.emit('AddedUserMessage');
		res.json({ ok: true, result: { update_id: updateId } });
	});
	app.get('/__journal', (req, res) => {
		const since = Number(req.query.since || 0);
		res.json(journal.filter((j) => j.seq > since));
	});
	// the next COUNT calls of METHOD fail with STATUS (429 with
	// retry_after, or any other status with an HTML body as a proxy
	// in front of Telegram gives); GET shows how many were hit
	app.post('/__fault', (req, res) => {
		faults.set(String(req.body.method), { status:
		    Number(req.body.status), count: Number(req.body.count || 1),
		    retry_after: Number(req.body.retry_after || 1), hit: 0 });
		res.json({ ok: true });
	});
	app.get('/__fault', (req, res) => {
		res.json(Object.fromEntries(faults));
	});
	// when the bot's getUpdates calls came (the bench's ready time)
	app.get('/__polls', (req, res) => {
		res.json(polls);
	});
	app.post('/__search', (req, res) => {
		if (!/^Bearer ./.test(String(req.headers.authorization)))
			return res.status(401).json({ error: { message:
			    'no key' } });
		res.json({ search_result: [{ title: 'E2E-SEARCH-HIT for ' +
		    String(req.body.search_query), link:
		    'https://example.com/e2e', content: 'a snippet',
		    media: 'example', publish_date: '2026-01-01' }] });
	});
	app.get('/__updates', (req, res) => {
		res.json(server.storage.userMessages.map((u) => u.updateId));
	});
}

function start(port, host) {
	routes.unshift((app, server) => testRoutes(app, server));
	routes.unshift((app, server) => extraMethods(app, server));
	routes.unshift((app) => htmlCheck(app));
	routes.unshift((app, server) => longPoll(app, server));
	routes.unshift((app) => journalAll(app));
	const server = new TelegramServer({ port, host, storeTimeout: 3600 });
	return server.start().then(() => server);
}

module.exports = { start };

if (require.main === module) {
	const port = Number(process.argv[2] || 9000);
	start(port, '127.0.0.1').then(() => {
		process.stdout.write(`telegram stand-in on 127.0.0.1:${port}\n`);
	}).catch((e) => {
		process.stderr.write(`${e}\n`);
		process.exit(1);
	});
}
