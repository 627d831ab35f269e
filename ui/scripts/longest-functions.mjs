// Prints the longest functions under src/ (lines from the first to the last of each, nested
// functions counted inside their parent too), to keep the views' parts short enough to read.
// Usage: npm run longest [-- N]   (N rows, 15 by default)
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

const root = new URL('../src/', import.meta.url).pathname;
const limit = Number(process.argv[2] ?? 15);

function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return files(path);
    return /\.ts$/.test(name) && !/\.(test|gen)\.ts$/.test(name) ? [path] : [];
  });
}

function nameOf(node) {
  if (node.name && ts.isIdentifier(node.name)) return node.name.text;
  const parent = node.parent;
  if (parent && ts.isVariableDeclaration(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
  if (parent && ts.isPropertyAssignment(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
  return '(anonymous)';
}

const rows = [];
for (const path of files(root)) {
  const source = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, true);
  const visit = (node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const first = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const last = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      rows.push({ lines: last - first + 1, name: nameOf(node), where: `${relative(root, path)}:${first + 1}` });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
}
rows.sort((a, b) => b.lines - a.lines);
for (const row of rows.slice(0, limit)) {
  console.log(`${String(row.lines).padStart(5)}  ${row.name.padEnd(28)} ${row.where}`);
}
