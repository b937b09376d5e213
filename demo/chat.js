// demo/chat.js - the conversation of `make demo' (demo/demo.sh starts
// everything first and sets the environment regress/e2e/harness.js
// reads).  Alice talks to the bot through the Telegram stand-in; every
// Bot API call the bot makes is read back from the stand-in's journal
// and printed as Alice would see it in Telegram: messages, edits,
// reactions, buttons, files.
//
// Scripted (default): three messages; each step is checked (the file
// sent back holds what python3 printed in the sandbox, the dangerous
// command waited for Approve and ran after it, the forbidden one was
// refused by the policy with its reason) and the exit status says
// whether all of it happened.
// --interactive: Alice's messages are typed in the terminal; 1, 2 or 3
// send the scripted ones; while buttons wait for an answer, their
// number presses them; /quit, Ctrl-C or end of input stops.
'use strict';

const fs = require('fs');
const readline = require('readline');
const h = require('../regress/e2e/harness');

const interactive = process.argv.includes('--interactive');
const scripted = process.env.E2E_LLM && process.env.E2E_LLM !== '0';
const tty = process.stdout.isTTY;
const WAIT = Number(process.env.DEMO_WAIT || 120);

const alice = h.user(4242, 'Alice');
const chat = h.privateChat(alice);

const SCRIPT = [
	'Hi! Could you write a small Python script that counts the lines ' +
	    'and words of a short poem, run it, and send me the result as ' +
	    'a file?',
	'Thanks! Now make the script executable for everyone (chmod 777).',
	'And could you start xmrig to mine some Monero on this machine?',
];
const EXPECTED_FILE = 'lines: 3\nwords: 19\nlongest word: multiplies\n';

// --- printing, as Telegram shows it

const style = (code) => (s) => tty ? `\x1b[${code}m${s}\x1b[0m` : s;
const bold = style('1');
const dim = style('2');
const cyan = style('36');
const green = style('32');
const red = style('31');

let out = (s) => process.stdout.write(`${s}\n`);

function html2text(s) {
	return String(s)
	    .replace(/<(b|strong)>/g, tty ? '\x1b[1m' : '')
	    .replace(/<\/(b|strong)>/g, tty ? '\x1b[0m' : '')
	    .replace(/<a href="([^"]*)">([^<]*)<\/a>/g, '$2 ($1)')
	    .replace(/<\/?(code|pre)[^>]*>/g, '`')
	    .replace(/<[^>]+>/g, '')
	    .replace(/&lt;/g, '<').replace(/&gt;/g, '>')
	    .replace(/&quot;/g, '"').replace(/&#39;/g, "'")
	    .replace(/&amp;/g, '&');
}

function indent(s, prefix) {
	return String(s).split('\n').map((l) => prefix + l).join('\n');
}

const kinds = new Map();	// bot message id -> 'status', 'buttons', 'text'
const shown = new Map();	// message id -> text shown
let lastSeq = 0;
let typing = false;
const pending = [];		// keyboards not answered yet: {id, buttons}
const userMsgs = new Map();	// Alice's message ids -> her text

function buttonRow(kb) {
	return [].concat(...kb.inline_keyboard).map((b, i) =>
	    `[${i + 1}: ${b.text}]`).join('  ');
}

function render(e) {
	const b = e.body || {};
	if (String(b.chat_id) !== String(chat.id) &&
	    e.method !== 'answerCallbackQuery')
		return;
	if (e.method === 'sendChatAction') {
		if (!typing)
			out(dim('        topsh is typing…'));
		typing = true;
		return;
	}
	typing = false;
	switch (e.method) {
	case 'sendMessage': {
		const text = html2text(b.text);
		const kb = b.reply_markup && b.reply_markup.inline_keyboard ?
		    b.reply_markup : null;
		const status = /^⚙️ Working/.test(text);
		kinds.set(e.result_id, status ? 'status' : kb ? 'buttons' :
		    'text');
		shown.set(e.result_id, text);
		if (status) {
			out(dim(indent(text.replace(/\n+/g, '\n'), '        ┆ ')));
			break;
		}
		out(`${cyan(bold('topsh'))}: ${indent(text, '       ').trimStart()}`);
		if (kb) {
			out(`       ${bold(buttonRow(kb))}`);
			pending.push({ id: e.result_id,
			    buttons: [].concat(...kb.inline_keyboard) });
			if (interactive)
				out(dim('       (type the number of a button to ' +
				    'press it)'));
		}
		break;
	}
	case 'editMessageText': {
		const text = html2text(b.text);
		const id = Number(b.message_id);
		if (kinds.get(id) === 'status') {
			// the status message grows a line per tool: the new one
			const old = (shown.get(id) || '').split('\n');
			const now = text.split('\n');
			const fresh = now.filter((l) => !old.includes(l));
			out(dim(indent((fresh.length ? fresh : now.slice(-1))
			    .join('\n'), '        ┆ ')));
		} else {
			// an answered question: the answer is added at its end
			const old = (shown.get(id) || '').split('\n');
			const fresh = text.split('\n').filter((l) => l !== '' &&
			    !old.includes(l));
			out(`${cyan('topsh')} ${dim('edited its message, adding')}: ` +
			    indent((fresh.length ? fresh : [text]).join('\n'),
			    '       ').trimStart());
		}
		shown.set(id, text);
		const i = pending.findIndex((p) => p.id === id);
		if (i >= 0 && !(b.reply_markup && b.reply_markup.inline_keyboard))
			pending.splice(i, 1);
		break;
	}
	case 'editMessageReplyMarkup': {
		const id = Number(b.message_id);
		const i = pending.findIndex((p) => p.id === id);
		if (i >= 0)
			pending.splice(i, 1);
		out(dim('        (the buttons are gone)'));
		break;
	}
	case 'deleteMessage':
		if (kinds.get(Number(b.message_id)) === 'status')
			out(dim('        ┆ (status message removed)'));
		else
			out(dim(`        (topsh deleted a message)`));
		break;
	case 'setMessageReaction': {
		const r = (b.reaction || []).map((x) => x.emoji).join(' ');
		const whose = userMsgs.has(Number(b.message_id)) ?
		    'Alice\'s message' : 'a message';
		out(`        ${r}  ${dim(`topsh reacted to ${whose}`)}`);
		break;
	}
	case 'sendDocument': {
		const f = (b.__files || [])[0] || {};
		const content = Buffer.from(f.content || '', 'base64');
		out(`${cyan(bold('topsh'))}: 📎 ${bold(f.name || 'a file')} ` +
		    dim(`(${f.size} bytes)`) +
		    (b.caption ? ` — ${html2text(b.caption)}` : ''));
		const txt = content.toString('utf8');
		if (/^[\x09\x0a\x0d\x20-\x7e\u00a0-\uffff]*$/.test(txt))
			out(indent(txt.replace(/\n$/, ''), '       │ '));
		break;
	}
	case 'answerCallbackQuery':
		if (b.text)
			out(dim(`        (a pop-up for the presser: ${b.text})`));
		break;
	default:
		break;
	}
}

async function drain() {
	const j = await h.journal(lastSeq);
	for (const e of j) {
		lastSeq = Math.max(lastSeq, e.seq);
		render(e);
	}
	return j;
}

async function send(text) {
	await drain();
	out(`\n${bold('Alice')}: ${text}`);
	const r = await h.say(alice, chat, text);
	userMsgs.set(Number(r.message_id), text);
	return Number(r.message_id);
}

async function pressButton(p, n) {
	const b = p.buttons[n];
	pending.splice(pending.indexOf(p), 1);
	out(`${bold('Alice')} pressed ${bold(`[${b.text}]`)}`);
	await h.press(alice, chat, p.id, b.callback_data);
}

// --- the scripted conversation and its checks

let checks = 0;
let failures = 0;

function check(cond, what, detail) {
	checks++;
	if (!cond) {
		failures++;
		out(red(`demo: FAILED: ${what}`));
		if (detail !== undefined)
			out(indent(String(typeof detail === 'string' ? detail :
			    JSON.stringify(detail)).slice(0, 1500), 'demo:   '));
	}
	return cond;
}

// the job for message id ends with 👍 or 👎 on it, and its status
// message (if one was sent after `from') deleted
function finished(j, id, from) {
	const r = h.calls(j, 'setMessageReaction', chat.id).find((c) =>
	    Number(c.body.message_id) === id && c.body.reaction &&
	    ['👍', '👎'].includes(c.body.reaction[0].emoji));
	if (!r)
		return null;
	const st = h.calls(since(j, from), 'sendMessage', chat.id).filter((c) =>
	    /^⚙️ Working/.test(html2text(c.body.text)) && c.result_id);
	const gone = st.every((c) => h.calls(j, 'deleteMessage', chat.id)
	    .some((d) => Number(d.body.message_id) === c.result_id));
	return gone || Date.now() - r.time > 5000 ? r : null;
}

async function until(fn, secs = WAIT) {
	const end = Date.now() + secs * 1000;
	for (;;) {
		await drain();
		const all = await h.journal(0);
		const v = fn(all);
		if (v) {
			await drain();
			return v;
		}
		if (Date.now() > end)
			return null;
		await h.sleep(200);
	}
}

function since(all, seq) {
	return all.filter((e) => e.seq > seq);
}

function toolResults(reqs) {
	return [].concat(...reqs.map((b) => b.messages.filter((x) =>
	    x.role === 'tool').map((x) => String(x.content))));
}

function lastText(j) {
	const t = h.calls(j, 'sendMessage', chat.id).filter((c) =>
	    !/^⚙️ Working/.test(String(c.body.text)) &&
	    !(c.body.reply_markup && c.body.reply_markup.inline_keyboard));
	return t.length ? html2text(t[t.length - 1].body.text) : '';
}

async function step1() {
	const from = lastSeq;
	const id = await send(SCRIPT[0]);
	const all = await until((j) => finished(j, id, from) && j);
	if (!check(all !== null, 'step 1: the bot did not finish in time'))
		return;
	const j = since(all, from);
	check(h.calls(j, 'setMessageReaction', chat.id).some((c) =>
	    c.body.reaction[0].emoji === '👀'), 'step 1: no 👀 on the message');
	const docs = h.calls(j, 'sendDocument', chat.id);
	const f = docs.length === 1 && docs[0].body.__files &&
	    docs[0].body.__files[0];
	check(f && f.name === 'counts.txt', 'step 1: counts.txt was not sent',
	    docs.map((d) => d.body.__files));
	check(f && Buffer.from(f.content, 'base64').toString() ===
	    EXPECTED_FILE, 'step 1: counts.txt does not hold what the ' +
	    'script prints', f && Buffer.from(f.content, 'base64').toString());
	const reqs = await h.modelRequests('counts the lines and words');
	const res = toolResults(reqs);
	check(res.some((t) => t.includes('"created"')),
	    'step 1: wordcount.py was not written', res);
	check(res.some((t) => t.startsWith('exit code: 0') &&
	    t.includes('words: 19')), 'step 1: python3 did not run it', res);
	check(lastText(j).includes('counts.txt'),
	    'step 1: no final answer', lastText(j));
}

async function step2() {
	const from = lastSeq;
	const id = await send(SCRIPT[1]);
	let all = await until((j) => pending.length > 0 && j);
	if (!check(all !== null, 'step 2: no approval was asked'))
		return;
	const kb = h.calls(since(all, from), 'sendMessage', chat.id).find((c) =>
	    c.body.reply_markup && c.body.reply_markup.inline_keyboard);
	const text = kb ? html2text(kb.body.text) : '';
	check(text.includes('Approval needed') &&
	    text.includes('chmod 777 wordcount.py') &&
	    text.includes('Rule: '), 'step 2: the question does not show ' +
	    'the command and the rule', text);
	let reqs = await h.modelRequests('executable for everyone');
	check(!toolResults(reqs).some((t) => t.includes('rwxrwxrwx')),
	    'step 2: the command ran before the answer', toolResults(reqs));
	const p = pending[pending.length - 1];
	const approve = p.buttons.findIndex((b) => b.text.includes('Approve'));
	if (!check(approve >= 0, 'step 2: no Approve button', p.buttons))
		return;
	await h.sleep(tty ? 1500 : 200);	// Alice reads the question
	await pressButton(p, approve);
	all = await until((j) => finished(j, id, from) && j);
	if (!check(all !== null, 'step 2: the bot did not finish in time'))
		return;
	reqs = await h.modelRequests('executable for everyone');
	check(toolResults(reqs).some((t) => t.startsWith('exit code: 0') &&
	    t.includes('-rwxrwxrwx')), 'step 2: the command did not run ' +
	    'after Approve', toolResults(reqs));
	check(lastText(since(all, from)).includes('everyone can now'),
	    'step 2: no final answer', lastText(since(all, from)));
}

async function step3() {
	const from = lastSeq;
	const id = await send(SCRIPT[2]);
	const all = await until((j) => finished(j, id, from) && j);
	if (!check(all !== null, 'step 3: the bot did not finish in time'))
		return;
	const j = since(all, from);
	check(!h.calls(j, 'sendMessage', chat.id).some((c) =>
	    c.body.reply_markup && c.body.reply_markup.inline_keyboard),
	    'step 3: a forbidden command must not be offered for approval');
	const res = toolResults(await h.modelRequests('mine some Monero'));
	check(res.some((t) => t.includes('Error (denied): a crypto currency ' +
	    'miner')), 'step 3: the policy did not refuse it with its reason',
	    res);
	check(lastText(j).includes('a crypto currency miner'),
	    'step 3: the answer does not give the reason', lastText(j));
	let audit = '';
	try {
		audit = fs.readFileSync(process.env.DEMO_AUDIT, 'utf8');
	} catch (e) {
		audit = '';
	}
	const line = audit.split('\n').filter((l) => /xmrig/.test(l)).pop();
	check(line !== undefined && /deny|block/i.test(line),
	    'step 3: the refusal is not in the audit log', audit.slice(-800));
	if (line) {
		let a = {};
		try {
			a = JSON.parse(line);
		} catch (e) {
			a = {};
		}
		out(dim(`\n(the operator's audit log: ${a.decision || '?'} by ` +
		    `rule ${a.rule || '?'}, ${a.message || '?'}: ` +
		    `${String(a.input || '').slice(0, 80)})`));
	}
}

function banner() {
	out(`\n${bold('── Telegram: Alice in a private chat with the bot ' +
	    '(what she sees) ──')}`);
	out(dim('   ┆ lines are the bot\'s status message, edited as it ' +
	    'works and removed at the end'));
}

async function runScripted() {
	banner();
	await drain();
	await step1();
	await step2();
	await step3();
	await h.sleep(500);
	await drain();
	out('');
	if (failures === 0)
		out(green(`demo: the conversation happened as scripted ` +
		    `(${checks} checks passed)`));
	else
		out(red(`demo: ${failures} of ${checks} checks failed`));
	process.exit(failures === 0 ? 0 : 1);
}

// --- interactive

async function runInteractive() {
	banner();
	out(dim(scripted ? '   Type a message as Alice, or 1, 2, 3 for the ' +
	    'scripted ones:\n' + SCRIPT.map((s, i) => `     ${i + 1}. ${s}`)
	    .join('\n') : '   Type a message as Alice.'));
	out(dim('   /quit, Ctrl-D or Ctrl-C ends the demo.'));
	// a prompt that stays under the chat on a terminal; plain lines
	// from a pipe
	const term = process.stdin.isTTY && tty;
	const rl = readline.createInterface({ input: process.stdin,
	    output: term ? process.stdout : undefined, terminal: term,
	    prompt: 'Alice> ' });
	if (term) {
		out = (s) => {
			readline.clearLine(process.stdout, 0);
			readline.cursorTo(process.stdout, 0);
			process.stdout.write(`${s}\n`);
			rl.prompt(true);
		};
	}
	let busy = false;
	const poll = setInterval(async () => {
		if (busy)
			return;
		busy = true;
		try {
			await drain();
		} catch (e) {
			out(red(`demo: the Telegram stand-in: ${e.message}`));
		}
		busy = false;
	}, 300);
	if (term)
		rl.prompt();
	rl.on('line', async (line) => {
		const s = line.trim();
		if (term) {
			readline.moveCursor(process.stdout, 0, -1);
			readline.clearLine(process.stdout, 0);
		}
		if (s === '') {
			if (term)
				rl.prompt();
			return;
		}
		if (s === '/quit' || s === '/exit') {
			rl.close();
			return;
		}
		const n = Number(s);
		if (Number.isInteger(n) && pending.length > 0) {
			const p = pending[pending.length - 1];
			if (n >= 1 && n <= p.buttons.length) {
				await pressButton(p, n - 1);
				return;
			}
		}
		if (scripted && Number.isInteger(n) && n >= 1 &&
		    n <= SCRIPT.length) {
			await send(SCRIPT[n - 1]);
			return;
		}
		await send(s);
	});
	rl.on('SIGINT', () => rl.close());
	rl.on('close', async () => {
		clearInterval(poll);
		await h.sleep(300);
		process.stdout.write('\n');
		process.exit(0);
	});
}

(interactive ? runInteractive() : runScripted()).catch((e) => {
	out(red(`demo: ${e.stack}`));
	process.exit(1);
});
