/**
 * HAL md5 and digest responses against the RFC examples, on both HAL crypto implementations
 * (node:crypto and @noble): RFC 2617 section 3.5 (MD5, qop=auth), RFC 7616 section 3.9.1 (MD5 and
 * SHA-256, qop=auth), the RFC 2069 form (no qop) and -sess by hand from the definitions.
 */
import { describe, it, expect } from 'vitest';
import { createHash } from 'node:crypto';
import { HostCrypto } from '../../../hal/sim/crypto-host';
import { PortableCrypto } from '../../../hal/sim/crypto-portable';
import { digestResponse, ncText, supported, type DigestInput } from '../../../firmware/callmanager/sip/digest';

const md5 = (s: string) => createHash('md5').update(s, 'latin1').digest('hex');
const sha256 = (s: string) => createHash('sha256').update(s, 'latin1').digest('hex');

const RFC2617: DigestInput = {
  algorithm: '', username: 'Mufasa', realm: 'testrealm@host.com', password: 'Circle Of Life', method: 'GET',
  uri: '/dir/index.html', nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093', qop: 'auth', cnonce: '0a4f113b', nc: 1,
};
const RFC7616: DigestInput = {
  algorithm: 'MD5', username: 'Mufasa', realm: 'http-auth@example.org', password: 'Circle of Life', method: 'GET',
  uri: '/dir/index.html', nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v', qop: 'auth',
  cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ', nc: 1,
};

describe.each([['host', new HostCrypto()], ['portable', new PortableCrypto()]] as const)('digest (%s crypto)', (_n, crypto) => {
  it('HAL md5 (RFC 1321 appendix A.5), streaming in pieces', () => {
    const h = crypto.md5();
    h.update(new TextEncoder().encode('message '));
    h.update(new TextEncoder().encode('digest'));
    expect(Buffer.from(h.digest()).toString('hex')).toBe('f96b697d7cb7938d525a2f31aaf161d0');
    const e = crypto.md5();
    expect(Buffer.from(e.digest()).toString('hex')).toBe('d41d8cd98f00b204e9800998ecf8427e');
  });

  it('RFC 2617 3.5: MD5, qop=auth', () => {
    expect(digestResponse(crypto, RFC2617)).toBe('6629fae49393a05397450978507c4ef1');
  });

  it('RFC 7616 3.9.1: MD5 and SHA-256, qop=auth', () => {
    expect(digestResponse(crypto, RFC7616)).toBe('8ca523f5e9506fed4657c9700eebdbec');
    expect(digestResponse(crypto, { ...RFC7616, algorithm: 'SHA-256' })).toBe('753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1');
  });

  it('no qop: H(HA1:nonce:HA2) (RFC 2069, what a registrar without qop checks)', () => {
    const d = { ...RFC2617, qop: '' };
    const ha1 = md5('Mufasa:testrealm@host.com:Circle Of Life');
    expect(digestResponse(crypto, d)).toBe(md5(`${ha1}:${d.nonce}:${md5('GET:/dir/index.html')}`));
  });

  it('-sess: HA1 = H(H(user:realm:pass):nonce:cnonce); algorithm names are case-insensitive', () => {
    const d = { ...RFC7616, algorithm: 'sha-256-sess', nc: 0x2a };
    const ha1 = sha256(`${sha256('Mufasa:http-auth@example.org:Circle of Life')}:${d.nonce}:${d.cnonce}`);
    const ha2 = sha256('GET:/dir/index.html');
    expect(digestResponse(crypto, d)).toBe(sha256(`${ha1}:${d.nonce}:0000002a:${d.cnonce}:auth:${ha2}`));
  });

  it('refuses what it does not implement', () => {
    expect(digestResponse(crypto, { ...RFC7616, algorithm: 'SHA-512-256' })).toBeNull();
    expect(supported('AKAv1-MD5')).toBe(false);
    expect(['', 'md5', 'MD5-sess', 'SHA-256', 'SHA-256-SESS'].every(supported)).toBe(true);
    expect(ncText(1)).toBe('00000001');
    expect(ncText(0xffffffff)).toBe('ffffffff');
  });
});
