// Lint rules: typescript-eslint's recommended set plus Svelte's, over app, workers and tests; and the
// layers of DESIGN.md ("Rules the tooling enforces"), checked by eslint-plugin-boundaries:
//   - each folder of src/ is one element; LAYERS below lists, per element, the elements it may
//     import (anything not listed is disallowed, its own folder always allowed);
//   - core/ imports nothing of ours; domain folders (all of src/ but state/ and ui/) and workers/
//     never import state/, ui/ or tests/; tests/ may import anything;
//   - LAYERS must have no cycle: the config throws at load, naming the cycle, if one appears, so a
//     new import that would close a loop between folders needs a LAYERS change that lint refuses.
// Imports are resolved like Vite does (extensionless '../core/rpc', '../store' to its index.ts,
// '../state/settings.svelte' to settings.svelte.ts, './App.svelte'), by the plugin's node resolver.
import js from '@eslint/js';
import ts from 'typescript-eslint';
import svelte from 'eslint-plugin-svelte';
import boundaries from 'eslint-plugin-boundaries';
import globals from 'globals';

// Element -> elements it may import. The domain folders' rows are the pipeline, bottom up.
const DOMAIN = {
  core: [],
  platform: ['core'],
  index: ['core'],
  ingest: ['core', 'index'],
  embed: ['core', 'platform'],
  generate: ['core', 'platform'],
  compare: ['core', 'generate', 'index'],
  eval: ['compare', 'core', 'embed', 'generate', 'index', 'ingest'],
  store: ['compare', 'core', 'eval', 'generate', 'index', 'ingest', 'platform'],
  bundle: ['core', 'eval', 'index', 'ingest', 'store'],
  library: ['bundle', 'core', 'embed', 'eval', 'index', 'ingest', 'platform', 'store'],
  settings: ['core', 'embed', 'generate', 'index', 'ingest', 'platform'],
  kit: ['core', 'generate', 'platform'],
  cli: ['bundle', 'compare', 'core', 'embed', 'eval', 'generate', 'index', 'ingest', 'kit', 'library', 'platform', 'settings', 'store'],
};
const domain = Object.keys(DOMAIN);
const LAYERS = {
  ...DOMAIN,
  workers: domain,
  state: domain,
  ui: [...domain, 'state'],
  main: ['ui'],
};
// tests/ may import every element above (taken before tests is added, so no self-loop).
LAYERS.tests = Object.keys(LAYERS);

// Throws if LAYERS names an unknown element or has a cycle (depth-first search, one path kept).
function assertAcyclic(layers) {
  const done = new Set();
  const visit = (node, path) => {
    if (path.includes(node)) {
      const cycle = [...path.slice(path.indexOf(node)), node].join(' -> ');
      throw new Error(`eslint.config.js: LAYERS has an import cycle between folders: ${cycle}`);
    }
    if (done.has(node)) return;
    if (!(node in layers)) throw new Error(`eslint.config.js: LAYERS names an unknown element: ${node}`);
    for (const next of layers[node]) visit(next, [...path, node]);
    done.add(node);
  };
  for (const node of Object.keys(layers)) visit(node, []);
}
assertAcyclic(LAYERS);

const elements = [
  ...Object.keys(DOMAIN).map((type) => ({ type, pattern: `src/${type}`, partialMatch: false })),
  { type: 'state', pattern: 'src/state', partialMatch: false },
  { type: 'ui', pattern: 'src/ui', partialMatch: false },
  { type: 'workers', pattern: 'workers', partialMatch: false },
  { type: 'tests', pattern: 'tests', partialMatch: false },
  // Last, so that only what no folder above claims is main: src/main.ts, the page's entry. A new
  // folder of src/ would land here too, and its imports fail lint until it has its own LAYERS row.
  { type: 'main', pattern: 'src', partialMatch: false },
];

export default ts.config(
  { ignores: ['node_modules/', 'dist/', 'tests/.output/', 'tests/fixtures/generated/', 'public/models/'] },
  js.configs.recommended,
  ...ts.configs.recommended,
  ...svelte.configs.recommended,
  {
    languageOptions: { globals: { ...globals.browser, ...globals.worker, ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: ts.parser, extraFileExtensions: ['.svelte'] } },
  },
  {
    files: ['src/**', 'workers/**', 'tests/**'],
    plugins: { boundaries },
    settings: {
      'boundaries/elements': elements,
      'import/resolver': { node: { extensions: ['.ts', '.js', '.mjs', '.svelte', '.json'] } },
    },
    rules: {
      'boundaries/no-unknown-files': 'error',
      'boundaries/no-unknown-dependencies': 'error',
      'boundaries/dependencies': [
        'error',
        {
          default: 'disallow',
          policies: Object.entries(LAYERS).map(([type, allowed]) => ({
            from: { element: { type } },
            allow: { to: { element: { types: { anyOf: [type, ...allowed] } } } },
          })),
        },
      ],
    },
  },
);
