// Plain words for a rotation plan and its report: what the CLI prints and what the report file
// holds beside its JSON. Public facts only.
import type { RotationPlan } from '../../shared/contract/lifecycle';

export interface RotationReport {
  id: string | null;
  status: string;
  oldKey: { path: string; fingerprint: string; archivedTo: string[] };
  newKey: { path: string; publicPath: string; fingerprint: string; publicKey: string } | null;
  changes: Array<{ where: string; what: string }>;
  todo: string[];
  waitingFor: string | null;
  stateFile: string | null;
  reportFile: string | null;
}

export function renderPlan(plan: RotationPlan): string {
  const o = plan.oldKey;
  const lines: string[] = [];
  lines.push(`Rotate ${o.path}`);
  lines.push(`  old key: ${o.type} ${o.bits} bits ${o.fingerprint}${o.comment ? ` (${o.comment})` : ''}${o.findings.length ? ` — flagged: ${o.findings.join(', ')}` : ''}`);
  lines.push(`  new key: ${plan.newKey.type}${plan.newKey.bits ? ` ${plan.newKey.bits} bits` : ''} at ${plan.newKey.path} (${plan.newKey.reason}), with a passphrase`);
  lines.push('', 'Where the old key is used:');
  const none = (list: unknown[]) => (list.length ? null : '    (none)');
  lines.push('  SSH config:');
  for (const c of plan.configLines) lines.push(`    ${c.file}:${c.line} [${c.block}]`, `      - ${c.text.trim()}`, `      + ${c.replacement.trim()}`);
  if (none(plan.configLines)) lines.push(none(plan.configLines) as string);
  lines.push('  Servers (authorized_keys):');
  for (const s of plan.servers) lines.push(`    ${s.label} → ${s.user}@${s.hostname}:${s.port}${s.source === 'option' ? ' (--server)' : ''}`);
  if (none(plan.servers)) lines.push(none(plan.servers) as string);
  lines.push('  Git hosts (you add the key on their page, KeyDock tests it):');
  for (const g of plan.gitHosts) lines.push(`    ${g.name} via ${g.alias}: ${g.addKeyUrl}`);
  if (none(plan.gitHosts)) lines.push(none(plan.gitHosts) as string);
  lines.push(`  Agents holding it: ${plan.agents.length ? plan.agents.map((a) => a.label).join(', ') : 'none'}`);
  lines.push(`  Passphrase remembered in the keychain: ${plan.remembered ? 'yes (the new one will be too)' : 'no'}`);
  lines.push(`  Git signing key: ${plan.gitSigning ? `${plan.gitSigning.current} → ${plan.gitSigning.replacement}` : 'not this key'}`);
  lines.push(`  Known hosts: ${plan.knownHosts.note}`);
  for (const h of plan.knownHosts.hosts) lines.push(`    ${h.names.length ? h.names.join(', ') : h.hostKey} (last ${h.lastUsed.slice(0, 10)})${h.covered ? '' : ' — not covered by this plan'}`);
  lines.push(`  The old key pair goes to ${plan.archiveDir} (never deleted).`);
  if (plan.notes.length) {
    lines.push('', 'Notes:');
    for (const n of plan.notes) lines.push(`  - ${n}`);
  }
  lines.push('', 'Steps:');
  plan.steps.forEach((s, i) => lines.push(`  ${String(i + 1).padStart(2)}. ${s.title}  [${s.id}]`));
  return lines.join('\n');
}

export function renderReport(r: RotationReport): string {
  const lines: string[] = [];
  const status: Record<string, string> = {
    done: 'done',
    waiting: 'waiting for you',
    failed: 'stopped by an error',
    'rolled-back': 'rolled back',
    'rolling-back': 'rollback unfinished',
    'in-progress': 'unfinished',
  };
  lines.push(`Rotation ${r.id ?? ''}: ${status[r.status] ?? r.status}`.trim());
  lines.push(`  old key: ${r.oldKey.path} ${r.oldKey.fingerprint}${r.oldKey.archivedTo.length ? ` → archived to ${r.oldKey.archivedTo.join(', ')}` : ''}`);
  if (r.newKey) lines.push(`  new key: ${r.newKey.path} ${r.newKey.fingerprint}`, `  public key: ${r.newKey.publicKey}`);
  if (r.waitingFor) lines.push('', r.waitingFor);
  lines.push('', 'What changed:');
  if (r.changes.length === 0) lines.push('  (nothing)');
  for (const c of r.changes) lines.push(`  - ${c.where}: ${c.what}`);
  if (r.todo.length) {
    lines.push('', 'Still to do by you:');
    for (const t of r.todo) lines.push(`  - ${t}`);
  }
  if (r.stateFile) lines.push('', `State: ${r.stateFile}`);
  if (r.reportFile) lines.push(`Report: ${r.reportFile}`);
  return lines.join('\n');
}
