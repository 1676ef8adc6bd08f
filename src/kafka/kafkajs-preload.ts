// kafkajs is CommonJS and reads each of its modules once, when the module that requires it loads. A module put
// in Node's require cache under a kafkajs file's name before that replaces the file for the whole process; the
// replacements in kafkajs-grouping.ts and kafkajs-record.ts are put there with `preload`.
import { readFileSync } from 'node:fs';
import { createRequire, Module } from 'node:module';
import { dirname } from 'node:path';

const require = createRequire(import.meta.url);

/** The resolved path of a kafkajs file, e.g. kafkajsFile('src/producer/sendMessages.js'). */
export const kafkajsFile = (rel: string): string => require.resolve(`kafkajs/${rel}`);

/** Whether a file is in the require cache (loaded, or preloaded). */
export const isLoaded = (file: string): boolean => Boolean(require.cache[file]);

/** Puts `exports` in the require cache as `file`, unless that file is there already (then nothing changes). */
export function preload(file: string, exports: unknown): void {
  if (require.cache[file]) return;
  const m = new Module(file);
  m.filename = file;
  m.loaded = true;
  m.exports = exports;
  require.cache[file] = m;
}

/** Whether the require cache holds `exports` as `file`. */
export const holds = (file: string, exports: unknown): boolean => require.cache[file]?.exports === exports;

/** A kafkajs file's own exports, compiled from the file (the require cache may hold a replacement under its name). */
export function originalModule<T>(file: string): T {
  const m = new Module(file) as Module & { _compile(src: string, file: string): void; paths: string[] };
  m.filename = file;
  m.paths = (Module as unknown as { _nodeModulePaths(d: string): string[] })._nodeModulePaths(dirname(file));
  m._compile(readFileSync(file, 'utf8'), file);
  return m.exports as T;
}
