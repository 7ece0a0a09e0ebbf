// The layout check `npm test` runs: dependency-cruiser's rules (.dependency-cruiser.cjs: no file cycles, the
// arrows of DESIGN.md), then a cycle search on the graph collapsed to folders (src/<feature>, projections, bench),
// which dependency-cruiser's own circular rule does not do.
import { cruise } from 'dependency-cruiser';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';
import { createRequire } from 'node:module';

const roots = ['src', 'projections', 'bench'];
const rules = createRequire(import.meta.url)('../.dependency-cruiser.cjs');
const tsConfig = extractTSConfig('tsconfig.json');
const options = { ...rules.options, validate: true, ruleSet: { forbidden: rules.forbidden }, outputType: 'err' };

const files = await cruise(roots, options, undefined, { tsConfig });
if (files.exitCode !== 0) {
  console.error(files.output);
  process.exit(1);
}

const collapsed = await cruise(roots, { ...options, validate: false, outputType: 'json', collapse: '^(src/[^/]+|projections|bench)' }, undefined, { tsConfig });
const graph = new Map(JSON.parse(collapsed.output).modules.map((m) => [m.source, m.dependencies.map((d) => d.resolved).filter((d) => d !== m.source)]));
const reaches = (from, target, seen = new Set()) =>
  (graph.get(from) ?? []).some((next) => next === target || (!seen.has(next) && (seen.add(next), reaches(next, target, seen))));
const cycles = [...graph.keys()].filter((folder) => reaches(folder, folder));
if (cycles.length) {
  console.error(`These folders are on an import cycle: ${cycles.join(', ')}`);
  process.exit(1);
}
console.log('Layout: no import cycles between files or folders; the arrows point as DESIGN.md says');
