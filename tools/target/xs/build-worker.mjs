#!/usr/bin/env node
/**
 * Builds dialtone-xs-worker: @agoric/xsnap's xsnap-worker from the XS sources that the npm
 * package ships, with its own makefile (xsnap-worker.mk), plus small changes that the XS
 * runner (hal/target/xsnap.ts) needs to count memory the way a board would: evaluated code
 * stays in place as a mod's does in flash (XS_RUN_PATCHES below), and in xsnap-worker.c:
 *
 *  1. `issueCommand(buffer, length)` sends only `length` bytes of the buffer, so the guest
 *     can keep one request buffer for every HAL call (the HAL is native on a board; a
 *     buffer allocated per call would be counted against the app).
 *  2. Every upward `issueCommand` message (a HAL call) starts with the live heap after a
 *     full GC: `?<slots>,<chunk bytes>;<payload>`.
 *  3. Every good reply to an event (`.` + meter JSON) drops the command's input (for `e`,
 *     the source text), runs a full GC and adds `"chunks":<bytes>` beside
 *     `currentHeapCount`, so both are live figures.
 *
 * Run by `npm ci` / `npm install` (package.json postinstall) and by hand:
 *   node tools/target/xs/build-worker.mjs [--force]
 * Output: node_modules/.cache/dialtone-xs/bin/lin/release/dialtone-xs-worker. Nothing is
 * downloaded; a stamp (hash of this script and the package's sources) skips a rebuild.
 *
 * Host code (plain Node, no dependencies: it runs before anything else is built).
 */
import { spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const PKG = path.join(ROOT, 'node_modules', '@agoric', 'xsnap');
export const OUT = path.join(ROOT, 'node_modules', '.cache', 'dialtone-xs');
export const WORKER = path.join(OUT, 'bin', 'lin', 'release', 'dialtone-xs-worker');

/**
 * xsRun.c: evaluated code runs the way a Moddable mod's does from flash. XS copies each
 * function's bytecode and each string literal into the chunk heap when the code was parsed
 * at run time, but points into the code when it comes from an archive (a mod in flash:
 * XS_CODE_CODE_ARCHIVE / XS_CODE_STRING_ARCHIVE). Here the evaluated script's code is kept
 * (never freed: it stands for flash) and used in place, and its names are keys that point
 * into its kept symbol table (fxNewNameX, as fxMapArchive does for a mod), so the chunk
 * heap holds what a board's RAM would, not the code. The code's size is counted apart (the
 * meter's "code").
 */
const XS_RUN_PATCHES = [
  ['functions use their code in place', `		XS_CODE_CODE:
			mxSaveState;
			scratch.value.code.address = (txByte*)fxNewChunk(the, (txSize)offset);
			mxRestoreState;
			c_memcpy(scratch.value.code.address, mxCode, offset);
			variable = mxStack->value.reference;
			slot = mxFunctionInstanceCode(variable);
			slot->kind = XS_CODE_KIND;
			slot->value.code.address = scratch.value.code.address;
			if (gxDefaults.newFunctionLength) {
				gxDefaults.newFunctionLength(the, variable, *(((txU1*)scratch.value.code.address + 1)));
			}`,
  `		XS_CODE_CODE:
			variable = mxStack->value.reference;
			slot = mxFunctionInstanceCode(variable);
			slot->kind = XS_CODE_X_KIND; /* dialtone: in place, as from an archive */
			slot->value.code.address = mxCode;
			if (gxDefaults.newFunctionLength) {
				gxDefaults.newFunctionLength(the, variable, *(((txU1*)mxCode + 1)));
			}`],
  ['string literals point into the code', `		XS_CODE_STRING:
			mxSaveState;
			scratch.value.string = (txString)fxNewChunk(the, index);
			mxRestoreState;
			c_memcpy(scratch.value.string, mxCode, index);
			mxPushKind(XS_STRING_KIND);
			mxStack->value.string = scratch.value.string;`,
  `		XS_CODE_STRING:
			mxPushKind(XS_STRING_X_KIND); /* dialtone: in place, as from an archive */
			mxStack->value.string = (txString)mxCode;`],
  ['the script keeps its code (1)', `			mxPull(mxHosts);
			if (script->symbolsBuffer)
				fxDeleteScript(script);
		}`,
  `			mxPull(mxHosts);
			if (script->symbolsBuffer) {
				/* dialtone: the code and its names stay (flash); the script is not reused */
				gxDialtoneCodeBytes += script->codeSize;
				script->symbolsBuffer = C_NULL;
			}
		}`],
  ['names point into the kept symbols, as an archive\'s do', `					txID id = fxNewNameC(the, (txString)p);`,
  `					txID id = fxNewNameX(the, (txString)p); /* dialtone: as fxMapArchive */`],
  ['the script keeps its code (declaration)', `void fxRunScript(txMachine* the, txScript* script, txSlot* _this, txSlot* _target, txSlot* closures, txSlot* object, txSlot* module)
{`,
  `unsigned long gxDialtoneCodeBytes = 0; /* dialtone: bytes of evaluated code kept in place */
void fxRunScript(txMachine* the, txScript* script, txSlot* _this, txSlot* _target, txSlot* closures, txSlot* object, txSlot* module)
{`],
];

/** [what, original text, replacement]: each must match exactly once. */
const PATCHES = [
  ['declare the code counter', `static void xsBuildAgent(xsMachine* the);`,
  `extern unsigned long gxDialtoneCodeBytes;
static void xsBuildAgent(xsMachine* the);`],
  ['meter reports code bytes', `				  "\\"currentHeapCount\\":%u,"`,
  `				  "\\"code\\":%lu,"
				  "\\"currentHeapCount\\":%u,"`],
  ['meter reports code bytes (value)', `	snprintf(prefix, sizeof(prefix), fmt,
			 fxGetCurrentHeapCount(the),`,
  `	snprintf(prefix, sizeof(prefix), fmt,
			 gxDialtoneCodeBytes,
			 fxGetCurrentHeapCount(the),`],
  ['issueCommand takes a length', `	size_t length = xsGetArrayBufferLength(xsArg(0));
	char* buf = xsToArrayBuffer(xsArg(0));
  
	recordTimestamp(); // before sending command to parent

	int writeError = fxWriteNetString(toParent, "?", buf, length);`,
  `	// dialtone: live heap after a full GC, then the first \`length\` bytes of the buffer.
	fxCollectGarbage(the);
	size_t length = xsGetArrayBufferLength(xsArg(0));
	if (argc > 1) {
		xsIntegerValue n = xsToInteger(xsArg(1));
		if (n >= 0 && (size_t)n < length) length = (size_t)n;
	}
	char* buf = xsToArrayBuffer(xsArg(0));
	char meter[48];
	snprintf(meter, sizeof(meter), "?%u,%u;", (unsigned)fxGetCurrentHeapCount(the), (unsigned)fxDialtoneChunks(the));

	recordTimestamp(); // before sending command to parent

	int writeError = fxWriteNetString(toParent, meter, buf, length);`],
  ['GC at the end of every crank', `				fxRunLoop(machine);
				meterIndex = xsEndCrank(machine);
				{
					if (error) {`,
  `				fxRunLoop(machine);
				// dialtone: the meter reports the live heap, without the command's own input
				// (for \`e\` the whole source text, which the evaluation no longer needs).
				xsVar(0) = xsUndefined;
				fxCollectGarbage(machine);
				meterIndex = xsEndCrank(machine);
				{
					if (error) {`],
  ['meter reports chunk bytes', `				  "\\"currentHeapCount\\":%u,"`,
  `				  "\\"currentHeapCount\\":%u,"
				  "\\"chunks\\":%u,"`],
  ['meter reports chunk bytes (value)', `			 fxGetCurrentHeapCount(the),
			 meterIndex,`,
  `			 fxGetCurrentHeapCount(the),
			 (unsigned)fxDialtoneChunks(the),
			 meterIndex,`],
  ['declare the chunk counter', `extern xsIntegerValue fxGetCurrentHeapCount(xsMachine* the);`,
  `extern xsIntegerValue fxGetCurrentHeapCount(xsMachine* the);
extern xsIntegerValue fxDialtoneChunks(xsMachine* the);
extern void fxCollectGarbage(xsMachine* the);`],
];

function stamp(srcDir) {
  const h = crypto.createHash('sha256');
  h.update(fs.readFileSync(fileURLToPath(import.meta.url)));
  for (const f of fs.readdirSync(srcDir).sort()) h.update(f).update(fs.readFileSync(path.join(srcDir, f)));
  h.update(fs.readFileSync(path.join(PKG, 'package.json')));
  h.update(fs.readFileSync(path.join(PKG, 'moddable', 'xs', 'sources', 'xsRun.c')));
  return h.digest('hex');
}

function patchFile(file, patches) {
  let text = fs.readFileSync(file, 'utf8');
  for (const [what, from, to] of patches) {
    const n = text.split(from).length - 1;
    if (n !== 1) {
      console.error(`dialtone-xs-worker: patch '${what}' matched ${n} times in ${path.basename(file)} (package changed?)`);
      return false;
    }
    text = text.replace(from, to);
  }
  fs.writeFileSync(file, text);
  return true;
}

export function buildWorker(force = false) {
  if (!fs.existsSync(path.join(PKG, 'package.json'))) {
    console.error('dialtone-xs-worker: @agoric/xsnap is not installed (npm ci first)');
    return 1;
  }
  const srcIn = path.join(PKG, 'xsnap-native', 'xsnap', 'sources');
  const want = stamp(srcIn);
  const stampFile = path.join(OUT, 'stamp');
  if (!force && fs.existsSync(WORKER) && fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8') === want) return 0;

  const srcOut = path.join(OUT, 'sources');
  fs.rmSync(OUT, { recursive: true, force: true });
  fs.mkdirSync(srcOut, { recursive: true });
  for (const f of fs.readdirSync(srcIn)) fs.copyFileSync(path.join(srcIn, f), path.join(srcOut, f));
  if (!patchFile(path.join(srcOut, 'xsnap-worker.c'), PATCHES)) return 1;
  // The XS sources, with xsRun.c patched (SRC_DIR below points the makefile here).
  const xsIn = path.join(PKG, 'moddable', 'xs', 'sources');
  const xsOut = path.join(OUT, 'xs-sources');
  fs.cpSync(xsIn, xsOut, { recursive: true });
  if (!patchFile(path.join(xsOut, 'xsRun.c'), XS_RUN_PATCHES)) return 1;
  // The machine's fields are private to the XS sources: the platform file reads the count.
  fs.appendFileSync(path.join(srcOut, 'xsnapPlatform.c'),
    '\n/* dialtone: chunk bytes in use (live after a GC) */\ntxSize fxDialtoneChunks(txMachine* the)\n{\n\treturn the->currentChunksSize;\n}\n');

  const version = JSON.parse(fs.readFileSync(path.join(PKG, 'package.json'), 'utf8')).version;
  const t0 = Date.now();
  const r = spawnSync('make', [
    `-j${Math.max(1, Math.min(4, (globalThis.navigator?.hardwareConcurrency ?? 2)))}`,
    `MODDABLE=${path.join(PKG, 'moddable')}`,
    'GOAL=release',
    `XSNAP_VERSION=${version}`,
    'CC=cc "-D__has_builtin(x)=1"', // quoted for the shell make runs, as the package's build.env has it
    'NAME=dialtone-xs-worker',
    `TLS_DIR=${srcOut}`,
    `SRC_DIR=${xsOut}`,
    `BUILD_DIR=${OUT}`,
    '-f', 'xsnap-worker.mk',
  ], { cwd: path.join(PKG, 'xsnap-native', 'xsnap', 'makefiles', 'lin'), stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0 || !fs.existsSync(WORKER)) {
    // The compiler's warnings (the package's own build prints the same) only on failure.
    process.stderr.write(((r.stdout ?? '') + (r.stderr ?? '')).split('\n').slice(-40).join('\n'));
    console.error(`dialtone-xs-worker: make failed (${r.error ? r.error.message : `exit ${r.status}`}); needs make and cc`);
    return 1;
  }
  fs.writeFileSync(stampFile, want);
  console.log(`dialtone-xs-worker built in ${((Date.now() - t0) / 1000).toFixed(0)} s: ${path.relative(ROOT, WORKER)}`);
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exit(buildWorker(process.argv.includes('--force')));
}
