/**
 * The three files of a report on disk: written into a folder (CLI --out), or kept under an id for
 * REST's GET /reports/{id}/… (each file written atomically, the folder renamed into place, so an
 * id is served whole or not at all; the caller's id beside them).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../store/atomic-file.ts';
import type { WrittenReport } from './writer.ts';

export const REPORT_FILES = { json: 'report.json', markdown: 'report.md', png: 'report.png' } as const;
export type ReportFile = keyof typeof REPORT_FILES;

const REPORT_ID = /^rep-[0-9a-z]{8,12}-[0-9a-f]{12}$/;

export function newReportId(now = Date.now()): string {
  return `rep-${now.toString(36)}-${randomBytes(6).toString('hex')}`;
}

/** Writes report.json, report.md and report.png into `dir` (created), each atomically. */
export function writeReportFiles(dir: string, written: WrittenReport): void {
  mkdirSync(dir, { recursive: true });
  writeFileAtomic(join(dir, REPORT_FILES.json), `${JSON.stringify(written.report, null, 2)}\n`);
  writeFileAtomic(join(dir, REPORT_FILES.markdown), written.markdown);
  writeFileAtomic(join(dir, REPORT_FILES.png), written.png);
}

/** Keeps a report under a new id in `root`; returns the id. */
export function storeReport(root: string, written: WrittenReport, callerId: string | undefined): string {
  const reportId = newReportId();
  const tmp = join(root, `.${reportId}.tmp`);
  try {
    writeReportFiles(tmp, written);
    writeFileAtomic(join(tmp, 'owner.json'), JSON.stringify({ caller_id: callerId ?? null, subject: written.report.id }));
    renameSync(tmp, join(root, reportId));
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  return reportId;
}

/** One file of a kept report and whose it is; undefined for an unknown or malformed id. */
export function readStoredReport(root: string, reportId: string, file: ReportFile): { bytes: Buffer; callerId: string | null } | undefined {
  if (!REPORT_ID.test(reportId)) return undefined;
  const dir = join(root, reportId);
  let owner: { caller_id: string | null };
  try {
    owner = JSON.parse(readFileSync(join(dir, 'owner.json'), 'utf8')) as { caller_id: string | null };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  return { bytes: readFileSync(join(dir, REPORT_FILES[file])), callerId: owner.caller_id };
}
