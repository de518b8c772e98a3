/**
 * The import direction of src/ (docs/architecture.md, "Folders and the import direction"): each
 * folder may import only itself and the folders below it, so no two folders can import each other.
 *
 *   platform ← history ← process ← analytics ← crm ← marketing, accounts ← imports, demo, notifications, setup ← app.ts ← cli
 *
 * The web app (web/src) sits beside them: no cycles, only main.tsx imports App.tsx, the modules
 * every page shares import no page, and of src/ it imports only pure modules (money), so no
 * server code (fastify, pg, the database) can reach the browser bundle.
 *
 * `npm test` runs this before the suite (`npm run check:deps`); a violation fails the build. The
 * web rules see only what is cruised, so the command names both folders: `depcruise src web/src`.
 */

// dependency-cruiser 17 parses TypeScript with swc but never turns on swc's JSX switch, so a .tsx
// file fails to parse ("Expected '>'"). Turn it on for .tsx only (a .ts file may hold `<T>x`).
// If a later version stops calling this function, .tsx files fail loudly again: nothing passes
// unchecked.
const swc = require('@swc/core');
const parseFileSync = swc.parseFileSync;
swc.parseFileSync = (file, options) => parseFileSync(file, file.endsWith('.tsx') ? { ...options, tsx: true } : options);

// A cruise of src/ alone would pass the web rules without looking at the web app: say so.
if (/depcruise|dependency-cruise/.test(process.argv[1] ?? '') && !process.argv.slice(2).some((a) => /^(\.\/)?web(\/src)?\/?$/.test(a)))
  process.stderr.write('warning: web/src is not cruised, so its rules in .dependency-cruiser.cjs are not checked: depcruise src web/src …\n');

const layers = [
  ['platform'],
  ['history'],
  ['process'],
  ['analytics'],
  ['crm'],
  ['marketing', 'accounts'],
  ['imports', 'demo', 'notifications', 'setup'],
  ['app.ts'],
  ['cli'],
];
const re = (names) => `^src/(${names.map((n) => n.replace('.', '\\.')).join('|')})(/|$)`;
const forbidden = layers.flatMap((layer, i) => {
  const above = layers.slice(i + 1).flat();
  const rules = [];
  if (above.length)
    rules.push({
      name: `${layer.join('-')}-imports-no-higher-folder`,
      comment: `${layer.join(', ')} may not import ${above.join(', ')}: data flows one way`,
      severity: 'error',
      from: { path: re(layer) },
      to: { path: re(above) },
    });
  // Folders of one layer stay independent of each other.
  for (const name of layer)
    if (layer.length > 1)
      rules.push({
        name: `${name}-imports-no-sibling`,
        severity: 'error',
        from: { path: re([name]) },
        to: { path: re(layer.filter((n) => n !== name)) },
      });
  return rules;
});
// The modules of src/ the web app imports: pure ECMAScript, no imports (see each file's header).
const sharedWithWeb = '^src/platform/money\\.ts$';
const serverPackages = '(fastify|@fastify|fastify-[^/]+|pg|pg-copy-streams|@electric-sql|pino|@node-rs|tsx)';
forbidden.push(
  { name: 'no-module-cycles', severity: 'error', from: { path: '^(src|web/src)/' }, to: { circular: true } },
  {
    name: 'web-only-main-imports-app',
    comment: 'App.tsx is the top of the web app: what a page and App.tsx share lives in a lower module',
    severity: 'error',
    from: { path: '^web/src/', pathNot: '^web/src/main\\.tsx$' },
    to: { path: '^web/src/App\\.tsx$' },
  },
  {
    name: 'web-shared-modules-import-no-page',
    comment: 'the modules beside the pages (api, format, components…) are below every page',
    severity: 'error',
    from: { path: '^web/src/[^/]+$', pathNot: '^web/src/(App|main)\\.tsx$' },
    to: { path: '^web/src/pages/' },
  },
  {
    name: 'web-imports-only-pure-modules-of-src',
    comment: 'the browser bundle shares only pure modules with the server, not even through another module',
    severity: 'error',
    from: { path: '^web/src/' },
    to: { reachable: true, path: '^src/', pathNot: sharedWithWeb },
  },
  {
    name: 'web-reaches-no-server-package',
    comment: 'no HTTP server, database driver or logger in the browser bundle',
    severity: 'error',
    from: { path: '^web/src/' },
    // resolved into node_modules, or left unresolved under its bare name
    to: { reachable: true, path: [`(^|/)node_modules/${serverPackages}/`, `^${serverPackages}(/|$)`] },
  },
  {
    name: 'web-uses-no-node-built-in',
    severity: 'error',
    from: { path: ['^web/src/', sharedWithWeb] },
    to: { dependencyTypes: ['core'] },
  },
);

module.exports = {
  forbidden,
  options: { doNotFollow: { path: 'node_modules' }, parser: 'swc', tsPreCompilationDeps: true },
};
