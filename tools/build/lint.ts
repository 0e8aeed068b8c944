/**
 * The project lint: an AST check over a built target bundle for what esbuild lets through
 * but Espruino 2v29 (the binding engine; reference/embedded_js.md sections 1.2, 4.4, 5)
 * cannot run. It reads the bundle, not the TypeScript, because several hazards only exist
 * in esbuild's output: a class that names itself becomes a named class expression, and
 * the minifier may emit the identifier `of`.
 *
 * There is deliberately no way to silence a finding (no allow-list, no comment directive):
 * a construct the board cannot run is fixed in the source.
 *
 * Scope model (enough for the rules, not a full ES resolver): program and function scopes
 * hold `var` and parameters; blocks, `for` headers, `catch` and class names hold their own
 * bindings. A name that resolves to no binding is a global, which is what the global rules
 * look at, so a local variable named `process` is not a finding.
 */
import * as acorn from 'acorn';
import type { SourceMapIndex, SourcePosition } from './sourcemap';

/** Rule ids, with the reason each construct is out. */
export const RULES = {
  'parse-error': 'the bundle does not parse as an ES2020+ script',
  'named-class-expression': 'named class expression: Espruino does not bind the inner name (esbuild emits one when a class names itself; use `this` in statics)',
  'reserved-identifier': 'identifier `of`/`static`/`let`: a SyntaxError on Espruino',
  'use-before-define': 'used before its declaration runs: Espruino hoists neither functions nor vars',
  'loop-let-closure': 'closure over a loop-header let/const: Espruino has no per-iteration binding',
  'extends-expression': '`extends` of something other than an identifier: a SyntaxError on Espruino',
  'extends-error': '`extends Error`: Espruino cannot subclass Error (use new Error(msg) plus a code field)',
  'node-builtin': 'Node built-in: target code has no Node (use the HAL)',
  'forbidden-global': 'global missing on Espruino',
  'host-global': 'host global: time, timers and output go through the HAL (hal.clock, hal.system.log)',
  'forbidden-member': 'static member missing on Espruino',
  'forbidden-method': 'method missing on Espruino',
  'prototype-call': '`X.prototype.m.call/apply`: X.prototype methods are undefined on Espruino',
  'label': 'labelled statement: not supported by Espruino',
  'tagged-template': 'tagged template: not supported by Espruino',
  'computed-key': 'computed key: not supported by Espruino',
  'private-member': '#private member: esbuild lowers it to WeakMap, missing on Espruino',
  'class-field': 'class field syntax: lowered by esbuild normally; not parsed by Espruino',
  'static-block': 'class static block: not parsed by Espruino',
  'regex': 'regex feature Espruino lacks (lookaround, {n}, named groups, flags y/u/s, or a dynamic RegExp)',
  'async-generator': 'async/await/generator: Espruino cannot run them',
  'spread-rest': 'spread/rest: not supported by Espruino',
  'destructuring': 'destructuring: not supported by Espruino',
  'default-param': 'default parameter/initialiser pattern: not supported by Espruino',
  'exponent': '`**`: not supported by Espruino (esbuild should have lowered it)',
  'optional-chain': '`?.`: not supported by Espruino (esbuild should have lowered it)',
  'logical-assignment': '`&&=`/`||=`/`??=`: not supported by Espruino (esbuild should have lowered it)',
  'new-target': '`new.target`: not supported by Espruino',
  'bigint': 'BigInt literal: no BigInt on Espruino',
  'class-member-name': 'class member named by a reserved word or a non-identifier key: Espruino\'s class parser takes only plain identifiers (src/jsparse.c jspeClassDefinition)',
  'engine-error-instanceof': '`instanceof` an engine error class: an error Espruino throws is not `instanceof TypeError` (and RangeError is undefined); branch on your own error codes',
  'split-limit': '`split` with a limit: Espruino ignores the limit and returns every piece',
  'number-format': '`toFixed`/`toPrecision`/`toExponential`: Espruino formats non-integers its own way ((2.5).toFixed(0) is "2", only the last digit rounds); format integers by hand',
} as const;

export type RuleId = keyof typeof RULES;

export interface Finding {
  rule: RuleId;
  /** What exactly is wrong here (names the identifier, member, flag, ...). */
  message: string;
  /** 1-based line and column in the bundle. */
  line: number;
  column: number;
  /** The offending bundle text, shortened. */
  snippet: string;
  /** Where it came from in the TypeScript, when a source map was given. */
  source?: SourcePosition;
}

export interface LintOptions {
  map?: SourceMapIndex;
}

const RESERVED_NAMES = new Set(['of', 'static', 'let']);
/**
 * Espruino 2v29's reserved words (src/jslex.c jslLexIdentifier). Its class parser accepts a
 * member only when the token is a plain identifier, so a method, getter or setter with one
 * of these names is a SyntaxError there (measured: `delete(key) {}`). Note `undefined` is one,
 * and `get`/`set`/`async`/`await`/`yield` are not. Object-literal keys and `.name` member
 * access do accept reserved words there, so only class members are checked.
 */
export const ESPRUINO_RESERVED_WORDS: ReadonlySet<string> = new Set([
  'break', 'case', 'catch', 'class', 'const', 'continue', 'debugger', 'default', 'delete', 'do', 'else',
  'extends', 'false', 'finally', 'for', 'function', 'if', 'in', 'instanceof', 'let', 'new', 'null', 'of',
  'return', 'static', 'super', 'switch', 'this', 'throw', 'true', 'try', 'typeof', 'undefined', 'var',
  'void', 'while',
  // ES reserved words Espruino lexes as identifiers, refused anyway: XS and any later
  // Espruino may reserve them, and a method named like one is never needed.
  'enum', 'export', 'import', 'implements', 'interface', 'package', 'private', 'protected', 'public', 'yield', 'await',
]);
/** Engine error classes whose instances Espruino's own throws are not (or which it lacks). */
const ENGINE_ERROR_CLASSES = new Set(['TypeError', 'RangeError', 'SyntaxError', 'ReferenceError', 'EvalError', 'URIError', 'InternalError']);
const NODE_BUILTINS = new Set(['require', 'process', 'Buffer', '__dirname', '__filename', 'global', 'module', 'exports']);
const FORBIDDEN_GLOBALS = new Set([
  'Map', 'Set', 'WeakMap', 'WeakSet', 'WeakRef', 'FinalizationRegistry', 'Symbol', 'Proxy', 'Reflect',
  'BigInt', 'BigInt64Array', 'BigUint64Array', 'queueMicrotask', 'TextEncoder', 'TextDecoder',
  'setImmediate', 'SharedArrayBuffer', 'Atomics',
  // Espruino 2v29 defines only Error, TypeError, SyntaxError, ReferenceError and InternalError
  // (src/jswrap_error.c; `typeof RangeError` measured "undefined"). InternalError is not
  // in XS. Throw TypeError or Error instead.
  'RangeError', 'EvalError', 'URIError', 'AggregateError', 'InternalError',
]);
const HOST_GLOBALS = new Set(['setTimeout', 'setInterval', 'clearTimeout', 'clearInterval', 'console', 'print', 'Date', 'performance']);
const ERROR_CLASSES = new Set(['Error', 'TypeError', 'RangeError', 'SyntaxError', 'ReferenceError', 'EvalError', 'URIError', 'AggregateError']);
const TYPED_ARRAYS = ['Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array', 'Float32Array', 'Float64Array'];
const FORBIDDEN_MEMBERS: Record<string, Set<string>> = {
  Array: new Set(['from', 'of']),
  Object: new Set(['freeze', 'seal', 'is', 'preventExtensions', 'isFrozen', 'isSealed', 'isExtensible', 'getOwnPropertySymbols']),
  // The ES2015 Math additions, except sign (present since 2v16).
  Math: new Set(['trunc', 'imul', 'clz32', 'log2', 'log10', 'log1p', 'expm1', 'hypot', 'cbrt', 'fround', 'sinh', 'cosh', 'tanh', 'asinh', 'acosh', 'atanh']),
  Number: new Set(['isInteger', 'isSafeInteger', 'isNaN', 'isFinite', 'parseInt', 'parseFloat', 'EPSILON', 'MAX_SAFE_INTEGER', 'MIN_SAFE_INTEGER']),
  Promise: new Set(['race', 'allSettled', 'any']),
  ArrayBuffer: new Set(['isView']),
  String: new Set(['raw', 'fromCodePoint']),
};
for (const t of TYPED_ARRAYS) FORBIDDEN_MEMBERS[t] = new Set(['from', 'of']);
const FORBIDDEN_METHODS = new Set([
  'finally', 'at', 'flat', 'flatMap', 'codePointAt', 'trimStart', 'trimEnd', 'trimLeft', 'trimRight',
  'lastIndexOf', 'copyWithin', 'findLast', 'findLastIndex', 'reduceRight', 'matchAll', 'normalize', 'localeCompare',
]);

// ---------------------------------------------------------------------------------------------
// Scopes

type BindingKind = 'var' | 'let' | 'const' | 'class' | 'function' | 'param' | 'catch' | 'class-name' | 'fn-name';

interface Binding {
  name: string;
  kind: BindingKind;
  id: AnyNode;
  scope: Scope;
}

class Scope {
  readonly decls = new Map<string, Binding>();
  /** The function (or program) scope this scope belongs to. */
  readonly fn: Scope;
  constructor(readonly kind: 'program' | 'function' | 'block' | 'for' | 'catch' | 'class', readonly parent?: Scope) {
    this.fn = kind === 'program' || kind === 'function' || !parent ? this : parent.fn;
  }
  resolve(name: string): Binding | undefined {
    for (let s: Scope | undefined = this; s; s = s.parent) {
      const b = s.decls.get(name);
      if (b) return b;
    }
    return undefined;
  }
}

// acorn's ESTree types are a closed union; the walker is generic, so it reads nodes loosely.
type AnyNode = any;

interface Ref {
  id: AnyNode;
  scope: Scope;
}

function isNode(v: unknown): v is AnyNode {
  return typeof v === 'object' && v !== null && typeof (v as { type?: unknown }).type === 'string';
}

function propName(member: AnyNode): string | undefined {
  if (!member.computed && member.property.type === 'Identifier') return member.property.name;
  if (member.computed && member.property.type === 'Literal' && typeof member.property.value === 'string') return member.property.value;
  return undefined;
}

/** The regex features Espruino lacks, found in a pattern and its flags. */
export function regexProblems(pattern: string, flags: string): string[] {
  const out: string[] = [];
  for (const f of flags) if ('yusdv'.includes(f)) out.push(`flag '${f}'`);
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      const n = pattern[i + 1];
      if (n === 'k' && pattern[i + 2] === '<') out.push('named backreference \\k<>');
      if ((n === 'p' || n === 'P') && pattern[i + 2] === '{') out.push('unicode property escape');
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') {
      inClass = true;
    } else if (c === '(' && pattern[i + 1] === '?') {
      const a = pattern[i + 2];
      const b = pattern[i + 3];
      if (a === '=' || a === '!') out.push('lookahead');
      else if (a === '<' && (b === '=' || b === '!')) out.push('lookbehind');
      else if (a === '<') out.push('named group');
    } else if (c === '{' && /^\{\d+(,\d*)?\}/.test(pattern.slice(i))) {
      out.push('counted quantifier {n}');
    }
  }
  return out;
}

class Linter {
  readonly findings: Finding[] = [];
  private readonly refs: Ref[] = [];
  private readonly members: Ref[] = [];
  private readonly seen = new Set<string>();
  /** `x instanceof <engine error class>` nodes, checked once scopes are known. */
  readonly instanceofs: AnyNode[] = [];
  private readonly scopeOf = new Map<AnyNode, Scope>();

  constructor(private readonly code: string, private readonly map?: SourceMapIndex) {}

  report(rule: RuleId, node: AnyNode, message: string): void {
    const key = `${rule}@${node.start}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    const line: number = node.loc.start.line;
    const col: number = node.loc.start.column;
    let snippet = this.code.slice(node.start, Math.min(node.end, node.start + 80)).replace(/\s+/g, ' ');
    if (node.end - node.start > 80) snippet += '...';
    const f: Finding = { rule, message, line, column: col + 1, snippet };
    const src = this.map?.lookup(line, col);
    if (src) f.source = src;
    this.findings.push(f);
  }

  run(program: AnyNode): void {
    const top = new Scope('program');
    for (const stmt of program.body) this.visit(stmt, top);
    this.resolveAll();
    this.findings.sort((a, b) => a.line - b.line || a.column - b.column || a.rule.localeCompare(b.rule));
  }

  // --- declarations -------------------------------------------------------------------------

  private declare(id: AnyNode, kind: BindingKind, target: Scope): void {
    if (RESERVED_NAMES.has(id.name)) this.report('reserved-identifier', id, `binding named '${id.name}'`);
    if (!target.decls.has(id.name)) target.decls.set(id.name, { name: id.name, kind, id, scope: target });
  }

  /** Declare the names in a binding pattern; default values are expressions in `exprScope`. */
  private declarePattern(p: AnyNode, kind: BindingKind, target: Scope, exprScope: Scope): void {
    if (p.type !== 'Identifier') this.checkSyntax(p);
    switch (p.type) {
      case 'Identifier':
        this.declare(p, kind, target);
        return;
      case 'ObjectPattern':
        for (const prop of p.properties) {
          if (prop.type === 'RestElement') {
            this.declarePattern(prop, kind, target, exprScope);
          } else {
            this.checkSyntax(prop);
            if (prop.computed) this.visit(prop.key, exprScope);
            this.declarePattern(prop.value, kind, target, exprScope);
          }
        }
        return;
      case 'ArrayPattern':
        for (const el of p.elements) if (el) this.declarePattern(el, kind, target, exprScope);
        return;
      case 'AssignmentPattern':
        this.declarePattern(p.left, kind, target, exprScope);
        this.visit(p.right, exprScope);
        return;
      case 'RestElement':
        this.declarePattern(p.argument, kind, target, exprScope);
        return;
      default:
        this.visit(p, exprScope); // member expression targets in for-in/of heads
    }
  }

  // --- the walk -----------------------------------------------------------------------------

  private visitChildren(node: AnyNode, scope: Scope): void {
    for (const key of Object.keys(node)) {
      if (key === 'loc') continue;
      const v = node[key];
      if (Array.isArray(v)) {
        for (const c of v) if (isNode(c)) this.visit(c, scope);
      } else if (isNode(v)) {
        this.visit(v, scope);
      }
    }
  }

  private visitBody(stmts: AnyNode[], scope: Scope): void {
    for (const s of stmts) this.visit(s, scope);
  }

  private visitFunction(node: AnyNode, outer: Scope): void {
    const fn = new Scope('function', outer);
    if (node.type === 'FunctionExpression' && node.id) this.declare(node.id, 'fn-name', fn);
    for (const p of node.params) this.declarePattern(p, 'param', fn, fn);
    if (node.body.type === 'BlockStatement') this.visitBody(node.body.body, fn);
    else this.visit(node.body, fn);
  }

  private visitClass(node: AnyNode, scope: Scope): void {
    let inner = scope;
    if (node.type === 'ClassExpression' && node.id) {
      inner = new Scope('class', scope);
      this.declare(node.id, 'class-name', inner);
    }
    if (node.superClass) this.visit(node.superClass, scope);
    for (const el of node.body.body) {
      this.checkSyntax(el);
      this.checkMemberName(el);
      if (el.type === 'StaticBlock') {
        this.visitBody(el.body, new Scope('function', inner));
        continue;
      }
      if (el.computed) this.visit(el.key, inner);
      else if (el.key.type === 'PrivateIdentifier') this.checkSyntax(el.key);
      // Field initialisers run later, at construction: like a nested function.
      if (el.value) this.visit(el.value, el.type === 'PropertyDefinition' ? new Scope('function', inner) : inner);
    }
  }

  visit(node: AnyNode, scope: Scope): void {
    this.checkSyntax(node);
    switch (node.type) {
      case 'Identifier':
        if (RESERVED_NAMES.has(node.name)) this.report('reserved-identifier', node, `identifier '${node.name}'`);
        this.refs.push({ id: node, scope });
        this.scopeOf.set(node, scope);
        return;
      case 'FunctionDeclaration':
        this.declare(node.id, 'function', scope);
        this.visitFunction(node, scope);
        return;
      case 'FunctionExpression':
      case 'ArrowFunctionExpression':
        this.visitFunction(node, scope);
        return;
      case 'ClassDeclaration':
        this.declare(node.id, 'class', scope);
        this.visitClass(node, scope);
        return;
      case 'ClassExpression':
        this.visitClass(node, scope);
        return;
      case 'VariableDeclaration':
        for (const d of node.declarations) {
          this.declarePattern(d.id, node.kind, node.kind === 'var' ? scope.fn : scope, scope);
          if (d.init) this.visit(d.init, scope);
        }
        return;
      case 'BlockStatement':
        this.visitBody(node.body, new Scope('block', scope));
        return;
      case 'StaticBlock':
        return; // handled in visitClass
      case 'ForStatement':
      case 'ForInStatement':
      case 'ForOfStatement': {
        const head = new Scope('for', scope);
        this.visitChildren(node, head);
        return;
      }
      case 'CatchClause': {
        const c = new Scope('catch', scope);
        if (node.param) this.declarePattern(node.param, 'catch', c, c);
        this.visit(node.body, c);
        return;
      }
      case 'SwitchStatement': {
        this.visit(node.discriminant, scope);
        const inner = new Scope('block', scope);
        for (const cs of node.cases) this.visitChildren(cs, inner);
        return;
      }
      case 'MemberExpression':
        this.visit(node.object, scope);
        if (node.computed) this.visit(node.property, scope);
        if (node.object.type === 'Identifier') this.members.push({ id: node, scope });
        return;
      case 'Property':
        if (node.computed) this.visit(node.key, scope);
        this.visit(node.value, scope);
        return;
      case 'LabeledStatement':
        this.visit(node.body, scope);
        return;
      case 'BinaryExpression':
      case 'LogicalExpression': {
        // Long `a + b + c + ...` chains nest to the left thousands deep: walk the left
        // spine in a loop instead of recursing.
        const spine: AnyNode[] = [];
        let n = node;
        while (n.type === 'BinaryExpression' || n.type === 'LogicalExpression') {
          spine.push(n);
          n = n.left;
        }
        this.visit(n, scope);
        for (let i = spine.length - 1; i >= 0; i--) {
          if (i > 0) this.checkSyntax(spine[i]);
          this.visit(spine[i].right, scope);
        }
        return;
      }
      case 'BreakStatement':
      case 'ContinueStatement':
      case 'MetaProperty':
      case 'PrivateIdentifier':
        return;
      default:
        this.visitChildren(node, scope);
    }
  }

  // --- rules that need no scope -------------------------------------------------------------

  private checkSyntax(node: AnyNode): void {
    switch (node.type) {
      case 'ClassExpression':
        if (node.id) {
          this.report('named-class-expression', node,
            `class expression named '${node.id.name}': Espruino leaves the inner name unbound`);
        }
        this.checkExtends(node);
        return;
      case 'ClassDeclaration':
        this.checkExtends(node);
        return;
      case 'LabeledStatement':
        this.report('label', node, `label '${node.label.name}'`);
        return;
      case 'TaggedTemplateExpression':
        this.report('tagged-template', node, 'tagged template');
        return;
      case 'Property':
      case 'MethodDefinition':
      case 'PropertyDefinition':
        if (node.computed) this.report('computed-key', node, 'computed key');
        if (node.type === 'PropertyDefinition') this.report('class-field', node, 'class field');
        return;
      case 'PrivateIdentifier':
        this.report('private-member', node, `#${node.name}`);
        return;
      case 'StaticBlock':
        this.report('static-block', node, 'static { } block');
        return;
      case 'FunctionDeclaration':
      case 'FunctionExpression':
      case 'ArrowFunctionExpression':
        if (node.async) this.report('async-generator', node, 'async function');
        if (node.generator) this.report('async-generator', node, 'generator function');
        return;
      case 'AwaitExpression':
        this.report('async-generator', node, 'await');
        return;
      case 'YieldExpression':
        this.report('async-generator', node, 'yield');
        return;
      case 'ForOfStatement':
        if (node.await) this.report('async-generator', node, 'for await');
        return;
      case 'SpreadElement':
        this.report('spread-rest', node, 'spread');
        return;
      case 'RestElement':
        this.report('spread-rest', node, 'rest element');
        return;
      case 'ObjectPattern':
      case 'ArrayPattern':
        this.report('destructuring', node, 'destructuring pattern');
        return;
      case 'AssignmentPattern':
        this.report('default-param', node, 'default value in a parameter or pattern');
        return;
      case 'BinaryExpression':
        if (node.operator === '**') this.report('exponent', node, '**');
        if (node.operator === 'instanceof' && node.right.type === 'Identifier' && ENGINE_ERROR_CLASSES.has(node.right.name)) {
          this.instanceofs.push(node);
        }
        return;
      case 'AssignmentExpression':
        if (node.operator === '**=') this.report('exponent', node, '**=');
        if (node.operator === '&&=' || node.operator === '||=' || node.operator === '??=') {
          this.report('logical-assignment', node, node.operator);
        }
        return;
      case 'ChainExpression':
        this.report('optional-chain', node, '?.');
        return;
      case 'MetaProperty':
        if (node.meta.name === 'new') this.report('new-target', node, 'new.target');
        return;
      case 'Literal':
        if (node.bigint !== undefined) this.report('bigint', node, `${node.bigint}n`);
        if (node.regex) {
          const probs = regexProblems(node.regex.pattern, node.regex.flags);
          if (probs.length) this.report('regex', node, probs.join(', '));
        }
        return;
      case 'CallExpression':
        this.checkMethodCall(node);
        return;
      case 'MemberExpression': {
        const name = propName(node);
        if ((name === 'call' || name === 'apply') && node.object.type === 'MemberExpression'
          && node.object.object.type === 'MemberExpression' && propName(node.object.object) === 'prototype') {
          const owner = node.object.object.object;
          const method = propName(node.object);
          // Measured present on Espruino 2v29 (reference section 1.2): the one X.prototype.m
          // that exists, and the idiom for own-property checks. Not a suppression: the rule
          // is about methods that are undefined there.
          const present = owner.type === 'Identifier' && owner.name === 'Object' && method === 'hasOwnProperty';
          if (!present) this.report('prototype-call', node, `X.prototype.${method ?? '?'}.${name}`);
        }
        return;
      }
      default:
    }
  }

  /** A class method/getter/setter must be named by a plain, non-reserved identifier. */
  private checkMemberName(el: AnyNode): void {
    if (el.type !== 'MethodDefinition' || el.computed) return; // computed keys have their own rule
    const key = el.key;
    const what = el.kind === 'get' ? 'getter' : el.kind === 'set' ? 'setter' : 'method';
    if (key.type === 'Identifier') {
      if (ESPRUINO_RESERVED_WORDS.has(key.name)) this.report('class-member-name', key, `${what} named '${key.name}' (a reserved word)`);
    } else if (key.type === 'Literal') {
      this.report('class-member-name', key, `${what} named by the literal ${JSON.stringify(key.value)}`);
    }
  }

  private checkExtends(node: AnyNode): void {
    const sup = node.superClass;
    if (!sup) return;
    if (sup.type !== 'Identifier') this.report('extends-expression', sup, `extends a ${sup.type}`);
    else if (ERROR_CLASSES.has(sup.name)) this.report('extends-error', node, `extends ${sup.name}`);
  }

  private checkMethodCall(node: AnyNode): void {
    const callee = node.callee;
    if (callee.type !== 'MemberExpression') return;
    const name = propName(callee);
    if (name !== undefined && FORBIDDEN_METHODS.has(name)) this.report('forbidden-method', callee, `.${name}()`);
    if (name === 'split' && node.arguments.length >= 2) this.report('split-limit', node, '.split(separator, limit)');
    if (name === 'toFixed' || name === 'toPrecision' || name === 'toExponential') this.report('number-format', node, `.${name}()`);
  }

  // --- rules that need scopes ---------------------------------------------------------------

  private resolveAll(): void {
    for (const node of this.instanceofs) {
      const cls: string = node.right.name;
      // Only the global class: a local binding of that name is someone's own value. The
      // right side was also visited as an identifier, so it resolves like any reference.
      if (!this.scopeOf.get(node.right)?.resolve(cls)) this.report('engine-error-instanceof', node, `instanceof ${cls}`);
    }
    for (const ref of this.refs) {
      const name: string = ref.id.name;
      const b = ref.scope.resolve(name);
      if (!b) {
        this.checkGlobal(ref);
        continue;
      }
      const sameFunction = ref.scope.fn === b.scope.fn;
      if (sameFunction && ref.id.start < b.id.start
        && (b.kind === 'var' || b.kind === 'let' || b.kind === 'const' || b.kind === 'class' || b.kind === 'function')) {
        this.report('use-before-define', ref.id,
          `'${name}' (${b.kind}) is used at ${ref.id.loc.start.line}:${ref.id.loc.start.column + 1} before its declaration at ${b.id.loc.start.line}:${b.id.loc.start.column + 1}`);
      }
      if (!sameFunction && b.scope.kind === 'for' && (b.kind === 'let' || b.kind === 'const')) {
        this.report('loop-let-closure', ref.id, `a function created in the loop captures loop variable '${name}'`);
      }
    }
    for (const m of this.members) {
      const obj = m.id.object;
      if (m.scope.resolve(obj.name)) continue;
      const name = propName(m.id);
      const banned = FORBIDDEN_MEMBERS[obj.name];
      if (name !== undefined && banned && banned.has(name)) this.report('forbidden-member', m.id, `${obj.name}.${name}`);
    }
  }

  private checkGlobal(ref: Ref): void {
    const node = ref.id;
    const name: string = node.name;
    if (NODE_BUILTINS.has(name)) this.report('node-builtin', node, name);
    else if (FORBIDDEN_GLOBALS.has(name)) this.report('forbidden-global', node, name);
    else if (HOST_GLOBALS.has(name)) this.report('host-global', node, name);
    else if (name === 'RegExp') this.checkRegExpCall(ref);
  }

  /** `RegExp(...)` / `new RegExp(...)`: check literal arguments; a dynamic pattern is unknowable. */
  private checkRegExpCall(ref: Ref): void {
    const parent = this.parentCall(ref.id);
    if (!parent) return;
    const [pat, flags] = parent.arguments;
    if (!pat || pat.type !== 'Literal' || typeof pat.value !== 'string'
      || (flags && !(flags.type === 'Literal' && typeof flags.value === 'string'))) {
      this.report('regex', parent, 'RegExp built from a non-literal pattern cannot be checked');
      return;
    }
    const probs = regexProblems(pat.value, flags ? flags.value : '');
    if (probs.length) this.report('regex', parent, probs.join(', '));
  }

  private calls = new Map<number, AnyNode>();
  /** Calls/news by callee start offset, so an identifier can find the call it names. */
  indexCalls(program: AnyNode): void {
    const stack: AnyNode[] = [program];
    while (stack.length) {
      const n = stack.pop();
      if ((n.type === 'CallExpression' || n.type === 'NewExpression') && n.callee.type === 'Identifier') {
        this.calls.set(n.callee.start, n);
      }
      for (const key of Object.keys(n)) {
        if (key === 'loc') continue;
        const v = n[key];
        if (Array.isArray(v)) { for (const c of v) if (isNode(c)) stack.push(c); } else if (isNode(v)) stack.push(v);
      }
    }
  }

  private parentCall(id: AnyNode): AnyNode | undefined {
    return this.calls.get(id.start);
  }
}

/** Lint a bundle's text. Findings are sorted by position; an empty array means clean. */
export function lintBundle(code: string, opts: LintOptions = {}): Finding[] {
  const linter = new Linter(code, opts.map);
  let program: AnyNode;
  try {
    program = acorn.parse(code, { ecmaVersion: 'latest', sourceType: 'script', locations: true });
  } catch (err) {
    const e = err as SyntaxError & { loc?: { line: number; column: number } };
    const loc = e.loc ?? { line: 1, column: 0 };
    return [{ rule: 'parse-error', message: e.message, line: loc.line, column: loc.column + 1, snippet: '' }];
  }
  linter.indexCalls(program);
  linter.run(program);
  return linter.findings;
}

/** One finding as a compiler-style line (plus the source position when known). */
export function formatFinding(f: Finding, file: string): string {
  const src = f.source ? ` (from ${f.source.file}:${f.source.line}:${f.source.column})` : '';
  return `${file}:${f.line}:${f.column}: ${f.rule}: ${f.message}${src}\n    ${f.snippet}`;
}
