/**
 * Makes a string that matches a model pattern, for the generated validation tables. Handles the
 * regex subset AWS models use: literals, escapes (\d \w \s \S \/ ...), classes, groups,
 * alternation (the first branch is taken), quantifiers (* + ? {n} {n,} {n,m}) and anchors.
 *
 * `stretch` repeats the last unbounded quantifier that many extra times, to build a value longer
 * than a shape's maximum that still matches its pattern.
 */

type Node =
  | { kind: 'alt'; options: Node[] }
  | { kind: 'seq'; items: Node[] }
  | { kind: 'repeat'; node: Node; min: number; max: number }
  | { kind: 'char'; sample: string }
  | { kind: 'empty' };

class PatternParser {
  private position = 0;
  constructor(private readonly source: string) {}

  parse(): Node {
    const node = this.alternation();
    if (this.position < this.source.length) throw new Error(`cannot sample pattern ${this.source} at ${this.position}`);
    return node;
  }

  private peek(): string | undefined {
    return this.source[this.position];
  }

  private next(): string {
    const c = this.source[this.position++];
    if (c === undefined) throw new Error(`pattern ${this.source} ends early`);
    return c;
  }

  private alternation(): Node {
    const options = [this.sequence()];
    while (this.peek() === '|') {
      this.position++;
      options.push(this.sequence());
    }
    return options.length === 1 ? options[0]! : { kind: 'alt', options };
  }

  private sequence(): Node {
    const items: Node[] = [];
    while (this.position < this.source.length && this.peek() !== '|' && this.peek() !== ')') {
      items.push(this.quantified(this.atom()));
    }
    return { kind: 'seq', items };
  }

  private quantified(node: Node): Node {
    const c = this.peek();
    if (c === '*') return this.skip(1, { kind: 'repeat', node, min: 0, max: Infinity });
    if (c === '+') return this.skip(1, { kind: 'repeat', node, min: 1, max: Infinity });
    if (c === '?') return this.skip(1, { kind: 'repeat', node, min: 0, max: 1 });
    if (c === '{') {
      const match = /^\{(\d+)(,(\d*))?\}/.exec(this.source.slice(this.position));
      if (match) {
        const min = Number(match[1]);
        const max = match[2] === undefined ? min : match[3] === '' ? Infinity : Number(match[3]);
        return this.skip(match[0].length, { kind: 'repeat', node, min, max });
      }
    }
    return node;
  }

  private skip<T>(count: number, value: T): T {
    this.position += count;
    return value;
  }

  private atom(): Node {
    const c = this.next();
    switch (c) {
      case '(': {
        if (this.source.startsWith('?:', this.position)) this.position += 2;
        const inner = this.alternation();
        if (this.next() !== ')') throw new Error(`unbalanced group in ${this.source}`);
        return inner;
      }
      case '[':
        return this.characterClass();
      case '\\':
        return { kind: 'char', sample: escapeSample(this.next()) };
      case '.':
        return { kind: 'char', sample: 'a' };
      case '^':
      case '$':
        return { kind: 'empty' };
      default:
        return { kind: 'char', sample: c };
    }
  }

  /** A class samples to 'a' when it allows it, else to the first character it names. */
  private characterClass(): Node {
    const negated = this.peek() === '^';
    if (negated) this.position++;
    const allowed: Array<[string, string]> = [];
    let first = true;
    while (first || this.peek() !== ']') {
      first = false;
      let low = this.next();
      if (low === '\\') low = escapeSample(this.next());
      let high = low;
      if (this.peek() === '-' && this.source[this.position + 1] !== ']') {
        this.position++;
        high = this.next();
        if (high === '\\') high = escapeSample(this.next());
      }
      allowed.push([low, high]);
    }
    this.position++; // ']'
    const inClass = (ch: string) => allowed.some(([low, high]) => ch >= low && ch <= high);
    if (negated) return { kind: 'char', sample: ['a', 'x', '0'].find((ch) => !inClass(ch))! };
    return { kind: 'char', sample: inClass('a') ? 'a' : allowed[0]![0] };
  }
}

function escapeSample(c: string): string {
  switch (c) {
    case 'd':
      return '0';
    case 'w':
    case 'S':
    case 'D':
    case 'W':
      return 'a';
    case 's':
      return ' ';
    default:
      return c;
  }
}

function lastUnboundedRepeat(node: Node): Node | undefined {
  switch (node.kind) {
    case 'alt':
      return lastUnboundedRepeat(node.options[0]!);
    case 'seq': {
      for (let i = node.items.length - 1; i >= 0; i--) {
        const found = lastUnboundedRepeat(node.items[i]!);
        if (found) return found;
      }
      return undefined;
    }
    case 'repeat':
      return node.max === Infinity ? node : lastUnboundedRepeat(node.node);
    default:
      return undefined;
  }
}

function render(node: Node, stretched: Node | undefined, stretch: number): string {
  switch (node.kind) {
    case 'alt':
      return render(node.options[0]!, stretched, stretch);
    case 'seq':
      return node.items.map((item) => render(item, stretched, stretch)).join('');
    case 'repeat': {
      const count = node.min + (node === stretched ? stretch : 0);
      return render(node.node, stretched, stretch).repeat(count);
    }
    case 'char':
      return node.sample;
    case 'empty':
      return '';
  }
}

/** A value matching `pattern`, at least `minLength` long when the pattern can stretch that far. */
export function samplePattern(pattern: string, minLength = 0): string {
  const tree = new PatternParser(pattern).parse();
  const stretchable = lastUnboundedRepeat(tree);
  let stretch = 0;
  let sample = render(tree, stretchable, stretch);
  while (stretchable && sample.length < minLength) {
    stretch += Math.max(1, minLength - sample.length);
    sample = render(tree, stretchable, stretch);
  }
  return sample;
}
