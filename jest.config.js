// Nest 12 ships ESM only, so Jest runs in its native ESM mode (see the "test" script). With isolatedModules
// (tsconfig.json) ts-jest transpiles each file on its own: no type-check here, `npm run typecheck` does that.
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true }] },
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/projections/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'],
  testTimeout: 30000,
};
