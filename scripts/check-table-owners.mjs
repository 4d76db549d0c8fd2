// A slice owns its tables (.dependency-cruiser.js checks the entities, this the SQL): a file in
// src/<slice>/ may mention in SQL only the tables scripts/table-owners.mjs gives its slice. Run by
// `npm run lint`; exits 1 and names file, line, table and owner on a violation.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import ts from 'typescript';
import { TABLE_OWNERS } from './table-owners.mjs';

const root = join(import.meta.dirname, '..');
const problems = [];

function filesUnder(dir, test) {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && test(entry.name))
    .map((entry) => join(entry.parentPath ?? entry.path, entry.name));
}

// Every table the migrations create has an entry, and every entry names a table and slices that exist.
const created = new Set();
for (const file of filesUnder(join(root, 'migrations'), (name) => name.endsWith('.ts'))) {
  for (const match of readFileSync(file, 'utf8').matchAll(/CREATE TABLE (?:IF NOT EXISTS )?"?([a-z_][a-z0-9_]*)/gi)) created.add(match[1]);
}
const slices = new Set(readdirSync(join(root, 'src'), { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name));
for (const table of created) if (!TABLE_OWNERS[table]) problems.push(`table "${table}" (migrations/) has no owner in scripts/table-owners.mjs`);
for (const [table, entry] of Object.entries(TABLE_OWNERS)) {
  if (!created.has(table)) problems.push(`scripts/table-owners.mjs names "${table}", which no migration creates`);
  for (const slice of [...entry.owners, ...Object.keys(entry.readers ?? {})]) {
    if (!slices.has(slice)) problems.push(`scripts/table-owners.mjs: "${table}" names slice "${slice}", which is no folder of src/`);
  }
}

// SQL that names a table after FROM / JOIN (reads) or INTO / UPDATE / DELETE FROM / TRUNCATE (writes).
const SQL_MENTION = /\b(DELETE\s+FROM|FROM|JOIN|INTO|UPDATE|TRUNCATE(?:\s+TABLE)?)\s+(?:ONLY\s+)?"?([a-z_][a-z0-9_]*)"?/gi;
// A table name given whole to a call: query builders (.from('t', 'a'), .innerJoin('t', …)) read; anything else may write.
const READING_CALLS = new Set(['from', 'innerJoin', 'leftJoin', 'innerJoinAndSelect', 'leftJoinAndSelect', 'addFrom']);

const usedGrants = new Set();
function check(file, slice, line, table, kind) {
  const entry = TABLE_OWNERS[table];
  if (!entry || entry.owners.includes(slice)) return;
  if (kind === 'read' && entry.readers?.[slice]) return void usedGrants.add(`${table}:${slice}`);
  const verb = kind === 'read' ? 'reads' : kind === 'entity' ? 'declares an entity of' : 'writes';
  problems.push(
    `${file}:${line}  slice "${slice}" ${verb} table "${table}", owned by ${entry.owners.join(' and ')}: ` +
      `ask the owner's exported service (or record a reason in scripts/table-owners.mjs)`,
  );
}

function calleeName(call) {
  const callee = call.expression;
  return ts.isPropertyAccessExpression(callee) ? callee.name.text : ts.isIdentifier(callee) ? callee.text : undefined;
}

for (const path of filesUnder(join(root, 'src'), (name) => name.endsWith('.ts'))) {
  const file = relative(root, path).split(sep).join('/');
  const parts = file.split('/');
  const slice = parts.length > 2 ? parts[1] : '(src root)';
  const source = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, true);
  const lineOf = (position) => source.getLineAndCharacterOfPosition(position).line + 1;
  const scan = (text, start) => {
    for (const match of text.matchAll(SQL_MENTION)) {
      const keyword = match[1].toUpperCase();
      const kind = keyword === 'FROM' || keyword === 'JOIN' ? 'read' : 'write';
      check(file, slice, lineOf(start + match.index), match[2].toLowerCase(), kind);
    }
  };
  const visit = (node) => {
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) {
      scan(node.text, node.getStart(source) + 1);
      const parent = node.parent;
      if (ts.isCallExpression(parent) && parent.arguments.includes(node) && TABLE_OWNERS[node.text]) {
        let decorator = parent.parent;
        while (decorator && !ts.isDecorator(decorator) && !ts.isSourceFile(decorator)) decorator = decorator.parent;
        // Decorator arguments are routes and tags (@Controller('jobs')), not tables.
        if (!ts.isDecorator(decorator)) check(file, slice, lineOf(node.getStart(source)), node.text, READING_CALLS.has(calleeName(parent)) ? 'read' : 'write');
      }
      if (ts.isPropertyAssignment(parent) && parent.name.getText(source) === 'name' && TABLE_OWNERS[node.text]) {
        const call = parent.parent.parent;
        if (ts.isCallExpression(call) && calleeName(call) === 'Entity' && ts.isDecorator(call.parent)) check(file, slice, lineOf(node.getStart(source)), node.text, 'entity');
      }
    } else if (ts.isTemplateExpression(node)) {
      scan(node.head.text, node.head.getStart(source) + 1);
      for (const span of node.templateSpans) scan(span.literal.text, span.literal.getStart(source) + 1);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
}

for (const [table, entry] of Object.entries(TABLE_OWNERS)) {
  for (const slice of Object.keys(entry.readers ?? {})) {
    if (!usedGrants.has(`${table}:${slice}`)) problems.push(`scripts/table-owners.mjs lets "${slice}" read "${table}", but no file of src/${slice}/ does: remove the grant`);
  }
}

if (problems.length > 0) {
  console.error(`table ownership: ${problems.length} problem(s)\n${problems.map((problem) => `  ${problem}`).join('\n')}`);
  process.exit(1);
}
console.log(`✔ table ownership: ${Object.keys(TABLE_OWNERS).length} tables, each mentioned in SQL only by its owners`);
