// Copies GraphiQL and React (pinned in package.json) into gateway/graphiql/static as
// minified, gzip-compressed files, plus assets.json naming each one's package and size.
// The gateway serves them itself (no CDN); run with `./task graphiql:assets` after
// changing a version here, and commit the result.
//
// graphiql 3 is the last major with a browser (UMD) build that needs no bundler; its
// "min" build is not minified, so esbuild does that here.
import { createRequire } from "node:module";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync, constants } from "node:zlib";
import { transform } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const target = join(here, "..", "..", "gateway", "graphiql", "static");
const require = createRequire(import.meta.url);

const ASSETS = [
  { name: "react.js", pkg: "react", file: "umd/react.production.min.js" },
  { name: "react-dom.js", pkg: "react-dom", file: "umd/react-dom.production.min.js" },
  { name: "graphiql.js", pkg: "graphiql", file: "graphiql.min.js", minify: "js" },
  { name: "graphiql.css", pkg: "graphiql", file: "graphiql.min.css", minify: "css" },
];

function packageDir(pkg) {
  return dirname(require.resolve(`${pkg}/package.json`));
}

rmSync(target, { recursive: true, force: true });
mkdirSync(target, { recursive: true });
const manifest = {};
for (const asset of ASSETS) {
  const dir = packageDir(asset.pkg);
  const version = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).version;
  let content = readFileSync(join(dir, asset.file), "utf8");
  if (asset.minify) {
    content = (await transform(content, { loader: asset.minify, minify: true, legalComments: "none" })).code;
  }
  const raw = Buffer.from(content, "utf8");
  const gz = gzipSync(raw, { level: constants.Z_BEST_COMPRESSION });
  // mtime is 0 in gzipSync's header, so the same input always gives the same bytes.
  writeFileSync(join(target, `${asset.name}.gz`), gz);
  manifest[asset.name] = { package: `${asset.pkg}@${version}`, bytes: raw.length, gzipBytes: gz.length };
}
writeFileSync(join(target, "assets.json"), JSON.stringify(manifest, null, 2) + "\n");
console.log(JSON.stringify(manifest, null, 2));
