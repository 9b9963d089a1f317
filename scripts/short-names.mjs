// Applies wasm-opt's --minify-imports-and-exports-and-modules mapping to wasm-bindgen glue.
//
//   node scripts/short-names.mjs <minified .wasm> <mapping (wasm-opt's stdout)> <glue.js>...
//
// Why: wasm-bindgen names every import `__wbg_<name>_<16 hex digits>` and every closure shim
// `wasm_bindgen__convert__closures_____invoke__h<16 hex>`: about 80 such names sit in both the
// .wasm and its glue, and random hex hardly compresses (measured: 2.5 KB gzip of the browser
// entry). wasm-opt renames them to one or two letters and prints the old -> new mapping; this
// rewrites the glue to match: the keys of the import object, its module name, and every
// `wasm.<export>`. It then checks the result against the module itself: every import the
// .wasm wants is provided, and every export the glue reads exists. Run by scripts/build-pkg.
import fs from "node:fs";

const [wasmFile, mapFile, ...glues] = process.argv.slice(2);
const die = (m) => {
  console.error(`short-names: ${m}`);
  process.exit(1);
};
const text = fs.readFileSync(mapFile, "utf8");
// wasm-opt prints the mapping as JSON (possibly after other output).
const map = JSON.parse(text.slice(text.indexOf("{")));
const mod = new WebAssembly.Module(fs.readFileSync(wasmFile));
const wantImports = WebAssembly.Module.imports(mod);
const haveExports = new Set(WebAssembly.Module.exports(mod).map((e) => e.name));
const modules = [...new Set(wantImports.map((i) => i.module))];
if (modules.length !== 1) die(`expected the imports to come from one module, got ${JSON.stringify(modules)}`);
const oldModules = [...new Set(map.imports.map((i) => i[0]))];
if (oldModules.length !== 1) die(`expected one import module in the mapping, got ${JSON.stringify(oldModules)}`);
const imports = new Map(map.imports.map(([, from, to]) => [from, to]));
const exports = new Map(map.exports.map(([from, to]) => [from, to]));
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

for (const file of glues) {
  let src = fs.readFileSync(file, "utf8");
  // import0 = { __proto__: null, <name>: function(...) {...}, ... }: keys at the start of a line.
  src = src.replace(/^(\s+)([A-Za-z_$][\w$]*)(: function\b|,$)/gm, (all, pad, name, rest) =>
    imports.has(name) ? `${pad}${imports.get(name)}${rest}` : all,
  );
  const moduleKey = `${JSON.stringify(oldModules[0])}: import0`;
  if (src.split(moduleKey).length !== 2) die(`${file}: expected one ${moduleKey}`);
  src = src.replace(moduleKey, `${JSON.stringify(modules[0])}: import0`);
  src = src.replace(/\bwasm\.([A-Za-z_$][\w$]*)/g, (all, name) => (exports.has(name) ? `wasm.${exports.get(name)}` : all));

  // The checks: what the module imports is there, what the glue reads from wasm exists.
  const body = src.slice(src.indexOf("const import0 = {"), src.indexOf(`${JSON.stringify(modules[0])}: import0`));
  for (const i of wantImports) {
    if (!new RegExp(`^\\s+${escape(i.name)}(: function\\b|,$)`, "m").test(body)) die(`${file}: import ${i.name} is not provided`);
  }
  for (const [, name] of src.matchAll(/\bwasm\.([A-Za-z_$][\w$]*)/g)) {
    if (!haveExports.has(name)) die(`${file}: reads wasm.${name}, which the module does not export`);
  }
  fs.writeFileSync(file, src);
}
