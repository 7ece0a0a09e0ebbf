/** Viewer reads; Operator also changes tasks, runs, executes, cancels and uploads; Administrator does everything. */
export const ROLES = ['Viewer', 'Operator', 'Administrator'] as const;
export type Role = (typeof ROLES)[number];

const RANK: Record<Role, number> = { Viewer: 0, Operator: 1, Administrator: 2 };

export const isRole = (value: unknown): value is Role => typeof value === 'string' && value in RANK;

/** Whether holding `roles` is enough for a route that needs `needed` (each role includes the ones below it). */
export const allows = (roles: readonly Role[], needed: Role): boolean => roles.some((role) => RANK[role] >= RANK[needed]);

