#!/usr/bin/env node
// Bundles the monitor's UI (dist/ui/render-monitor.js, Ink and React included) into one file:
// Node 20 loads Ink's ESM graph file by file in ~300 ms, one file in ~100 ms (bench first-frame).
// The bundle also swaps four of Ink 6.8's internal modules for the ones in src/ui/ink-patch/: its
// Output (get() composes rows instead of a grid of cells), measure-text, wrap-text and widest-line
// (one width cache, bounded); each file there says why, and test/ui/ink-patch.test.ts and
// test/ui/ink-patch-bundle.test.ts hold them to Ink's own output.
import { build } from 'esbuild';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const inkBuild = dirname(createRequire(join(root, 'package.json')).resolve('ink'));
const patch = join(root, 'dist/ui/ink-patch');
const q = JSON.stringify;

/** What each swapped module of Ink becomes: the same default export, from our code. */
const shims = {
  './output.js': `import Base from ${q(join(inkBuild, 'output.js'))};
import stringWidth from 'string-width';
import { fastOutput } from ${q(join(patch, 'fast-output.js'))};
export default fastOutput(Base, stringWidth);`,
  './measure-text.js': `import stringWidth from 'string-width';
import { measureText } from ${q(join(patch, 'text-cache.js'))};
export default measureText(stringWidth);`,
  './wrap-text.js': `import wrapAnsi from 'wrap-ansi';
import cliTruncate from 'cli-truncate';
import { wrapText } from ${q(join(patch, 'text-cache.js'))};
export default wrapText(wrapAnsi, cliTruncate);`,
  'widest-line': `import stringWidth from 'string-width';
import { widestLine } from ${q(join(patch, 'text-cache.js'))};
export default widestLine(stringWidth);`,
};

const inkPatch = {
  name: 'ink-patch',
  setup(b) {
    b.onResolve({ filter: /^(\.\/(output|measure-text|wrap-text)\.js|widest-line)$/ }, (args) => {
      if (args.namespace !== 'file' || dirname(args.importer) !== inkBuild) return undefined;
      return { path: args.path, namespace: 'ink-patch' };
    });
    b.onLoad({ filter: /.*/, namespace: 'ink-patch' }, (args) => ({ contents: shims[args.path], resolveDir: inkBuild, loader: 'js' }));
  },
};

await build({
  entryPoints: [join(root, 'dist/ui/render-monitor.js')],
  outfile: join(root, 'dist/ui/render-monitor.bundle.js'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  logLevel: 'warning',
  external: ['node-pty', 'ssh2', 'execa', 'yoga-layout'],
  alias: { 'react-devtools-core': join(root, 'dist/ui/no-devtools.js') },
  banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
  plugins: [inkPatch],
});
