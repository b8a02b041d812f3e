// Where a path of a parsed YAML document is in its text, so an error can name line and column.

import { isMap, isSeq, type LineCounter, type Document, type Node } from 'yaml';

/** Line/column lookup of one parsed document. */
export class Positions {
  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  /**
   * The position of the deepest node along `path` that exists (a missing key points at its
   * parent map). `key`: point at the key of the last segment rather than its value.
   */
  of(path: readonly PropertyKey[], key = false): { line: number; column: number } {
    let node: unknown = this.doc.contents;
    let at: Node | null = (node as Node | null) ?? null;
    for (const [i, seg] of path.entries()) {
      const last = i === path.length - 1;
      if (isMap(node)) {
        const pair = node.items.find((p) => (p.key as { value?: unknown } | null)?.value === seg);
        if (pair === undefined) break;
        node = pair.value;
        at = ((key && last ? pair.key : pair.value) as Node | null) ?? (pair.key as Node);
      } else if (isSeq(node) && typeof seg === 'number') {
        const item = node.items[seg];
        if (item === undefined) break;
        node = item;
        at = item as Node;
      } else break;
    }
    const offset = at?.range?.[0] ?? 0;
    const { line, col } = this.lines.linePos(offset);
    return { line, column: col };
  }

  /** The position of the key `name` inside the map at `path` (for an unknown key). */
  ofKey(path: readonly PropertyKey[], name: string): { line: number; column: number } {
    return this.of([...path, name], true);
  }
}
