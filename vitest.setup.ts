// fast-check seeds (STYLE §8): CI runs every property with one fixed seed so a red build is
// reproducible; local runs draw a random seed, which fast-check prints with the replay path
// when a property fails. FC_SEED=<n> pins the seed anywhere.
import fc from 'fast-check';

const pinned = process.env['FC_SEED'] ?? (process.env['CI'] === undefined ? undefined : '20261125');
if (pinned !== undefined) fc.configureGlobal({ seed: Number(pinned) });
