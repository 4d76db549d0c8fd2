// @ts-check
// The architecture, checked by `npm run lint` (dependency-cruiser). Each rule says in one line why it
// exists; the tool prints that line when it refuses an import.
// Tables named in SQL are checked the same way, after it: scripts/table-owners.mjs (who owns what) and
// scripts/check-table-owners.mjs.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'A file cycle means neither file can be understood, tested or moved alone.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-circular-folders',
      comment: 'A folder (slice, layer) cycle erases the boundary between them: the two are one slice in disguise.',
      severity: 'error',
      scope: 'folder',
      from: {},
      to: { circular: true },
    },
    {
      name: 'domain-is-pure',
      comment: 'domain/ is the kernel that api, workflows and activities share: it imports nothing but itself (no SDKs, no Node built-ins).',
      severity: 'error',
      from: { path: '^domain/' },
      to: { pathNot: '^domain/' },
    },
    {
      name: 'workflows-deterministic',
      comment: 'Workflow code is replayed (SPEC §2): only @temporalio/workflow, other workflow modules and domain/.',
      severity: 'error',
      from: { path: '^workflows/' },
      to: { pathNot: ['^workflows/', '^domain/', '^node_modules/@temporalio/workflow/'] },
    },
    {
      name: 'activities-not-to-src',
      comment: 'Activities are a hexagon: they see the world through activities/ports.ts, never Nest services or entities in src/.',
      severity: 'error',
      from: { path: '^activities/' },
      to: { path: '^src/' },
    },
    {
      name: 'src-not-to-workflows',
      comment: 'The api starts workflows by name and the worker runs the prebuilt bundle; shared types live in domain/.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^workflows/' },
    },
    {
      name: 'no-foreign-entities',
      comment: "A slice owns its tables: another slice asks it through its module's service, never through its entity (typing a row its service returned is fine).",
      severity: 'error',
      from: { path: '^src/([^/]+)/' },
      to: { path: '^src/[^/]+/[^/]+\\.entity\\.ts$', pathNot: '^src/$1/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'not-to-test',
      comment: 'Production code never depends on test helpers.',
      severity: 'error',
      from: { path: '^(src|domain|workflows|activities|migrations)/' },
      to: { path: '^test/' },
    },
    {
      name: 'not-to-dev-dep',
      comment: 'What production code imports must be a dependency, or the image (npm install --omit=dev) breaks at run time.',
      severity: 'error',
      from: { path: '^(src|domain|workflows|activities|migrations)/' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'no-orphans',
      comment: 'A module nothing imports is dead code (entry points excepted: the processes, the CLIs, the workflow interceptor module the bundle build names).',
      severity: 'error',
      from: { orphan: true, path: '^(src|domain|workflows|activities)/', pathNot: ['^src/main-[a-z]+\\.ts$', '^src/database/data-source\\.ts$', '^src/database/migrate\\.ts$', '^src/auth/mint-token\\.ts$', '^workflows/log-attributes\\.ts$', '\\.d\\.ts$'] },
      to: {},
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
