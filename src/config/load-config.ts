import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { VendorflowError } from '../shared/errors.js';
import { ConfigSchema, ENV_KEYS, type Config } from './schema.js';

export interface ConfigSources {
  env: NodeJS.ProcessEnv;
  /** Optional YAML/JSON file; VENDORFLOW_CONFIG names one when this is absent. */
  file?: string;
}

/**
 * Environment over file, validated once. The first problem becomes one line naming the key (and the
 * environment variable or file it came from), exit code 2.
 */
export function loadConfig({ env, file }: ConfigSources): Config {
  const path = file ?? env.VENDORFLOW_CONFIG;
  const raw: Record<string, unknown> = path ? readConfigFile(path) : {};
  const origin = new Map<string, string>();
  for (const [name, key] of Object.entries(ENV_KEYS)) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    setPath(raw, key, value);
    origin.set(key, name);
  }
  const result = ConfigSchema.safeParse(raw);
  if (result.success) return result.data;
  throw new VendorflowError('CONFIG_INVALID', describeIssue(result.error.issues[0]!, origin, path));
}

function describeIssue(issue: z.core.$ZodIssue, origin: Map<string, string>, file?: string): string {
  const key = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((k) => (key ? `${key}.${k}` : k)).join(', ');
    return `config: unknown key ${keys}${file ? ` in ${file}` : ''}`;
  }
  const from = origin.get(key) ?? (file ? `${key} in ${file}` : key);
  return `config: ${from}: ${issue.message}`;
}

function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new VendorflowError('CONFIG_INVALID', `config: cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? e}`);
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (e) {
    const first = (e as Error).message.split('\n')[0]!.replace(/:\s*$/, '');
    throw new VendorflowError('CONFIG_INVALID', `config: ${path} is not valid YAML: ${first}`);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new VendorflowError('CONFIG_INVALID', `config: ${path} must hold a mapping of keys`);
  }
  return parsed as Record<string, unknown>;
}

function setPath(target: Record<string, unknown>, dotted: string, value: unknown): void {
  const parts = dotted.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    if (typeof node[part] !== 'object' || node[part] === null) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts.at(-1)!] = value;
}
