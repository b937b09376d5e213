// harness.js - what the end-to-end scenarios share: acting as Telegram
// users against the stand-in (tgserver.js), reading what the bot sent
// (the stand-in's journal of Bot API calls) and what the model was asked
// (aimock's journal), restarting daemons, and TAP output.
//
// Environment (set by regress/e2e/e2e.sh): E2E_T (test dir), E2E_BIN,
// E2E_TG and E2E_LLM (ports), E2E_TOKEN (bot token), E2E_CONF.
'use strict';

const { spawn } = require('child_process');
const fs = require('fs');

const T = process.env.E2E_T;
const BIN = process.env.E2E_BIN;
const TG = `http://127.0.0.1:${process.env.E2E_TG}`;
const LLM = `http://127.0.0.1:${process.env.E2E_LLM}`;
const TOKEN = process.env.E2E_TOKEN;
const BOT_ID = 666;
const WAIT = Number(process.env.E2E_WAIT || 60);

let n = 0;
let failed = 0;

function ok(cond, name, diag) {
	n++;
	if (!cond)
		failed++;
	process.stdout.write(`${cond ? '' : 'not '}ok ${n} - ${name}\n`);
	if (!cond && diag !== undefined)
		process.stdout.write(`# ${String(typeof diag === 'string' ? diag :
		    JSON.stringify(diag)).slice(0, 2000).replace(/\n/g, '\n# ')}\n`);
	return cond;
}

function done() {
	process.stdout.write(`# ${n} tests, ${failed} failed\n`);
	process.exit(failed === 0 && n > 0 ? 0 : 1);
}

function sleep(ms) {
	return new Promise((r) => setTimeout(r, ms));
}

async function request(url, body) {
	const res = await fetch(url, body === undefined ? {} : {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify(body),
	});
	return res.json();
}

function user(id, name) {
	return { id, is_bot: false, first_name: name, username: name.toLowerCase() };
}

function privateChat(u) {
	return { id: u.id, type: 'private', first_name: u.first_name };
}

function groupChat(id, title) {
	return { id, type: 'group', title };
}

// a message from u in chat; extra: reply_to_message, document, caption
async function say(u, chat, text, extra = {}) {
	const r = await request(`${TG}/__user/message`, Object.assign({
		token: TOKEN, from: u, chat, text }, extra));
	return r.result;
}

async function press(u, chat, messageId, data) {
	const r = await request(`${TG}/__user/callback`, {
		token: TOKEN, from: u, chat, message_id: messageId, data });
	return r.result;
}

async function rawUpdate(update) {
	const r = await request(`${TG}/__user/raw`, { token: TOKEN, update });
	return r.result;
}

async function journal(since = 0) {
	return request(`${TG}/__journal?since=${since}`);
}

async function llmJournal() {
	const j = await request(`${LLM}/__aimock/journal`);
	return Array.isArray(j) ? j : (j.entries || j.journal || []);
}

// poll until fn(journal) gives something truthy; null after WAIT seconds
async function waitFor(fn, secs = WAIT) {
	const end = Date.now() + secs * 1000;
	for (;;) {
		const v = fn(await journal());
		if (v)
			return v;
		if (Date.now() > end)
			return null;
		await sleep(150);
	}
}

// the bot calls of a method to a chat
function calls(j, method, chatId) {
	return j.filter((c) => c.method === method &&
	    (chatId === undefined || String(c.body.chat_id) === String(chatId)));
}

function texts(j, chatId) {
	return calls(j, 'sendMessage', chatId).map((c) => String(c.body.text));
}

// a sendMessage to chatId whose text contains s
function sent(j, chatId, s) {
	return calls(j, 'sendMessage', chatId).find((c) =>
	    String(c.body.text).includes(s));
}

function reactions(j, chatId, messageId) {
	return calls(j, 'setMessageReaction', chatId)
	    .filter((c) => Number(c.body.message_id) === Number(messageId))
	    .map((c) => c.body.reaction[0].emoji);
}

// the requests the model received whose last user message contains s
async function modelRequests(s) {
	const j = await llmJournal();
	return j.filter((e) => {
		const msgs = (e.body && Array.isArray(e.body.messages) &&
		    e.body.messages) || [];
		const users = msgs.filter((m) => m.role === 'user');
		const last = users[users.length - 1];
		return last && String(last.content).includes(s);
	}).map((e) => e.body);
}

function pidOf(d) {
	try {
		return Number(fs.readFileSync(`${T}/${d}.pid`, 'utf8'));
	} catch (e) {
		return 0;
	}
}

function alive(pid) {
	try {
		process.kill(pid, 0);
		return true;
	} catch (e) {
		return false;
	}
}

async function stopDaemon(d, signal = 'SIGTERM') {
	const pid = pidOf(d);
	if (pid <= 0)
		return;
	try {
		process.kill(pid, signal);
	} catch (e) {
		return;
	}
	for (let i = 0; i < 100 && alive(pid); i++)
		await sleep(100);
}

function startDaemon(d) {
	const log = fs.openSync(`${T}/${d}.log`, 'a');
	const child = spawn(`${BIN}/${d}`, ['-d', '-f', process.env.E2E_CONF],
	    { stdio: ['ignore', log, log], detached: true });
	fs.writeFileSync(`${T}/${d}.pid`, String(child.pid));
	child.unref();
	return child.pid;
}

async function restartDaemon(d, signal = 'SIGTERM') {
	await stopDaemon(d, signal);
	return startDaemon(d);
}

// a file of gatewayd's state directory, '' (and a note) when unreadable
function stateFile(rel) {
	try {
		return fs.readFileSync(`${T}/state/gatewayd/${rel}`, 'utf8');
	} catch (e) {
		process.stdout.write(`# state file ${rel}: ${e.message}\n`);
		return '';
	}
}

// a state file once pred(contents) holds: gatewayd commits what it
// writes within milliseconds (gatewayd/state.c), not before it answers;
// the last contents read when pred never holds within ms
async function stateWait(rel, pred, ms = 3000) {
	const end = Date.now() + ms;
	let s = '';
	for (;;) {
		try {
			s = fs.readFileSync(`${T}/state/gatewayd/${rel}`, 'utf8');
		} catch (e) {
			s = '';
		}
		if (pred(s) || Date.now() > end)
			return s;
		await sleep(20);
	}
}

module.exports = {
	ok, done, sleep, user, privateChat, groupChat, say, press, rawUpdate,
	stateWait,
	journal,
	llmJournal, waitFor, calls, texts, sent, reactions, modelRequests,
	stopDaemon, startDaemon, restartDaemon, pidOf, alive, stateFile,
	BOT_ID, T,
};
