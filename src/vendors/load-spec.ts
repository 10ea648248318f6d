import { readFileSync } from 'node:fs';
import { isMap, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { VendorflowError } from '../shared/errors.js';
import { VendorSpec } from './spec-schema.js';

/** One problem in a spec file: its path in the YAML (`outbound.columns[3].format`) and, when known, line and column. */
export interface SpecProblem { path: string; message: string; line?: number; col?: number }

export type SpecResult = { ok: true; spec: VendorSpec } | { ok: false; problems: SpecProblem[] };

/** Parses and validates spec text; never throws for a bad spec, every problem is returned. */
export function parseVendorSpec(text: string): SpecResult {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      problems: doc.errors.map((e) => {
        const pos = lines.linePos(e.pos[0]);
        return { path: '(yaml)', message: e.message.split('\n')[0]!, line: pos.line, col: pos.col };
      }),
    };
  }
  const result = VendorSpec.safeParse(doc.toJS());
  if (result.success) return { ok: true, spec: result.data };
  return { ok: false, problems: result.error.issues.flatMap((i) => toProblems(i, doc, lines)) };
}

/** Reads and validates a spec file; throws SPEC_INVALID listing every problem. */
export function loadVendorSpecFile(file: string): VendorSpec {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new VendorflowError('NOT_FOUND', `spec ${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? e})`);
  }
  const result = parseVendorSpec(text);
  if (!result.ok) {
    throw new VendorflowError('SPEC_INVALID', `spec ${file}: ${result.problems.length} problem(s)\n${result.problems.map((p) => `  ${formatProblem(p)}`).join('\n')}`);
  }
  return result.spec;
}

export function formatProblem(p: SpecProblem): string {
  return `${p.line ? `line ${p.line}:${p.col} ` : ''}${p.path}: ${p.message}`;
}

/** `['outbound','columns',3,'format']` → `outbound.columns[3].format`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out ? `.${String(seg)}` : String(seg);
  }
  return out || '(root)';
}

function toProblems(issue: z.core.$ZodIssue, doc: Document, lines: LineCounter): SpecProblem[] {
  const at = (path: PropertyKey[], message: string): SpecProblem => {
    const pos = positionOf(doc, lines, path);
    return { path: formatPath(path), message, ...pos };
  };
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((k) => at([...issue.path, k], 'unknown key'));
  }
  if (issue.code === 'invalid_type' && issue.input === undefined) return [at(issue.path, 'required')];
  if (issue.code === 'invalid_union' && 'note' in issue && issue.note === 'No matching discriminator') {
    return [at([...issue.path, issue.discriminator ?? ''], 'unknown or missing kind')];
  }
  return [at(issue.path, issue.message)];
}

/** The nearest node that exists along the path gives the position (a missing key points at its parent). */
function positionOf(doc: Document, lines: LineCounter, path: PropertyKey[]): { line?: number; col?: number } {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n) as Array<string | number>, true) as { range?: [number, number, number] } | undefined;
    if (node && node.range) {
      const pos = lines.linePos(node.range[0]);
      return { line: pos.line, col: pos.col };
    }
    if (n === 0 && (isMap(doc.contents) || isSeq(doc.contents))) break;
  }
  return {};
}
