/**
 * Kamailio 5.6 as a SIP registrar in a lab namespace (../shared reference interop.md
 * section 5, trimmed): UDP and TCP on one address, usrloc in memory, the ctl socket for
 * kamcmd. With `auth` the route challenges with auth_challenge (qop=auth) and checks a
 * fixed user table with pv_auth_check; a right digest on an expired or reused nonce (return
 * codes -4, -6) is challenged again with stale=true (flag 16). `algorithm` picks MD5 or
 * SHA-256; nonce_count is on, so a reused nonce must count up. Ready once ctl listens.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import type { NetnsLab } from '../../../tools/bridge/lab';
import type { Daemon } from '../../../tools/bridge/proc';

export interface KamailioOptions {
  ip: string;
  dir: string;
  /** Fixed users (AoR user -> password); absent: no authentication. */
  auth?: Record<string, string>;
  algorithm?: 'MD5' | 'SHA-256';
  /** auth nonce_expire, s (default 300). */
  nonceExpire?: number;
  /** registrar min_expires, s (default 60). */
  minExpires?: number;
}

export interface Kamailio {
  daemon: Daemon;
  ctl: string;
  /** `kamcmd ul.dump` text. */
  ulDump(): Promise<string>;
}

export function kamailioConfig(o: KamailioOptions, ctl: string): string {
  const users = Object.entries(o.auth ?? {});
  const lines = [
    '#!KAMAILIO',
    'debug=2', 'log_stderror=yes', 'children=2', 'tcp_children=2', 'auto_aliases=no',
    `listen=udp:${o.ip}:5060`, `listen=tcp:${o.ip}:5060`,
    'mpath="/usr/lib/x86_64-linux-gnu/kamailio/modules/"',
    ...['kex', 'ctl', 'tm', 'sl', 'pv', 'maxfwd', 'textops', 'siputils', 'xlog', 'sanity', 'usrloc', 'registrar']
      .map((m) => `loadmodule "${m}.so"`),
    ...(users.length > 0 ? ['loadmodule "auth.so"', `modparam("auth", "nonce_expire", ${o.nonceExpire ?? 300})`,
      'modparam("auth", "nonce_count", 1)', `modparam("auth", "algorithm", "${o.algorithm ?? 'MD5'}")`] : []),
    `modparam("ctl", "binrpc", "unix:${ctl}")`,
    'modparam("usrloc", "db_mode", 0)',
    `modparam("registrar", "min_expires", ${o.minExpires ?? 60})`,
    'request_route {',
    '  if (!mf_process_maxfwd_header("10")) { sl_send_reply("483","Too Many Hops"); exit; }',
    '  if (!sanity_check("17895", "7")) { xlog("L_WARN", "sanity check failed\\n"); exit; }',
    '  if (is_method("REGISTER")) {',
    ...(users.length > 0 ? ['    route(AUTH);'] : []),
    '    if (!save("location")) sl_reply_error();',
    '    exit;',
    '  }',
    '  sl_send_reply("501","Not Implemented");',
    '}',
  ];
  if (users.length > 0) {
    lines.push('route[AUTH] {', '  $var(pw) = "";');
    for (const [u, p] of users) lines.push(`  if ($fU == "${u}") $var(pw) = "${p}";`);
    lines.push(
      '  if ($var(pw) == "") { auth_challenge("$fd", "1"); exit; }',
      '  pv_auth_check("$fd", "$var(pw)", "0", "1");',
      '  $var(rc) = $rc;',
      '  if ($var(rc) > 0) { consume_credentials(); return; }',
      // -4 nonce expired, -6 nonce reused: the digest was right, so stale=true (flag 16).
      '  if ($var(rc) == -4 || $var(rc) == -6) auth_challenge("$fd", "17"); else auth_challenge("$fd", "1");',
      '  exit;',
      '}',
    );
  }
  return lines.join('\n') + '\n';
}

export async function startKamailio(lab: NetnsLab, netns: string, o: KamailioOptions): Promise<Kamailio> {
  mkdirSync(o.dir, { recursive: true });
  const ctl = `${o.dir}/ctl`;
  const cfg = `${o.dir}/kamailio.cfg`;
  writeFileSync(cfg, kamailioConfig(o, ctl));
  const daemon = lab.spawn(netns, 'kamailio', ['-f', cfg, '-DD', '-E', '-Y', o.dir, '-P', `${o.dir}/kamailio.pid`, '-m', '32', '-M', '4'],
    `kamailio ${o.ip}`);
  await daemon.waitForOutput(/io_listen_loop/, 15_000);
  return {
    daemon,
    ctl,
    ulDump: async () => (await lab.exec(netns, 'kamcmd', ['-s', `unix:${ctl}`, 'ul.dump'], { timeoutMs: 10_000 })).stdout,
  };
}
