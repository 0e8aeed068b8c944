/**
 * Every on-flash constant of Dialtone, in one place. The loader, the firmware (staging,
 * boot state, preferences) and the host tools (sign, show, verify, flash) all import this
 * module; flash/README.md quotes it. Nothing else may spell one of these numbers.
 *
 * All multi-byte fields on flash are little-endian.
 *
 * NOTE: these values are written to flash. Changing one makes existing images, boot state
 * or preferences unreadable; bump the matching format version instead.
 */

// ---------------------------------------------------------------------------------------
// Layout (flash/layout.ts computes the regions from the board's FlashGeometry)
// ---------------------------------------------------------------------------------------

/** Bytes reserved for the bootstrap loader at address 0 (rounded up to whole sectors). */
export const LAYOUT_LOADER_BYTES = 64 * 1024;
/** Boot state: two sectors used alternately (flash/bootstate.ts). */
export const LAYOUT_BOOTSTATE_SECTORS = 2;
/** Preferences: this many pages in a ring (one is always the GC target). */
export const LAYOUT_PREFS_PAGES = 4;
/** A preferences page is at least this many bytes (whole sectors; one sector when larger). */
export const LAYOUT_PREFS_PAGE_BYTES = 16 * 1024;
/** A slot must hold at least this many sectors or the layout is refused. */
export const LAYOUT_MIN_SLOT_SECTORS = 2;
/** Number of image slots (A and B). */
export const SLOT_COUNT = 2;
export const SLOT_A = 0;
export const SLOT_B = 1;
/** "No slot" in boot state fields (the erased byte value, so a blank field reads as none). */
export const SLOT_NONE = 0xff;

/**
 * The geometry of the reference board (ESP32-class module: 4 MiB SPI NOR, 4 KiB sectors,
 * 4-byte program unit). `dialtone sign` checks image sizes against the layout of this
 * geometry unless told another flash size.
 */
export const BOARD_FLASH_SIZE = 4 * 1024 * 1024;
export const BOARD_SECTOR_SIZE = 4096;
export const BOARD_WRITE_ALIGN = 4;

/** The value of erased NOR. */
export const ERASED = 0xff;

// ---------------------------------------------------------------------------------------
// Image (flash/image.ts): header | payload | protected TLV area | unprotected TLV area
// ---------------------------------------------------------------------------------------

/** Header magic, bytes "DTI1" on flash (distinct from MCUboot's 0x96f3b83d on purpose). */
export const IMAGE_MAGIC = 0x31495444;
/** Header size this version writes; readers accept any size >= this (payload at hdrSize). */
export const IMAGE_HEADER_SIZE = 64;
/** Largest header size a reader accepts (padding room without letting a length run away). */
export const IMAGE_HEADER_MAX = 4096;

// Header field offsets (all little-endian).
export const IH_MAGIC = 0;          // u32 IMAGE_MAGIC
export const IH_HDR_SIZE = 4;       // u16 header size = offset of the payload
export const IH_PROT_TLV_SIZE = 6;  // u16 protected TLV area size, info header included
export const IH_PAYLOAD_SIZE = 8;   // u32 payload size (the firmware bundle)
export const IH_FLAGS = 12;         // u32 IMAGE_F_*
export const IH_VER_MAJOR = 16;     // u8
export const IH_VER_MINOR = 17;     // u8
export const IH_VER_REVISION = 18;  // u16
export const IH_VER_BUILD = 20;     // u32
export const IH_LOAD_ID = 24;       // 32 bytes ASCII, NUL padded
export const IH_RESERVED = 56;      // 8 bytes, zero

/** Load ID ("SIP78xx.14-1-1"): 1..32 printable ASCII characters. */
export const LOAD_ID_MAX = 32;

/** Flags. Unknown flags make an image invalid (fail closed). */
export const IMAGE_F_NON_BOOTABLE = 0x10;
export const IMAGE_F_KNOWN = IMAGE_F_NON_BOOTABLE;

/** TLV area info headers: {u16 magic, u16 total size including these 4 bytes}. */
export const TLV_INFO_SIZE = 4;
export const TLV_PROT_INFO_MAGIC = 0x7408;
export const TLV_INFO_MAGIC = 0x7407;
/** Each TLV: {u16 type, u16 len} + len bytes. */
export const TLV_HEADER_SIZE = 4;
/** Bounds on the TLV areas (the loader reads them into a buffer of this size). */
export const TLV_PROT_MAX = 256;
export const TLV_UNPROT_MAX = 256;

// TLV types. MCUboot numbers where MCUboot has the same thing; vendor range 0xA0-0xFF else.
export const TLV_KEYID = 0x01;        // unprotected, 8 bytes: first 8 bytes of SHA-256(public key)
export const TLV_SHA256 = 0x10;       // unprotected, 32 bytes: SHA-256(header | payload | protected area)
export const TLV_ED25519 = 0x24;      // unprotected, 64 bytes: Ed25519 over the 32-byte SHA-256
export const TLV_SEC_CNT = 0x50;      // protected, 4 bytes u32: security counter (anti-rollback)
export const TLV_LOAD_ID = 0xa0;      // protected, 1..32 bytes ASCII: must equal the header's
export const TLV_BUILD_TIME = 0xa1;   // protected, 8 bytes: u32 seconds since 1970 low, u32 high

export const KEY_ID_SIZE = 8;
export const SHA256_SIZE = 32;
export const ED25519_SIG_SIZE = 64;
export const ED25519_PUB_SIZE = 32;

// ---------------------------------------------------------------------------------------
// Boot state (flash/bootstate.ts): two sectors of append-only 32-byte records
// ---------------------------------------------------------------------------------------

/** Record magic, bytes "DBS1" on flash. */
export const BS_MAGIC = 0x31534244;
/** Record size before alignment (a record occupies max(this, writeAlign) bytes). */
export const BS_RECORD_SIZE = 32;
export const BS_MAGIC_OFF = 0;        // u32 BS_MAGIC
export const BS_SEQ_OFF = 4;          // u32 sequence number, +1 per record; newest valid wins
export const BS_CONFIRMED_OFF = 8;    // u8 confirmed slot (SLOT_NONE = none)
export const BS_PENDING_OFF = 9;      // u8 pending (test) slot (SLOT_NONE = none)
export const BS_FLAGS_OFF = 10;       // u8 BS_F_*
export const BS_RESERVED_OFF = 11;    // u8 0xff
export const BS_FLOOR_OFF = 12;       // u32 security counter floor (no image below it boots)
export const BS_CRC_OFF = 28;         // u32 CRC-32 over bytes [0, 28)
export const BS_F_TRIED = 0x01;       // the pending image was started once (test boot)
export const BS_F_DEV_DOWNGRADE = 0x02; // obsolete override bit: decoded and logged, obeyed by no loader (a build option now)

// ---------------------------------------------------------------------------------------
// Preferences (flash/prefs.ts): a ring of pages, each a log of records
// ---------------------------------------------------------------------------------------

/** Page header magic, bytes "DTP1" on flash. */
export const PP_MAGIC = 0x31505444;
export const PP_VERSION = 1;
export const PP_MAGIC_OFF = 0;       // u32 PP_MAGIC
export const PP_SEQ_OFF = 4;         // u32 page sequence; the highest complete page is live
export const PP_VERSION_OFF = 8;     // u16 PP_VERSION
export const PP_SECTORS_OFF = 10;    // u16 sectors per page (sanity check)
export const PP_CRC_OFF = 12;        // u32 CRC-32 over bytes [0, 12)
export const PP_HEADER_SIZE = 16;
/**
 * The "complete" word follows the header in its own program unit: erased (0xffffffff)
 * while a garbage collection fills the page, programmed to PP_COMPLETE when it is done.
 * Any bit cleared counts as complete (a torn commit word means the copy had finished).
 */
export const PP_COMPLETE = 0;
export const PP_COMPLETE_SIZE = 4;

/** Record header: {u16 magic, u8 key length, u8 flags, u32 value length, u32 CRC-32}. */
export const PR_MAGIC = 0x5250;      // bytes "PR"
export const PR_MAGIC_OFF = 0;
export const PR_KEYLEN_OFF = 2;
export const PR_FLAGS_OFF = 3;
export const PR_VALLEN_OFF = 4;
export const PR_CRC_OFF = 8;         // CRC-32 over header bytes [0, 8) + key + value
export const PR_HEADER_SIZE = 12;
export const PR_F_DELETED = 0x01;    // flag bit CLEARED = tombstone (the key has no value); unused bits stay 1
/** Keys: 1..32 ASCII characters. */
export const PR_KEY_MAX = 32;
/** RAM bound: at most this many live keys (the index is an array of this many entries). */
export const PR_MAX_KEYS = 64;

// ---------------------------------------------------------------------------------------
// Settings (flash/settings.ts): preference keys and their value formats
// ---------------------------------------------------------------------------------------

/** Value format version, the first byte of every structured setting. */
export const SETTING_FORMAT = 1;
/** The firmware's network settings, encoded by firmware/netconfig.ts: mode (DHCP/static),
 *  static address/mask/gateway/DNS, TFTP servers 1 and 2, alternate TFTP, admin VLAN, and
 *  the last DHCP lease (for INIT-REBOOT). One record, so they change atomically. */
export const KEY_NETWORK = 'net.settings';
/** Raw bytes: the trust list (CTL/ITL file) first trusted and kept. */
export const KEY_TRUST_LIST = 'trust.list';
/** Raw bytes: the last configuration file that parsed (may be KBs). */
export const KEY_LAST_CONFIG = 'config.last';
/** {u8 format, u32 counter}: the highest security counter the firmware has accepted. */
export const KEY_SECURITY_COUNTER = 'sec.counter';
