/** The module graph has no cycles, and the folder arrows of DESIGN.md point one way (npm test runs this). */
const feature = '^src/(jobs|runs|connections|workspaces|streams|tails|logs|audit|identity|declarations|datasyncs|ingestions)/';
module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
    { name: 'core-is-a-leaf', severity: 'error', from: { path: '^src/core/' }, to: { path: '^(src|projections)/', pathNot: '^src/core/' } },
    { name: 'features-never-import-projections', severity: 'error', from: { path: '^src/', pathNot: '^src/(app\\.module|app)\\.ts$' }, to: { path: '^projections/' } },
    { name: 'features-never-import-execution', severity: 'error', from: { path: feature }, to: { path: '^src/(execution|dialects|infrastructure|http)/' } },
    { name: 'only-the-app-imports-dialects', severity: 'error', from: { path: '^(src|projections)/', pathNot: '^src/(app\\.module\\.ts|dialects/)' }, to: { path: '^src/dialects/' } },
    { name: 'adapters-import-only-core', severity: 'error', from: { path: '^src/infrastructure/' }, to: { path: '^(src|projections)/', pathNot: '^src/(core|config|infrastructure)/' } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    exclude: { path: '\\.spec\\.ts$' },
  },
};
