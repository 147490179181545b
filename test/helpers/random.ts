/** Seeded draws for property tests: the mock's own generator, so both fail the same way every time. */
export { seededRandom as seeded } from '../../core/runtime/random.js';
