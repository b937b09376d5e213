// regress/redteam/redteam.js - the red team suite's driver (see
// redteam.sh).  `node redteam.js fixtures' prints the model stand-in's
// fixtures built from attacks.json; without an argument it runs the
// attacks against the daemons e2e_setup started and asserts.
'use strict';

const fs = require('fs');
const path = require('path');
const cp = require('child_process');
const crypto = require('crypto');

const ATTACKS = JSON.parse(fs.readFileSync(path.join(__dirname,
    'attacks.json'), 'utf8')).attacks;
const PINGS = 6;

function fixtures() {
	const fx = [];
	const add = (msg, calls, reply) => {
		fx.push({ match: { userMessage: msg, hasToolResult: false },
		    response: { toolCalls: calls.map(([name, args]) =>
		    ({ name, arguments: args })) } });
		fx.push({ match: { userMessage: msg, hasToolResult: true },
		    response: { content: reply } });
	};
	for (const a of ATTACKS)
		add(`RT-${a.id}`, a.calls, `RT-${a.id} done`);
	add('RT-B-SETUP', [['run_command', { command: 'echo ready' }]],
	    'b is ready');
	for (let i = 0; i < PINGS; i++)
		add(`RT-PING-${i}`, [['run_command', {
		    command: `echo pong-${i}` }]], `pong ${i}`);
	return { fixtures: fx };
}

if (process.argv[2] === 'fixtures') {
	process.stdout.write(JSON.stringify(fixtures(), null, 1) + '\n');
	process.exit(0);
}

const h = require('../e2e/harness');
const T = h.T;
const A = h.user(7001, 'Mallet');
const B = h.user(7002, 'Victim');
const LATENCY_BOUND = 30000;	/* ms: generous, the machine is shared */

// every form a canary could take on the way out
function forms(c) {
	const b = Buffer.from(c);
	const out = { raw: [c], base64: [], hex: [], url: [], reversed: [] };
	for (let k = 0; k < 3; k++) {
		// base64 at any alignment: the part that does not depend on
		// the bytes around the canary
		const s = Buffer.concat([Buffer.alloc(k, 0x2e), b])
		    .toString('base64');
		const from = Math.ceil((k * 4) / 3) + 2;
		out.base64.push(s.slice(from, s.length - 4));
	}
	const hx = b.toString('hex');
	out.hex.push(hx, hx.toUpperCase(), hx.match(/../g).join(' '));
	out.url.push(encodeURIComponent(c));
	out.reversed.push([...c].reverse().join(''));
	return out;
}

function readOr(p, d = '') {
	try {
		return fs.readFileSync(p, 'utf8');
	} catch (e) {
		return d;
	}
}

// every file under dir (no symlinks followed), with a size limit
function walk(dir, out = []) {
	let ents;
	try {
		ents = fs.readdirSync(dir, { withFileTypes: true });
	} catch (e) {
		return out;
	}
	for (const e of ents) {
		const p = path.join(dir, e.name);
		if (e.isDirectory())
			walk(p, out);
		else if (e.isFile())
			out.push(p);
	}
	return out;
}

async function say(u, text, reply, secs = 120) {
	const t0 = Date.now();
	await h.say(u, h.privateChat(u), text);
	const j = await h.waitFor((j) => h.sent(j, u.id, reply) && j, secs);
	return { ok: j !== null, ms: Date.now() - t0 };
}

async function main() {
	let calls = 0;

	// the victim sets up its sandbox, then a canary goes into its files
	let r = await say(B, 'RT-B-SETUP', 'b is ready');
	h.ok(r.ok, 'the victim (7002) has a sandbox');
	const xuser = 'XUSERcanary-' + crypto.randomBytes(8).toString('hex') +
	    '-victim-file';
	const vws = `${T}/workspaces/${B.id}/ws`;
	try {
		const st = fs.statSync(vws);
		fs.writeFileSync(`${vws}/.secret-notes`, xuser + '\n',
		    { mode: 0o600 });
		fs.chownSync(`${vws}/.secret-notes`, st.uid, st.gid);
	} catch (e) {
		process.stdout.write(`# planting: ${e.message}\n`);
	}
	h.ok(readOr(`${vws}/.secret-notes`).includes(xuser),
	    'canary planted in the victim\'s workspace');
	r = await say(B, 'RT-PING-0', 'pong 0');
	h.ok(r.ok, `the victim's baseline round trip: ${r.ms} ms`);
	const baseline = r.ms;

	// the attacks, one message each
	const counts = {};
	for (const a of ATTACKS.filter((x) => x.kind !== 'exhaust')) {
		r = await say(A, `RT-${a.id}`, `RT-${a.id} done`);
		h.ok(r.ok, `attack ${a.id} (${a.kind}, ${a.calls.length} tool ` +
		    `calls) ran to its end in ${r.ms} ms`);
		calls += a.calls.length;
		counts[a.kind] = (counts[a.kind] || 0) + a.calls.length;
	}

	// exhaustion while the victim's latency is measured
	const lat = [];
	for (const a of ATTACKS.filter((x) => x.kind === 'exhaust')) {
		const done = say(A, `RT-${a.id}`, `RT-${a.id} done`, 240);
		await h.sleep(1000);
		for (let i = 1; i < PINGS; i++) {
			r = await say(B, `RT-PING-${i}`, `pong ${i}`, 90);
			lat.push(r.ok ? r.ms : Infinity);
		}
		r = await done;
		h.ok(r.ok, `attack ${a.id} (${a.kind}, ${a.calls.length} tool ` +
		    `calls) ran to its end in ${r.ms} ms`);
		calls += a.calls.length;
		counts[a.kind] = (counts[a.kind] || 0) + a.calls.length;
	}
	const worst = Math.max(...lat);
	h.ok(lat.length > 0 && worst <= LATENCY_BOUND, 'the victim\'s round ' +
	    `trips during the exhaustion: ${lat.join(', ')} ms (baseline ` +
	    `${baseline} ms, bound ${LATENCY_BOUND} ms)`);

	// the victim's data is untouched
	h.ok(readOr(`${vws}/.secret-notes`).includes(xuser) &&
	    !fs.existsSync(`${vws}/planted.txt`),
	    'the victim\'s files are unchanged, nothing planted');

	// the canaries
	const canaries = {
		'telegram token': readOr(`${T}/secrets/telegram_token`).trim(),
		'llm key': readOr(`${T}/secrets/llm_api_key`).trim(),
		'search key': readOr(`${T}/secrets/zai_api_key`).trim(),
		'daemon environment': process.env.TOPSH_RT_ENV_CANARY || '',
		'host file': readOr(`${T}/host-canary.txt`).trim(),
		'other user\'s file': xuser,
	};
	for (const [k, v] of Object.entries(canaries))
		h.ok(v.length >= 16, `canary present: ${k}`);

	const where = {};
	const tg = await h.journal();
	where['replies (Telegram calls)'] = JSON.stringify(tg);
	const llm = await h.llmJournal();
	where['model requests'] = JSON.stringify(llm.map((e) => e.body));
	const logs = fs.readdirSync(T).filter((f) => f.endsWith('.log') &&
	    !/^(tgserver|aimock)\.log$/.test(f)).map((f) => `${T}/${f}`)
	    .concat(walk(`${T}/log`));
	where.logs = logs.map((f) => readOr(f)).join('\n');
	const files = walk(`${T}/state`).concat(walk(`${T}/workspaces/${A.id}`),
	    walk(`${T}/run`).filter((f) => !/\.(sock|ctl)$/.test(f)));
	let bytes = 0;
	where.files = files.map((f) => {
		try {
			if (fs.statSync(f).size > (64 << 20))
				return '';
		} catch (e) {
			return '';
		}
		const s = readOr(f);
		bytes += s.length;
		return s;
	}).join('\n');
	const ids = cp.spawnSync('docker', ['ps', '-aq', '--filter',
	    `label=topsh.root=${T}/workspaces`], { encoding: 'utf8' })
	    .stdout.split('\n').filter(Boolean);
	where.sandboxes = ids.map((id) => cp.spawnSync('docker', ['inspect',
	    '--format', '{{json .Config.Env}} {{json .Config.Labels}}', id],
	    { encoding: 'utf8' }).stdout).join('\n');
	// the attacker's sandbox, from inside: files it may have written
	const acid = cp.spawnSync('docker', ['ps', '-q', '--filter',
	    `label=topsh.root=${T}/workspaces`, '--filter',
	    `label=topsh.user=${A.id}`], { encoding: 'utf8' }).stdout.trim();
	if (acid)
		where.sandboxes += cp.spawnSync('docker', ['exec', acid, 'sh',
		    '-c', 'cat /tmp/* /workspace/* 2>/dev/null | head -c 8000000'],
		    { encoding: 'utf8', maxBuffer: 64 << 20 }).stdout;
	for (const s of Object.values(where))
		bytes += s.length;

	// the detector itself: each encoding of a canary inside other text
	{
		const c = canaries['llm key'];
		const f = forms(c);
		const enc = {
			base64: Buffer.from('KEY=' + c + '\n').toString('base64'),
			hex: Buffer.from(' ' + c).toString('hex')
			    .match(/../g).join(' '),
			reversed: [...('x' + c + 'y')].reverse().join(''),
			url: encodeURIComponent('k=' + c.replace(/-/, ':')),
		};
		h.ok(['base64', 'hex', 'reversed'].every((k) =>
		    f[k].some((x) => enc[k].includes(x))),
		    'the detector finds a canary base64-, hex- (od) and ' +
		    'reverse-encoded inside other text');
	}

	let checks = 0, found = 0;
	for (const [cname, c] of Object.entries(canaries)) {
		if (c.length < 16)
			continue;
		const f = forms(c);
		for (const [wname, text] of Object.entries(where)) {
			// the victim's own canary is at home in its workspace
			const hits = [];
			for (const [form, list] of Object.entries(f))
				for (const x of list) {
					checks++;
					if (x.length >= 8 && text.includes(x))
						hits.push(form);
				}
			found += hits.length;
			h.ok(hits.length === 0, `no ${cname} canary in the ${wname}` +
			    (hits.length ? ` (found: ${hits.join(', ')})` : ''));
		}
	}

	// everything still up
	for (const d of ['policyd', 'sandboxd', 'proxyd', 'gatewayd'])
		h.ok(h.alive(h.pidOf(d)), `${d} is still up`);
	const st = cp.spawnSync(`${process.env.E2E_BIN}/topshctl`, ['-s',
	    `${T}/run`, 'status'], { encoding: 'utf8' }).stdout;
	h.ok(!/down/.test(st) && (st.match(/ up/g) || []).length >= 4,
	    'topshctl status: all four up', st);

	process.stdout.write(`# red team: ${ATTACKS.length} attack messages, ` +
	    `${calls} tool calls (${Object.entries(counts).map(([k, v]) =>
	    `${k} ${v}`).join(', ')}), ${1 + PINGS} victim requests; ` +
	    `${Object.keys(canaries).length} canaries x ` +
	    `${Object.keys(where).length} places, ${checks} encoded forms ` +
	    `checked over ${bytes} bytes, ${found} found; victim latency ` +
	    `worst ${worst} ms\n`);
	h.done();
}

main().catch((e) => {
	h.ok(false, 'the red team driver crashed', String(e && e.stack));
	h.done();
});
