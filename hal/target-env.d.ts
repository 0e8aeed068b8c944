/**
 * The type environment of target code (firmware/, flash/, hal/*.ts): lib ES5 plus what
 * Espruino 2v29 and XS both have (reference/embedded_js.md section 5). Anything not declared
 * here (Map, Set, Symbol, BigInt, Array.from, Object.freeze, Math.trunc, Number.isInteger,
 * Promise.race/finally, ...) is a type error in target code.
 */
interface Array<T> {
  find(predicate: (value: T, index: number) => boolean): T | undefined;
  findIndex(predicate: (value: T, index: number) => boolean): number;
  includes(value: T): boolean;
  fill(value: T, start?: number, end?: number): this;
}
interface String {
  startsWith(search: string, position?: number): boolean;
  endsWith(search: string, length?: number): boolean;
  includes(search: string, position?: number): boolean;
  repeat(count: number): string;
  padStart(length: number, fill?: string): string;
  padEnd(length: number, fill?: string): string;
}
interface ObjectConstructor {
  assign<T extends object, U>(target: T, source: U): T & U;
  values<T>(o: { [key: string]: T }): T[];
  entries<T>(o: { [key: string]: T }): [string, T][];
}
interface PromiseLike<T> {
  then<R1 = T, R2 = never>(onfulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null): PromiseLike<R1 | R2>;
}
interface Promise<T> {
  then<R1 = T, R2 = never>(onfulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null): Promise<R1 | R2>;
  catch<R = never>(onrejected?: ((reason: unknown) => R | PromiseLike<R>) | null): Promise<T | R>;
}
interface PromiseConstructor {
  new <T>(executor: (resolve: (value: T | PromiseLike<T>) => void, reject: (reason?: unknown) => void) => void): Promise<T>;
  all<T>(values: (T | PromiseLike<T>)[]): Promise<T[]>;
  resolve<T>(value: T | PromiseLike<T>): Promise<T>;
  reject<T = never>(reason?: unknown): Promise<T>;
}
declare var Promise: PromiseConstructor;
