import test from 'ava';
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

/**
 * Project rule: every export of every package's `src/index.ts` has a TSDoc block with an
 * `@example`. typedoc catches missing docs; this catches missing examples.
 */
const root = join(import.meta.dirname, '..', '..');
const entries = readdirSync(join(root, 'packages'))
  .map((p) => join(root, 'packages', p, 'src', 'index.ts'))
  .filter((f) => existsSync(f));

// One program for every entry: the packages import each other, so each would otherwise parse
// the others' sources (and the libs) again.
const program = ts.createProgram(entries, {
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  target: ts.ScriptTarget.ES2022,
  customConditions: ['@bypass/source'],
  noEmit: true,
  skipLibCheck: true,
});

function undocumentedExports(entry: string): string[] {
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(entry);
  if (source === undefined) return [`cannot read ${entry}`];
  const moduleSymbol = checker.getSymbolAtLocation(source);
  if (moduleSymbol === undefined) return [`${entry} is not a module`];
  const missing: string[] = [];
  for (const exp of checker.getExportsOfModule(moduleSymbol)) {
    const sym = exp.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exp) : exp;
    const decls = sym.getDeclarations() ?? [];
    const hasExample = decls.some((d) =>
      ts.getJSDocTags(d).some((tag) => tag.tagName.text === 'example'),
    );
    if (!hasExample) missing.push(exp.getName());
  }
  return missing;
}

for (const entry of entries) {
  const pkg = entry.split('/').at(-3) ?? entry;
  test(`every export of ${pkg} has a TSDoc example`, (t) => {
    t.deepEqual(undocumentedExports(entry), []);
  });
}
