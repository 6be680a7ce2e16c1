// A worker thread that parses fetched messages (the CPU-heavy part of a sync), so that
// parsing uses a second core while the main thread matches and stores. TypeScript is
// loaded through tsx, as in the main thread.
import { register } from 'tsx/esm/api';
import { parentPort } from 'node:worker_threads';

register();
const { prepareMessage } = await import('./prepare-message.ts');

parentPort.on('message', async ({ id, messages, maxBytes }) => {
  try {
    const prepared = await Promise.all(messages.map((m) => prepareMessage({ ...m, source: Buffer.from(m.source) }, maxBytes)));
    parentPort.postMessage({ id, prepared });
  } catch (err) {
    parentPort.postMessage({ id, error: err instanceof Error ? err.message : String(err) });
  }
});
parentPort.postMessage({ ready: true });
