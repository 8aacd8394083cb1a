// Reads /metrics output through a Prometheus text-format parser (never regexes), and looks
// samples up by name and labels.

import parsePrometheusTextFormat, { type PromFamily, type PromSample } from "parse-prometheus-text-format";

export class Scrape {
  readonly families: PromFamily[];
  constructor(text: string) {
    this.families = parsePrometheusTextFormat(text);
  }

  family(name: string): PromFamily | undefined {
    return this.families.find((f) => f.name === name);
  }

  /** The sample of `name` whose labels include `labels`; undefined when there is none. */
  sample(name: string, labels: Record<string, string> = {}): PromSample | undefined {
    return this.family(name)?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  }

  /** A counter's or gauge's value (0 when the series does not exist yet). */
  value(name: string, labels: Record<string, string> = {}): number {
    const s = this.sample(name, labels);
    return s?.value === undefined ? 0 : Number(s.value);
  }

  /** The sum of the values of every series of `name` matching `labels`. */
  total(name: string, labels: Record<string, string> = {}): number {
    return (this.family(name)?.metrics ?? [])
      .filter((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))
      .reduce((sum, m) => sum + Number(m.value ?? 0), 0);
  }

  /** A histogram's number of observations. */
  count(name: string, labels: Record<string, string> = {}): number {
    return Number(this.sample(name, labels)?.count ?? 0);
  }
}

export async function scrape(url: string): Promise<Scrape> {
  const res = await fetch(url);
  if (res.status !== 200) throw new Error(`${url}: HTTP ${res.status}`);
  return new Scrape(await res.text());
}
