export * from '../../src/devtools/dovecot.ts';
