'use strict';
// cdp.js: drives a headless Chromium through the DevTools protocol, as a
// person on a phone would: opens a page, optionally types into a field,
// ticks a box and presses the page's button with real mouse events (the
// pages carry no JavaScript: the browser submits the form itself), waits
// for the next page and saves a phone-sized screenshot and the HTML of
// every page it shows. Node built-ins only (fetch, and WebSocket behind
// --experimental-websocket in node 20).
//
// Usage: node --experimental-websocket cdp.js DEVTOOLS_PORT OUTDIR STEP...
//   open:NAME:URL       load URL; save OUTDIR/NAME.png and NAME.html
//   type:SELECTOR:TEXT  replace the field's value by typing TEXT
//   tick:SELECTOR       click the checkbox
//   press:NAME          click the first <button>, wait for the page it
//                       loads; save OUTDIR/NAME.png and NAME.html
// Prints one JSON line per page: {"name", "status", "url", "title"}.
// Exits 1 with a message on stderr when a step fails.

const fs = require('fs');
const path = require('path');

const [port, outdir, ...steps] = process.argv.slice(2);
const PHONE = { width: 412, height: 915, deviceScaleFactor: 2, mobile: true };
const TIMEOUT_MS = 15000;

function fail(msg) {
	process.stderr.write(`cdp.js: ${msg}\n`);
	process.exit(1);
}

async function main() {
	const list = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
	const target = list.find((t) => t.type === 'page');
	if (!target) fail('no page target');
	const ws = new WebSocket(target.webSocketDebuggerUrl);
	await new Promise((ok, ko) => {
		ws.onopen = ok;
		ws.onerror = () => ko(new Error('cannot connect to the DevTools socket'));
	});
	let next = 1;
	const pending = new Map();
	const waiters = [];
	let docStatus = 0;
	ws.onmessage = (m) => {
		const msg = JSON.parse(m.data);
		if (msg.id && pending.has(msg.id)) {
			const { ok, ko } = pending.get(msg.id);
			pending.delete(msg.id);
			if (msg.error) ko(new Error(JSON.stringify(msg.error)));
			else ok(msg.result);
			return;
		}
		if (msg.method === 'Network.responseReceived' && msg.params.type === 'Document') {
			docStatus = msg.params.response.status;
		}
		for (const w of waiters.slice()) {
			if (w.method === msg.method) {
				waiters.splice(waiters.indexOf(w), 1);
				w.ok(msg.params);
			}
		}
	};
	const send = (method, params = {}) => new Promise((ok, ko) => {
		const id = next++;
		pending.set(id, { ok, ko });
		ws.send(JSON.stringify({ id, method, params }));
	});
	const waitFor = (method) => new Promise((ok, ko) => {
		const w = { method, ok };
		waiters.push(w);
		setTimeout(() => ko(new Error(`timed out waiting for ${method}`)), TIMEOUT_MS);
	});
	const evaluate = async (expr) => {
		const r = await send('Runtime.evaluate', { expression: expr, returnByValue: true });
		if (r.exceptionDetails) throw new Error(`evaluate failed: ${expr}`);
		return r.result.value;
	};
	const save = async (name) => {
		const shot = await send('Page.captureScreenshot', { format: 'png' });
		fs.writeFileSync(path.join(outdir, `${name}.png`), Buffer.from(shot.data, 'base64'));
		const html = await evaluate('document.documentElement.outerHTML');
		fs.writeFileSync(path.join(outdir, `${name}.html`), html);
		const info = { name, status: docStatus, url: await evaluate('location.href'),
			title: await evaluate('document.title') };
		process.stdout.write(JSON.stringify(info) + '\n');
	};
	// A real click in the middle of the element, as a finger would.
	const click = async (selector) => {
		const box = await evaluate(`(() => { const e = document.querySelector(${JSON.stringify(selector)});
			if (!e) return null; e.scrollIntoView({block: 'center'});
			const r = e.getBoundingClientRect(); return {x: r.x + r.width / 2, y: r.y + r.height / 2}; })()`);
		if (!box) throw new Error(`no element ${selector}`);
		for (const type of ['mousePressed', 'mouseReleased']) {
			await send('Input.dispatchMouseEvent', { type, x: box.x, y: box.y, button: 'left', clickCount: 1 });
		}
	};

	await send('Page.enable');
	await send('Network.enable');
	await send('Runtime.enable');
	await send('Emulation.setDeviceMetricsOverride', PHONE);
	for (const step of steps) {
		const [verb, a, ...rest] = step.split(':');
		const b = rest.join(':');
		if (verb === 'open') {
			const loaded = waitFor('Page.loadEventFired');
			docStatus = 0;
			await send('Page.navigate', { url: b });
			await loaded;
			await save(a);
		} else if (verb === 'type') {
			await click(a);
			await evaluate(`document.querySelector(${JSON.stringify(a)}).select()`);
			await send('Input.insertText', { text: b });
		} else if (verb === 'tick') {
			await click(a);
		} else if (verb === 'press') {
			const loaded = waitFor('Page.loadEventFired');
			docStatus = 0;
			await click('button');
			await loaded;
			await save(a);
		} else {
			fail(`unknown step ${step}`);
		}
	}
	ws.close();
}

main().then(() => process.exit(0), (e) => fail(e.message));
