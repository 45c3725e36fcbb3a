// Loads SLO files (burnrate YAML and OpenSLO v1) from a file or a directory and reports every
// problem at once as "file:line: path: message".
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { LineCounter, parseAllDocuments, type Document } from 'yaml';
import type { z } from 'zod';
import type { Slo } from '../model.ts';
import { sloSchema } from './schema.ts';
import { toModel } from './to-model.ts';
import { fromOpenSlo, isOpenSlo } from './openslo.ts';
import { tierWarnings } from './warnings.ts';

export interface Problem {
  file: string;
  line?: number;
  path: (string | number)[];
  message: string;
}

export function formatPath(path: readonly (string | number)[]): string {
  return path.reduce<string>((out, p) => (typeof p === 'number' ? `${out}[${p}]` : out ? `${out}.${p}` : p), '');
}

export function formatProblem(p: Problem): string {
  const where = p.line ? `${p.file}:${p.line}` : p.file;
  const path = formatPath(p.path);
  return `${where}: ${path ? path + ': ' : ''}${p.message}`;
}

export interface LoadResult {
  slos: Slo[];
  problems: Problem[];
  /** Valid but suspicious (see warnings.ts). */
  warnings: Problem[];
}

/** A parsed YAML document with a way back from a path to its line. */
export interface SourceDoc {
  file: string;
  value: unknown;
  lineOf(path: readonly (string | number)[]): number | undefined;
}

function listFiles(target: string): string[] {
  const st = statSync(target);
  if (!st.isDirectory()) return [target];
  return readdirSync(target, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? listFiles(join(target, e.name)) : /\.ya?ml$/i.test(e.name) ? [join(target, e.name)] : []))
    .sort();
}

function lineFinder(doc: Document, lines: LineCounter) {
  return (path: readonly (string | number)[]) => {
    // The deepest node that exists along the path.
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
      if (node && typeof node === 'object' && node.range) return lines.linePos(node.range[0]).line;
    }
    return undefined;
  };
}

export function zodProblems(error: z.ZodError, src: SourceDoc, prefix: (string | number)[] = []): Problem[] {
  return error.issues.map((issue) => {
    const path = [...prefix, ...(issue.path as (string | number)[])];
    return { file: src.file, line: src.lineOf(path), path, message: issue.message };
  });
}

/** Parses YAML text into documents; syntax errors become problems. */
export function parseYaml(text: string, file: string): { docs: SourceDoc[]; problems: Problem[] } {
  const lines = new LineCounter();
  const docs: SourceDoc[] = [];
  const problems: Problem[] = [];
  for (const doc of parseAllDocuments(text, { lineCounter: lines, prettyErrors: false })) {
    if (!('errors' in doc)) continue;
    if (doc.errors.length) {
      for (const e of doc.errors) problems.push({ file, line: lines.linePos(e.pos[0]).line, path: [], message: e.message.split('\n')[0]! });
      continue;
    }
    const value = doc.toJS();
    if (value === null || value === undefined) continue;
    docs.push({ file, value, lineOf: lineFinder(doc, lines) });
  }
  return { docs, problems };
}

function loadNative(src: SourceDoc, problems: Problem[]): Slo[] {
  const value = src.value as Record<string, unknown>;
  const entries: { value: unknown; path: (string | number)[] }[] =
    value && typeof value === 'object' && !Array.isArray(value) && 'slos' in value && Array.isArray(value.slos)
      ? value.slos.map((v, i) => ({ value: v, path: ['slos', i] }))
      : [{ value, path: [] }];
  const out: Slo[] = [];
  for (const entry of entries) {
    const parsed = sloSchema.safeParse(entry.value);
    if (!parsed.success) problems.push(...zodProblems(parsed.error, src, entry.path));
    else out.push(toModel(parsed.data, src.file));
  }
  return out;
}

/**
 * When the collector assigns tenants, an SLO that does not name one would count only rows sent
 * without a tenant: almost surely a mistake, so it must be named ("" for those rows).
 */
export function tenantProblems(slos: readonly Slo[], tenants: readonly string[]): Problem[] {
  if (tenants.length === 0) return [];
  const list = tenants.map((t) => JSON.stringify(t)).join(', ');
  return slos.flatMap((slo): Problem[] => {
    if (slo.tenant === undefined) {
      return [{ file: slo.source.file, path: ['tenant'], message: `SLO ${JSON.stringify(slo.id)} must name its tenant: the collector assigns tenants (${list}); use tenant: "" for rows sent without one` }];
    }
    if (slo.tenant !== '' && !tenants.includes(slo.tenant)) {
      return [{ file: slo.source.file, path: ['tenant'], message: `SLO ${JSON.stringify(slo.id)}: tenant ${JSON.stringify(slo.tenant)} is not one the collector assigns (${list})` }];
    }
    return [];
  });
}

/**
 * Loads and validates every SLO in `target` (a file or a directory of .yaml/.yml files). `tenants`:
 * the tenants the collector assigns (empty: it assigns none).
 */
export function loadSlos(target: string, options: { cwd?: string; tenants?: readonly string[] } = {}): LoadResult {
  const cwd = options.cwd ?? process.cwd();
  const problems: Problem[] = [];
  let files: string[];
  try {
    files = listFiles(target);
  } catch (err) {
    return { slos: [], problems: [{ file: target, path: [], message: `cannot read: ${(err as Error).message}` }], warnings: [] };
  }
  const docs: SourceDoc[] = [];
  for (const path of files) {
    const rel = relative(cwd, path);
    const file = rel && !rel.startsWith('..') ? rel : path;
    const parsed = parseYaml(readFileSync(path, 'utf8'), file);
    problems.push(...parsed.problems);
    docs.push(...parsed.docs);
  }
  const slos: Slo[] = [];
  const open = docs.filter((d) => isOpenSlo(d.value));
  for (const d of docs) if (!isOpenSlo(d.value)) slos.push(...loadNative(d, problems));
  const fromOpen = fromOpenSlo(open);
  problems.push(...fromOpen.problems);
  slos.push(...fromOpen.slos);

  const seen = new Map<string, string>();
  for (const slo of slos) {
    const first = seen.get(slo.id);
    if (first) problems.push({ file: slo.source.file, path: ['id'], message: `duplicate SLO id "${slo.id}" (also in ${first})` });
    else seen.set(slo.id, slo.source.file);
  }
  if (files.length === 0) problems.push({ file: target, path: [], message: 'no .yaml or .yml files found' });
  problems.push(...tenantProblems(slos, options.tenants ?? []));
  const warnings = slos.flatMap((slo) => tierWarnings(slo).map((message): Problem => ({ file: slo.source.file, path: [], message: `SLO ${JSON.stringify(slo.id)}: ${message}` })));
  return { slos, problems, warnings };
}
