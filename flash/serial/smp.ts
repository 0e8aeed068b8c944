/**
 * SMP (Simple Management Protocol, as MCUmgr and MCUboot's serial recovery speak it): the
 * groups, command ids, result codes and payload keys that the loader's recovery server and
 * `dialtone flash` share. Values follow Zephyr's mgmt headers (MGMT_GROUP_ID_OS = 0,
 * MGMT_GROUP_ID_IMAGE = 1, MGMT_ERR_*), so a stock SMP client can talk to the loader.
 */
export const GROUP_OS = 0;
export const GROUP_IMAGE = 1;

/** OS group: {"d": text} -> {"r": text}. */
export const OS_ECHO = 0;
/** OS group: {} -> {"rc": 0}, then the board resets once the answer is out. */
export const OS_RESET = 5;
/** OS group, read: {} -> {"buf_size": N, "buf_count": 1} (the largest packet the loader takes). */
export const OS_PARAMS = 6;

/**
 * Image group, read: {} -> {"images": [slot...]}; write {"hash": bstr, "confirm": bool}
 * marks the uploaded image for a test boot (confirm false) or permanently (true).
 */
export const IMG_STATE = 0;
/**
 * Image group, write: {"off", "data", "len" + "sha" on the first chunk} -> {"rc", "off"};
 * the last chunk's answer adds "match" (announced SHA-256 equals the staged bytes), "hash"
 * (the image's own hash TLV) and, when refused, "rsn" (why).
 */
export const IMG_UPLOAD = 1;

export const RC_OK = 0;
export const RC_EUNKNOWN = 1;
export const RC_ENOMEM = 2;
export const RC_EINVAL = 3;
export const RC_ETIMEOUT = 4;
export const RC_ENOENT = 5;
export const RC_EBADSTATE = 6;
export const RC_EMSGSIZE = 7;
export const RC_ENOTSUP = 8;
export const RC_ECORRUPT = 9;
export const RC_EBUSY = 10;

/** Short names for log lines and the host tool's messages. */
export function rcName(rc: number): string {
  const names = ['ok', 'unknown error', 'no memory', 'invalid', 'timeout', 'no entry', 'bad state',
    'message too large', 'not supported', 'corrupt', 'busy'];
  return rc >= 0 && rc < names.length ? names[rc] : 'error ' + rc;
}
