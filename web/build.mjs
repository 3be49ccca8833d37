// Builds the chat page into internal/webui/dist: index.html plus content-hashed
// assets/app-HASH.js and assets/app-HASH.css, which chatd embeds and serves with
// long-lived caching (index.html itself is revalidated).
//
//   node build.mjs          one production build
//   node build.mjs --watch  rebuild on change (then restart or `go run` chatd)
import * as esbuild from 'esbuild';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const outdir = path.resolve(here, '..', 'internal', 'webui', 'dist');
const watch = process.argv.includes('--watch');

/** Writes index.html naming the hashed assets the build produced. */
async function writeIndex(metafile) {
  const outputs = Object.keys(metafile.outputs).map((p) => path.relative(outdir, path.resolve(p)));
  const js = outputs.find((p) => p.endsWith('.js'));
  const css = outputs.find((p) => p.endsWith('.css'));
  if (!js || !css) throw new Error(`build produced no js/css: ${outputs.join(', ')}`);
  const template = await fs.readFile(path.join(here, 'index.html'), 'utf8');
  const html = template.replace('%APP_JS%', '/' + js).replace('%APP_CSS%', '/' + css);
  await fs.writeFile(path.join(outdir, 'index.html'), html);
  return { js, css };
}

/** Removes the previous build's files, keeping the committed placeholder. */
async function clean() {
  await fs.rm(path.join(outdir, 'assets'), { recursive: true, force: true });
  await fs.rm(path.join(outdir, 'index.html'), { force: true });
  await fs.mkdir(outdir, { recursive: true });
}

const options = {
  entryPoints: { app: path.join(here, 'src', 'main.ts') },
  bundle: true,
  format: 'esm',
  target: ['es2020'],
  platform: 'browser',
  minify: !watch,
  sourcemap: watch ? 'inline' : false,
  legalComments: 'linked',
  outdir: path.join(outdir, 'assets'),
  entryNames: '[name]-[hash]',
  assetNames: '[name]-[hash]',
  metafile: true,
  logLevel: 'info',
  plugins: [{
    name: 'index-html',
    setup(build) {
      build.onStart(clean);
      build.onEnd(async (result) => {
        if (result.errors.length === 0) {
          const { js, css } = await writeIndex(result.metafile);
          console.log(`wrote ${path.relative(process.cwd(), outdir)}/index.html → ${js}, ${css}`);
        }
      });
    },
  }],
};

if (watch) {
  const ctx = await esbuild.context(options);
  await ctx.watch();
} else {
  await esbuild.build(options);
}
