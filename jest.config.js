// @ts-check
// Two projects (SPEC §9): `unit` — pure logic, no services, parallel; `integration` — real Temporal,
// Postgres, Redis and local HTTP servers, one file at a time per lane (`npm test` passes -w 1; see
// testSequencer) because the files share those services. TypeScript goes through @swc/jest: on the unit project a cold run
// took 6.2–6.8 s against ts-jest's 9.2–10.0 s, and the same once cached (README, Tests).
const swc = [
  '@swc/jest',
  {
    jsc: {
      target: 'es2022',
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
    },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  },
];

const common = {
  rootDir: __dirname,
  testEnvironment: 'node',
  // jose is ESM-only; the built app loads it with Node's require(esm), jest's module loader cannot.
  transform: { '^.+\\.ts$': swc, '/node_modules/jose/.+\\.js$': swc },
  transformIgnorePatterns: ['/node_modules/(?!jose/)'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  modulePathIgnorePatterns: ['<rootDir>/dist/', '<rootDir>/.data/'],
};

const COVERAGE_THRESHOLDS = {
  'domain/policy.ts': { statements: 92, branches: 100, functions: 75, lines: 92 },
  'domain/connector-spec.ts': { statements: 100, branches: 100, functions: 100, lines: 100 },
  'activities/http-request.ts': { statements: 98, branches: 95, functions: 100, lines: 98 },
  'activities/secrets.ts': { statements: 97, branches: 80, functions: 100, lines: 97 },
  'activities/ssrf.ts': { statements: 97, branches: 86, functions: 93, lines: 97 },
  'src/auth/token-verifier.ts': { statements: 96, branches: 88, functions: 100, lines: 96 },
  'src/secrets/secret-cipher.ts': { statements: 100, branches: 95, functions: 100, lines: 100 },
};

/** @type {import('jest').Config} */
module.exports = {
  // Which files `--shard=K/2` runs: the two lanes of `npm test` (see the file).
  testSequencer: '<rootDir>/test/support/lanes.mjs',
  // `npm test` runs each lane in one worker process (-w 1, not --runInBand): a process that kept
  // every file's modules grew to ~6 GB and its last files ran 3-4x slower; past this size the
  // worker is replaced between files.
  workerIdleMemoryLimit: '1GB',
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      setupFilesAfterEnv: ['<rootDir>/test/support/integration-timeout.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
  ],
  // Coverage of the pure modules the unit project owns, each held at what it reaches today so it
  // can only go up; the files measured are the files with a threshold.
  coverageProvider: 'v8',
  collectCoverageFrom: Object.keys(COVERAGE_THRESHOLDS),
  coverageReporters: ['text-summary', 'text'],
  coverageThreshold: Object.fromEntries(Object.entries(COVERAGE_THRESHOLDS).map(([file, threshold]) => [`./${file}`, threshold])),
};
