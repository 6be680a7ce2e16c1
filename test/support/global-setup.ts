// Filled in by the test harness work: starts Dovecot and prepares the template database.
export default async function setup(): Promise<void> {}
