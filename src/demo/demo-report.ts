/** The demo's last step: the campaign's PDF report, asked of the demo's own API and written to a folder of its own. */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { countPdfPages } from '../web/pdf.ts';

export async function writeDemoReport(apiUrl: string, adminKey: string, campaignId: string, dir?: string): Promise<{ path: string; pages: number | null }> {
  const response = await fetch(`${apiUrl}/v1/campaigns/${campaignId}/report?format=pdf`, { headers: { authorization: `Bearer ${adminKey}` } });
  if (!response.ok) throw new Error(`the report of the demo campaign failed: ${response.status} ${await response.text()}`);
  const pdf = Buffer.from(await response.arrayBuffer());
  const filename = /filename="([^"]+)"/.exec(response.headers.get('content-disposition') ?? '')?.[1] ?? 'report.pdf';
  const folder = dir ?? (await mkdtemp(join(tmpdir(), 'sonde-demo-report-')));
  const path = join(folder, filename);
  await writeFile(path, pdf);
  return { path, pages: countPdfPages(pdf) };
}
