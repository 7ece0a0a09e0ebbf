import type { Upcaster } from '../core/upcasters.js';
import { maskedForm, needsSealing } from '../core/secrets.js';

/**
 * Schema version 1 of ConnectionCreated and ConnectionUpdated held secrets in plain text. Version 2 holds each
 * secret as a value object: sealed ({ sealed, masked }) when written, or marked plain ({ plain, masked }) here,
 * so old events still open their connections and every answer masks them like sealed ones.
 */
const markPlainSecrets = (type: string): Upcaster => ({
  type,
  fromVersion: 1,
  up({ data, metadata }) {
    const { settings, ...rest } = data as { settings?: Record<string, unknown> };
    if (!settings || typeof settings !== 'object') return { data, metadata };
    const marked = Object.fromEntries(
      Object.entries(settings).map(([key, value]) => [key, needsSealing(key, value) ? { plain: value, masked: maskedForm(key, value) } : value]),
    );
    return { data: { ...rest, settings: marked }, metadata };
  },
});

export const CONNECTION_UPCASTERS: Upcaster[] = [markPlainSecrets('ConnectionCreated'), markPlainSecrets('ConnectionUpdated')];
