import { DomainError } from '../core/errors.js';
import { isRole, ROLES, type Role } from './roles.js';

/** A non-empty set of known roles, each once, in the order given. */
export function checkRoles(roles: unknown): Role[] {
  if (!Array.isArray(roles) || roles.length === 0 || !roles.every(isRole)) {
    throw new DomainError('VALIDATION', `roles must be a non-empty list of ${ROLES.join(', ')}`, 'roles');
  }
  return [...new Set(roles)];
}
