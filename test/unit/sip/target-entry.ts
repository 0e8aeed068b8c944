/**
 * Target fixture (target code): the SIP codec, digest and REGISTER machine run inside the
 * engine against a scripted registrar built in the same guest with the same codec. It logs
 * the RFC digest vectors through hal.crypto (md5 and sha256 host calls), every message the
 * phone sends and every event. target.test.ts runs it natively and in QuickJS (with and
 * without the Espruino-semantics prelude) and wants the same lines.
 */
import type { Hal } from '../../../hal/index';
import * as w from '../../../firmware/callmanager/sip/wire';
import { digestResponse } from '../../../firmware/callmanager/sip/digest';
import { SipRegister } from '../../../firmware/callmanager/sip/register';
import type { SipEvent } from '../../../firmware/callmanager/sip/register';

function text(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
  return s;
}

/** The registrar's answer to `req`: 401 (MD5 or SHA-256, stale on the third) until credentials come, then 200. */
function answer(req: w.SipMsg, n: number): Uint8Array {
  const m = w.newMsg();
  m.status = req.auth === null || n === 3 ? 401 : 200;
  m.reason = m.status === 200 ? 'OK' : 'Unauthorized';
  m.via = req.via;
  m.from = req.from;
  m.to = { display: '', uri: req.to.uri, tag: 't' + n };
  m.callId = req.callId;
  m.cseq = req.cseq;
  m.cseqMethod = 'REGISTER';
  if (m.status === 401) {
    m.challenges = [{ proxy: false, realm: 'lab', nonce: 'n' + n, opaque: 'o', algorithm: n > 2 ? 'SHA-256' : 'MD5', qop: 'auth', stale: n === 3 }];
  } else {
    m.contacts = [{ display: '', uri: req.contacts[0].uri, expires: req.expires === 0 ? 0 : 120 }];
  }
  const b = new Uint8Array(w.bufferLen(m));
  w.emit(m, b, 0);
  return b;
}

export function main(hal: Hal): void {
  const log = function (s: string): void { hal.system.log(1, 'sip', s); };
  log('rfc2617 ' + digestResponse(hal.crypto, { algorithm: '', username: 'Mufasa', realm: 'testrealm@host.com', password: 'Circle Of Life',
    method: 'GET', uri: '/dir/index.html', nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093', qop: 'auth', cnonce: '0a4f113b', nc: 1 }));
  log('rfc7616 ' + digestResponse(hal.crypto, { algorithm: 'SHA-256', username: 'Mufasa', realm: 'http-auth@example.org', password: 'Circle of Life',
    method: 'GET', uri: '/dir/index.html', nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v', qop: 'auth',
    cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ', nc: 1 }));
  let seed = 12345;
  const c = new SipRegister({
    user: '1001', password: 'secret', displayName: 'Zoë', transport: 'UDP', targets: [{ host: '10.1.100.1', port: 5060 }],
    localIp: 0x0a016464, crypto: hal.crypto, random: function (): number { seed = (seed * 1103515245 + 12345) >>> 0; return seed; },
  });
  let now = 0;
  let n = 0;
  const inbox: Uint8Array[] = [];
  const out = {
    send: function (b: Uint8Array): boolean {
      const r = w.parse(b);
      log('> ' + text(b).split('\r\n').join('|'));
      if (r.ok) inbox.push(answer(r.value, ++n));
      return true;
    },
  };
  c.start(now);
  for (let round = 0; round < 40 && c.state() !== 'done'; round++) {
    for (let e: SipEvent | null = c.poll(); e !== null; e = c.poll()) {
      log('event ' + e.kind + (e.kind === 'registered' ? ' ' + e.expires + ' ' + e.refresh : ''));
      if (e.kind === 'connect') c.transportUp(now, 5060);
    }
    if (c.pollAt() <= now) c.dispatch(now, out);
    else if (inbox.length > 0) c.receive(inbox.shift() as Uint8Array, now);
    else if (n >= 5) c.stop(now);
    else now = c.pollAt();
  }
  for (let e: SipEvent | null = c.poll(); e !== null; e = c.poll()) log('event ' + e.kind);
  log('state ' + c.state() + ' at ' + now);
}
