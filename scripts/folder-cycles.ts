/**
 * Import cycles between the top-level folders of src/ (issue 17: "no import cycle
 * between folders"). Reads every non-spec `.ts` file, resolves its relative imports
 * and re-exports (type-only ones included: they couple the folders all the same),
 * and reports each cycle with the imports that make it. Exit 1 when there is one.
 *
 *   swc scripts -d .build --quiet && node .build/scripts/folder-cycles.js [src]
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(process.argv[2] ?? 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') && !path.endsWith('.spec.ts') ? [path] : [];
  });
}

/** `core` for src/core/queue/topic.ts; `.` for a file directly in src/. */
function folderOf(path: string): string {
  const parts = relative(root, path).split('/');
  return parts.length > 1 ? parts[0] : '.';
}

/** folder → folder → the imports (`from -> to`) behind that edge. */
const edges = new Map<string, Map<string, string[]>>();
for (const file of sourceFiles(root)) {
  const text = readFileSync(file, 'utf8');
  for (const m of text.matchAll(/(?:import|export)\s[^'"]*?from\s+['"](\.[^'"]+)['"]/g)) {
    const target = resolve(dirname(file), m[1].replace(/\.js$/, '.ts'));
    const [from, to] = [folderOf(file), folderOf(target)];
    if (from === to) continue;
    const out = edges.get(from) ?? new Map<string, string[]>();
    edges.set(from, out);
    out.set(to, [...(out.get(to) ?? []), `${relative(root, file)} -> ${relative(root, target)}`]);
  }
}

/** Every elementary cycle, each reported once (from its smallest folder name). */
const cycles: string[][] = [];
function walk(start: string, node: string, path: string[]): void {
  for (const next of edges.get(node)?.keys() ?? []) {
    if (next === start) cycles.push([...path, start]);
    else if (next > start && !path.includes(next)) walk(start, next, [...path, next]);
  }
}
for (const folder of [...edges.keys()].sort()) walk(folder, folder, [folder]);

for (const cycle of cycles) {
  console.log(`cycle: ${cycle.join(' -> ')}`);
  for (let i = 0; i + 1 < cycle.length; i++)
    for (const imp of edges.get(cycle[i])?.get(cycle[i + 1]) ?? []) console.log(`  ${imp}`);
}
console.log(
  `${cycles.length} cycle(s) between the top-level folders of ${relative('.', root) || '.'}`,
);
process.exitCode = cycles.length > 0 ? 1 : 0;
