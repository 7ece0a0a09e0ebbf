import type { MetadataUpcaster } from '../core/upcasters.js';

/**
 * Before identities, every request acted as `admin` (the one token there was) and workers as `worker <instance>`.
 * Today's actors always carry a kind (`user:`, `token:`, `worker:`) or are `scheduler`, so the old names are
 * recognised by value: `admin` reads as the bootstrap token `token:admin`, `worker <id>` as `worker:<id>`.
 */
export const LEGACY_ACTORS: MetadataUpcaster = {
  metadata(metadata) {
    if (metadata.actor === 'admin') return { ...metadata, actor: 'token:admin' };
    if (metadata.actor.startsWith('worker ')) return { ...metadata, actor: `worker:${metadata.actor.slice('worker '.length)}` };
    return metadata;
  },
};
