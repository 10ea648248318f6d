// The CLI runs as one ES module compiled from the TypeScript sources on first use and again whenever
// a source changes: no build step to go stale, and no loader thread. Loading ~300 modules through
// tsx's hooks costs about 95 MB of RSS and two seconds per process (each worker pays it); the
// compiled module starts in a fraction of that. Without a writable cache (a read-only install) or
// without esbuild, this returns undefined and the caller falls back to tsx.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CACHE = join(ROOT, 'node_modules', '.cache', 'vendorflow');

/** The compiled module's URL for `entry` (a path under the project), built if missing or stale. */
export async function compiledEntry(entry) {
  const name = relative(ROOT, resolve(ROOT, entry)).replace(/[^A-Za-z0-9]+/g, '-');
  const manifestPath = join(CACHE, `${name}.json`);
  try {
    const manifest = readManifest(manifestPath);
    if (manifest && isFresh(manifest)) return pathToFileURL(join(CACHE, manifest.module)).href;
    return pathToFileURL(await build(resolve(ROOT, entry), name, manifestPath)).href;
  } catch {
    return undefined;
  }
}

function readManifest(path) {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Fresh when every source it was compiled from has the size and mtime it had then. */
function isFresh(manifest) {
  if (!statSync(join(CACHE, manifest.module), { throwIfNoEntry: false })) return false;
  for (const [file, [mtimeMs, size]] of Object.entries(manifest.inputs)) {
    const s = statSync(join(ROOT, file), { throwIfNoEntry: false });
    if (!s || s.mtimeMs !== mtimeMs || s.size !== size) return false;
  }
  return true;
}

async function build(entry, name, manifestPath) {
  const { build: esbuild } = await import('esbuild');
  const result = await esbuild({
    entryPoints: [entry], absWorkingDir: ROOT, bundle: true, platform: 'node', format: 'esm', target: 'node20',
    packages: 'external', write: false, metafile: true, sourcemap: 'linked', outfile: join(CACHE, `${name}.mjs`),
    logLevel: 'silent', plugins: [sourceLocations],
  });
  const code = result.outputFiles.find((f) => f.path.endsWith('.mjs'));
  const map = result.outputFiles.find((f) => f.path.endsWith('.map'));
  const module = `${name}-${createHash('sha256').update(code.contents).digest('hex').slice(0, 16)}.mjs`;
  mkdirSync(CACHE, { recursive: true });
  // Written under temporary names and renamed: processes starting together never see half a file.
  const tmp = `.${process.pid}.tmp`;
  writeFileSync(join(CACHE, module + '.map' + tmp), map.contents);
  renameSync(join(CACHE, module + '.map' + tmp), join(CACHE, module + '.map'));
  writeFileSync(join(CACHE, module + tmp), code.text.replace(/sourceMappingURL=\S+$/m, `sourceMappingURL=${module}.map`));
  renameSync(join(CACHE, module + tmp), join(CACHE, module));
  const inputs = {};
  for (const file of Object.keys(result.metafile.inputs)) {
    const s = statSync(resolve(ROOT, file));
    inputs[relative(ROOT, resolve(ROOT, file))] = [s.mtimeMs, s.size];
  }
  writeFileSync(manifestPath + tmp, JSON.stringify({ module, inputs }));
  renameSync(manifestPath + tmp, manifestPath);
  removeStale(name, module);
  return join(CACHE, module);
}

/** Earlier builds of this entry, once no process can still be about to load them (ten minutes on). */
function removeStale(name, current) {
  const before = Date.now() - 10 * 60_000;
  for (const file of readdirSync(CACHE)) {
    if (!file.startsWith(`${name}-`) || file.startsWith(current)) continue;
    const s = statSync(join(CACHE, file), { throwIfNoEntry: false });
    if (s && s.mtimeMs < before) rmSync(join(CACHE, file), { force: true });
  }
}

/**
 * Modules find their neighbours (migrations, worker scripts, example specs, package.json) through
 * `import.meta.url`; in one compiled module that would name the cache, so each source keeps its own.
 */
const sourceLocations = {
  name: 'source-locations',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      return {
        contents: text.includes('import.meta.url') ? text.replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href)) : text,
        loader: 'ts', resolveDir: dirname(args.path),
      };
    });
  },
};
