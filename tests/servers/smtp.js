'use strict';
// A real SMTP submission server for the tests, built on the smtp-server
// package (package-lock.json). It checks what a provider's submission port
// checks: STARTTLS before AUTH (unless SMTP_INSECURE_AUTH=1), AUTH PLAIN or
// LOGIN with the one test account, "535" for bad credentials, "530" for MAIL
// without AUTH.
//
// Usage: node smtp.js PORT DIR [USER PASS]   (USER/PASS default to the env
//        variables SMTP_USER / SMTP_PASS: test-only credentials)
// Listens on 127.0.0.1:PORT. Each message is stored as DIR/000001.eml,
// DIR/000002.eml, ... (the bytes received after DATA), and one JSON line per
// message is appended to DIR/envelopes.jsonl:
//   {"seq":1,"file":"000001.eml","mail_from":"a@x","rcpt_to":["b@y"],
//    "user":"USER","tls":true,"size":123}
// The TLS certificate is self-signed, made at start with `openssl` in a
// temporary directory (clients in tests use curl -k or similar).
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');
const { SMTPServer } = require('smtp-server');

const [port, dir] = [Number(process.argv[2]), process.argv[3]];
const user = process.argv[4] || process.env.SMTP_USER;
const pass = process.argv[5] || process.env.SMTP_PASS;
if (!port || !dir || !user || !pass) {
	console.error('usage: node smtp.js PORT DIR [USER PASS] (or SMTP_USER/SMTP_PASS)');
	process.exit(2);
}
fs.mkdirSync(dir, { recursive: true });

// Self-signed certificate for STARTTLS, valid for a day.
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'smtp-tls-'));
execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1',
	'-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
	'-keyout', path.join(tmp, 'key.pem'), '-out', path.join(tmp, 'cert.pem')], { stdio: 'ignore' });
const key = fs.readFileSync(path.join(tmp, 'key.pem'));
const cert = fs.readFileSync(path.join(tmp, 'cert.pem'));
fs.rmSync(tmp, { recursive: true, force: true });

// Continue the numbering of what is already in DIR (a restart keeps files).
let seq = fs.readdirSync(dir).filter((f) => /^\d{6}\.eml$/.test(f)).length;

const server = new SMTPServer({
	secure: false, // plain connection, upgraded with STARTTLS
	key,
	cert,
	authMethods: ['PLAIN', 'LOGIN'],
	authOptional: false,
	allowInsecureAuth: process.env.SMTP_INSECURE_AUTH === '1',
	size: 10 * 1024 * 1024,
	banner: 'test SMTP server',
	logger: false,
	onAuth(auth, session, cb) {
		if (auth.username === user && auth.password === pass) return cb(null, { user: auth.username });
		const e = new Error('Authentication credentials invalid');
		e.responseCode = 535;
		return cb(e);
	},
	onData(stream, session, cb) {
		const chunks = [];
		stream.on('data', (c) => chunks.push(c));
		stream.on('end', () => {
			if (stream.sizeExceeded) {
				const e = new Error('Message exceeds fixed maximum message size');
				e.responseCode = 552;
				return cb(e);
			}
			const data = Buffer.concat(chunks);
			seq += 1;
			const file = String(seq).padStart(6, '0') + '.eml';
			fs.writeFileSync(path.join(dir, file), data);
			const rec = {
				seq,
				file,
				mail_from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
				rcpt_to: session.envelope.rcptTo.map((r) => r.address),
				user: session.user,
				tls: Boolean(session.secure),
				size: data.length,
			};
			fs.appendFileSync(path.join(dir, 'envelopes.jsonl'), JSON.stringify(rec) + '\n');
			cb(null, `Message queued as ${file}`);
		});
	},
});
server.on('error', (e) => console.error('smtp:', e.message));
server.listen(port, '127.0.0.1', () => console.log(`smtp: listening on 127.0.0.1:${port}, storing in ${dir}`));
const stop = () => process.exit(0); // keep-alive sockets would delay close()
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
