/**
 * The import direction of src/ (docs/architecture.md, "Folders and the import direction"): each
 * folder may import only itself and the folders below it, so no two folders can import each other.
 *
 *   platform ← history ← process ← analytics ← crm ← marketing, imports, demo ← app.ts ← cli
 *
 * `npm test` runs this before the suite (`npm run check:deps`); a violation fails the build.
 */
const layers = [
  ['platform'],
  ['history'],
  ['process'],
  ['analytics'],
  ['crm'],
  ['marketing', 'imports', 'demo'],
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
forbidden.push({ name: 'no-module-cycles', severity: 'error', from: { path: '^src/' }, to: { circular: true } });

module.exports = {
  forbidden,
  options: { doNotFollow: { path: 'node_modules' }, parser: 'swc', tsPreCompilationDeps: true },
};
