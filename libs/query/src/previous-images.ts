import { parseStoredJson, stringifyStoredJson } from '@threadline/core';
import { DataSource } from 'typeorm';
import { AuditChange } from './audit-change';
import { needsPreviousImage } from './change-diff';
import { ChangesQuery } from './changes-query';
import { pageBytes } from './page';

/** Previous images by change id; `cut`, when set, is the index of the first change left without its image. */
export type PreviousImages = Map<string, Record<string, unknown> | null> & { cut?: number };

/**
 * For each change whose diff reads it (needsPreviousImage), the row's image just before it, in one query, until the
 * images fill `maxBytes` (see AuditQueryService.previousImages).
 */
export async function readPreviousImages(
  dataSource: DataSource,
  query: ChangesQuery,
  changes: AuditChange[],
  maxBytes?: number,
): Promise<PreviousImages> {
  const budget = pageBytes(maxBytes);
  const wanted = changes.filter(needsPreviousImage);
  const images: PreviousImages = new Map();
  if (!wanted.length) return images;
  const rows: { id: string; image: string | null; cut: boolean }[] = await dataSource.query(query.previousImages(), [
    wanted.map((c) => c.id),
    wanted.map((c) => c.table_schema),
    wanted.map((c) => c.table_name),
    wanted.map((c) => stringifyStoredJson(c.previous_pk ?? c.table_pk)),
    budget,
  ]);
  for (const r of rows) {
    if (r.cut) {
      images.cut = changes.findIndex((c) => c.id === r.id);
      break;
    }
    images.set(r.id, r.image === null ? null : parseStoredJson<Record<string, unknown>>(r.image));
  }
  return images;
}
