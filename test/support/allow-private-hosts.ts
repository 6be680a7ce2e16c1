/**
 * Setup file of the integration project: the test Dovecot, the brand simulator and the
 * SMTP peers of the tests listen on loopback, which the service refuses by default
 * (`SONDE_ALLOW_PRIVATE_HOSTS`). Tests of the refusal itself pass their own policy.
 */
import { setHostPolicy } from '../../src/mail/host-guard.ts';

setHostPolicy({ allowPrivateHosts: true });
process.env.SONDE_ALLOW_PRIVATE_HOSTS = 'true';
