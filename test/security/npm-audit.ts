/**
 * `npm audit --omit=dev --audit-level=high --json`, read: what ships (no dev dependencies)
 * must have no advisory of high or critical severity. The advisory service is remote and
 * may be unreachable, or missing behind a registry mirror (which answers 404/405 to
 * npm's bulk-advisory request); then there is no verdict, only a reason to skip.
 */
import { execFile } from 'node:child_process';

export type AuditVerdict =
  | { kind: 'clean'; counts: Record<string, number> }
  | { kind: 'vulnerable'; findings: string[] }
  | { kind: 'unavailable'; reason: string };

const BLOCKING = new Set(['high', 'critical']);

interface AuditJson {
  message?: string;
  statusCode?: number;
  code?: string;
  error?: { code?: string; summary?: string; detail?: string } | string;
  metadata?: { vulnerabilities?: Record<string, number> };
  vulnerabilities?: Record<string, { name: string; severity: string; via: unknown[]; fixAvailable?: unknown }>;
}

/** The verdict from npm's JSON output (stdout). */
export function auditVerdict(stdout: string): AuditVerdict {
  let json: AuditJson;
  try {
    json = JSON.parse(stdout) as AuditJson;
  } catch {
    return { kind: 'unavailable', reason: `npm audit printed no JSON: ${stdout.slice(0, 200).trim() || '(nothing)'}` };
  }
  if (!json.metadata?.vulnerabilities) {
    const error = typeof json.error === 'string' ? json.error : json.error?.summary || json.error?.code;
    const why = [json.statusCode, json.code, json.message, error].filter((x) => x !== undefined && x !== '').join(' ');
    return { kind: 'unavailable', reason: `the advisory service did not answer: ${why || 'no report'}` };
  }
  const findings = Object.values(json.vulnerabilities ?? {})
    .filter((v) => BLOCKING.has(v.severity))
    .map((v) => `${v.name} (${v.severity}${v.fixAvailable ? ', fix available' : ''})`);
  return findings.length > 0 ? { kind: 'vulnerable', findings } : { kind: 'clean', counts: json.metadata.vulnerabilities };
}

/** Runs the audit in `cwd`; npm exits 1 when it finds something, so the exit code is not the verdict. */
export function runAudit(cwd: string, timeoutMs = 60_000): Promise<AuditVerdict> {
  return new Promise((resolve) => {
    execFile('npm', ['audit', '--omit=dev', '--audit-level=high', '--json'], { cwd, timeout: timeoutMs, maxBuffer: 32 * 1024 * 1024 }, (err, stdout) => {
      if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') return resolve({ kind: 'unavailable', reason: 'npm is not on the PATH' });
      if (err?.killed) return resolve({ kind: 'unavailable', reason: `npm audit did not finish within ${timeoutMs} ms` });
      resolve(auditVerdict(stdout));
    });
  });
}
