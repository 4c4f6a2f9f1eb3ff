/**
 * A minimal well-formedness check for the SVG and HTML the reports write: every tag closes in
 * order, attributes are `name="value"` without `<` or a bare `&`, text has no bare `<` or `&`.
 * Returns the problems found (empty when the document is fine).
 */
export function xmlProblems(
  doc: string,
  options: { voidElements?: readonly string[] } = {},
): string[] {
  const voids = new Set(options.voidElements ?? []);
  const problems: string[] = [];
  const stack: string[] = [];
  const entity = /&(?:[a-zA-Z]+|#\d+|#x[0-9a-fA-F]+);/g;
  const checkText = (text: string, where: string): void => {
    const bare = text.replace(entity, '');
    if (bare.includes('&'))
      problems.push(`bare & in ${where}: ${JSON.stringify(text.slice(0, 60))}`);
    if (bare.includes('<')) problems.push(`bare < in ${where}`);
    if (bare.includes('>') && where.startsWith('attribute')) problems.push(`bare > in ${where}`);
  };
  let i = 0;
  while (i < doc.length) {
    const lt = doc.indexOf('<', i);
    const textEnd = lt === -1 ? doc.length : lt;
    checkText(doc.slice(i, textEnd), `text at ${i}`);
    if (lt === -1) break;
    if (doc.startsWith('<!--', lt)) {
      const end = doc.indexOf('-->', lt);
      if (end === -1) return [...problems, `unclosed comment at ${lt}`];
      i = end + 3;
      continue;
    }
    if (doc.startsWith('<!', lt) || doc.startsWith('<?', lt)) {
      const end = doc.indexOf('>', lt);
      i = end === -1 ? doc.length : end + 1;
      continue;
    }
    const m = /^<(\/?)([A-Za-z][\w:.-]*)((?:\s+[\w:.-]+="[^"]*")*)\s*(\/?)>/.exec(doc.slice(lt));
    if (m === null) {
      problems.push(`malformed tag at ${lt}: ${JSON.stringify(doc.slice(lt, lt + 40))}`);
      i = lt + 1;
      continue;
    }
    const [whole, closing, name, attrs, selfClosing] = m as unknown as [
      string,
      string,
      string,
      string,
      string,
    ];
    for (const a of attrs.matchAll(/([\w:.-]+)="([^"]*)"/g))
      checkText(a[2] ?? '', `attribute ${a[1]} of <${name}>`);
    const names = [...attrs.matchAll(/([\w:.-]+)=/g)].map((a) => a[1]);
    if (new Set(names).size !== names.length)
      problems.push(`duplicate attribute in <${name}> at ${lt}`);
    if (closing === '/') {
      const open = stack.pop();
      if (open !== name) problems.push(`</${name}> at ${lt} closes <${open ?? 'nothing'}>`);
    } else if (selfClosing !== '/' && !voids.has(name.toLowerCase())) {
      stack.push(name);
    }
    i = lt + whole.length;
  }
  if (stack.length > 0) problems.push(`unclosed: ${stack.join(' > ')}`);
  return problems;
}

/** The opening tags `<name ...>` of a document whose attributes include every given one. */
export function tags(
  doc: string,
  name: string,
  attrs: Readonly<Record<string, string>> = {},
): string[] {
  const all = doc.match(new RegExp(`<${name}(?=[\\s/>])[^>]*>`, 'g')) ?? [];
  return all.filter((t) => Object.entries(attrs).every(([k, v]) => t.includes(` ${k}="${v}"`)));
}

/** The value of an attribute of one tag. */
export function attr(tag: string, name: string): string | undefined {
  return new RegExp(`\\s${name}="([^"]*)"`).exec(tag)?.[1];
}
