/**
 * What every section of the server bench shares: medians of interleaved
 * rounds (A, B, A, B…), quantiles, the ratio table and op builders.
 */
import { uuidv7 } from "@syncline/client";
import type { Op } from "@syncline/protocol";

/** Rounds each A/B pair runs (`BENCH_ROUNDS`, default 3). */
export const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

/** Scales every section's size (`BENCH_SCALE`, default 1; 0.1 for a quick look). */
export const SCALE = Number(process.env.BENCH_SCALE ?? 1);

/** The value at quantile `q` of ascending `sorted`. */
export function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

/** The median of `values` (any order). */
export function median(values: readonly number[]): number {
  return quantile(
    [...values].sort((a, b) => a - b),
    0.5,
  );
}

/**
 * Runs `syncline` and `raw` alternately, `rounds` times each (A, B, A, B…),
 * and returns each side's results in round order. With `warmUp`, each side
 * first runs once unmeasured, so neither side's median holds a round of
 * cold code (JIT, caches, pool connections).
 */
export async function interleave<T>(
  syncline: () => Promise<T>,
  raw: () => Promise<T>,
  { rounds = ROUNDS, warmUp = false }: { rounds?: number; warmUp?: boolean } = {},
): Promise<{ syncline: T[]; raw: T[] }> {
  if (warmUp) {
    await syncline();
    await raw();
  }
  const results = { syncline: [] as T[], raw: [] as T[] };
  for (let round = 0; round < rounds; round++) {
    results.syncline.push(await syncline());
    results.raw.push(await raw());
  }
  return results;
}

/** One line of the ratio table. */
export interface RatioRow {
  path: string;
  syncline: string;
  raw: string;
  ratio: string;
}

const rows: RatioRow[] = [];

/** Adds a line to the table {@link printTable} prints, and logs it at once. */
export function report(row: RatioRow): void {
  rows.push(row);
  console.log(`  ${row.path}: ${row.syncline} vs ${row.raw} (${row.ratio})`);
}

/** Prints every reported line as one Markdown table. */
export function printTable(): void {
  const header: RatioRow = {
    path: "path",
    syncline: "Syncline",
    raw: "raw baseline, same run",
    ratio: "ratio",
  };
  const all = [header, ...rows];
  const width = (key: keyof RatioRow) => Math.max(...all.map((row) => row[key].length));
  const line = (row: RatioRow) =>
    `| ${(["path", "syncline", "raw", "ratio"] as const).map((key) => row[key].padEnd(width(key))).join(" | ")} |`;
  console.log(`\n${line(header)}`);
  console.log(
    `|${(["path", "syncline", "raw", "ratio"] as const).map((key) => "-".repeat(width(key) + 2)).join("|")}|`,
  );
  for (const row of rows) console.log(line(row));
}

/**
 * Reports the medians of interleaved rates (higher is better) as one line:
 * `12.3k` each and the ratio Syncline / raw.
 */
export function ratioRow(
  path: string,
  baseline: string,
  rates: { syncline: number[]; raw: number[] },
): void {
  const syncline = median(rates.syncline);
  const raw = median(rates.raw);
  report({
    path,
    syncline: thousands(syncline),
    raw: `${baseline} ${thousands(raw)}`,
    ratio: (syncline / raw).toFixed(2),
  });
}

/** `12345.6` → `"12.3k"`. */
export function thousands(value: number): string {
  return `${(value / 1000).toFixed(1)}k`;
}

/**
 * `count` upserts of one device, `lamport_ts` from `firstLamport`, over
 * `entities` entities of 5 fields, with small values (a rating, a title),
 * and UUIDv7 operation ids, as Syncline's client makes them.
 */
export function upserts(count: number, firstLamport = 1, entities = 5000): Op[] {
  return Array.from({ length: count }, (_, i) => ({
    operation_id: uuidv7(),
    lamport_ts: firstLamport + i,
    entity_type: "track",
    entity_id: `t${i % entities}`,
    op: "upsert" as const,
    field: ["rating", "title", "artist", "album", "plays"][i % 5]!,
    value: i % 5 === 1 ? `Track title ${i}` : i % 100,
  }));
}

/** Waits `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
