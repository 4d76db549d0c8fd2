/** One Prometheus text exposition, parsed: each sample by its name and exact label set. */
export class Scrape {
  private readonly samples = new Map<string, number>();
  /** Declared by `# TYPE` even before a first sample (a labelled counter nothing incremented yet). */
  private readonly declared = new Set<string>();

  constructor(readonly text: string) {
    for (const line of text.split('\n')) {
      const type = /^# TYPE (\S+) (\S+)/.exec(line);
      if (type) for (const suffix of type[2] === 'histogram' ? ['_bucket', '_count', '_sum'] : ['']) this.declared.add(type[1] + suffix);
      const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
      if (!match || line.startsWith('#')) continue;
      const labels = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map(([, key, value]) => [key, value]));
      this.samples.set(Scrape.key(match[1], labels), Number(match[3]));
    }
  }

  static async of(url: string): Promise<Scrape> {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`${url}: ${response.status}`);
    return new Scrape(await response.text());
  }

  private static key(name: string, labels: Record<string, string>): string {
    return `${name}${JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)))}`;
  }

  /** The sample's value; 0 for a series not exported (yet). */
  value(name: string, labels: Record<string, string> = {}): number {
    return this.samples.get(Scrape.key(name, labels)) ?? 0;
  }

  /** How much the sample grew since `before`. */
  delta(before: Scrape, name: string, labels: Record<string, string> = {}): number {
    return this.value(name, labels) - before.value(name, labels);
  }

  names(): Set<string> {
    return new Set([...this.declared, ...[...this.samples.keys()].map((key) => key.slice(0, key.indexOf('[')))]);
  }
}
