// Jest transform for installed packages that are ES modules ("type": "module"): NestJS 12 and its
// packages among them. Node loads them into the CommonJS build through require(esm); Jest's module
// registry cannot before Node 24.9, so a file Node would load as an ES module is compiled to CommonJS
// by swc, and a file of such a package that Node loads as CommonJS (a dual package's CommonJS build
// under a nested "type": "commonjs") is left as it is.
const fs = require('fs');
const path = require('path');
const { createTransformer } = require('@swc/jest');

const swc = createTransformer({
  jsc: { parser: { syntax: 'ecmascript', importMeta: true }, target: 'es2022' },
  module: { type: 'commonjs' },
});
const typeByDir = new Map();

/** The "type" of the nearest package.json above `dir`, as Node reads it for a .js file. */
function moduleType(dir) {
  if (!typeByDir.has(dir)) {
    const manifest = path.join(dir, 'package.json');
    const parent = path.dirname(dir);
    typeByDir.set(
      dir,
      fs.existsSync(manifest)
        ? (JSON.parse(fs.readFileSync(manifest, 'utf8')).type ?? 'commonjs')
        : parent === dir
          ? 'commonjs'
          : moduleType(parent),
    );
  }
  return typeByDir.get(dir);
}

const isEsm = (filename) => filename.endsWith('.mjs') || moduleType(path.dirname(filename)) === 'module';

module.exports = {
  process: (source, filename, options) => (isEsm(filename) ? swc.process(source, filename, options) : { code: source }),
  getCacheKey: (source, filename, options) => `${swc.getCacheKey(source, filename, options)}:${isEsm(filename)}`,
};
