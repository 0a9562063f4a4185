// Check graphs with the real tools, headless: Mermaid's own parser (the npm `mermaid`, under
// jsdom) and Graphviz `dot` compiled to WebAssembly (@hpcc-js/wasm-graphviz), rendering SVG.
// Usage: node tests/support/graph_parse.mjs mermaid|dot FILE...
// Prints one JSON object: file -> null (accepted) or the tool's error message.
import { readFileSync } from "node:fs";

async function mermaidCheck() {
  const { JSDOM } = await import("jsdom");
  const dom = new JSDOM("<!doctype html><html><body></body></html>");
  globalThis.window = dom.window;
  globalThis.document = dom.window.document;
  const { default: mermaid } = await import("mermaid");
  return async (text) => { await mermaid.parse(text); };
}

async function dotCheck() {
  const { Graphviz } = await import("@hpcc-js/wasm-graphviz");
  const graphviz = await Graphviz.load();
  return async (text) => {
    if (!graphviz.dot(text, "svg").includes("<svg")) throw new Error("dot rendered no SVG");
  };
}

const [kind, ...files] = process.argv.slice(2);
const check = await ({ mermaid: mermaidCheck, dot: dotCheck })[kind]();
const results = {};
for (const file of files) {
  try {
    await check(readFileSync(file, "utf8"));
    results[file] = null;
  } catch (error) {
    results[file] = String(error.message || error);
  }
}
console.log(JSON.stringify(results));
