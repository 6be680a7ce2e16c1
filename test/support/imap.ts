export * from '../../src/devtools/imap.ts';
