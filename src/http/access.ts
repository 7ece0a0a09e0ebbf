import { PATH_METADATA } from '@nestjs/common/constants.js';
import { ApiExtension } from '@nestjs/swagger';
import { type Role } from '../identity/roles.js';

/**
 * What a route needs: `Public` (no credential), `Authenticated` (any valid credential, scoped tokens too),
 * a role, or a role on one resource, e.g. `{ role: 'Operator', resource: 'job:{job_id}' }`: a token scoped
 * to that resource (`job:<id>`) may use the route for it, and only for it.
 */
export type Access = 'Public' | 'Authenticated' | Role | { role: Role; resource: string };

export const ACCESS = 'sluice:access';
/** The OpenAPI extension each operation carries with the access it needs. */
export const ACCESS_EXTENSION = 'x-sluice-access';

/**
 * Declares, in one place per controller, what each of its routes needs. A route left out, or a name that
 * is no route, throws when the controller's file loads, so a new route cannot ship without a declared role.
 */
export function Roles(access: Record<string, Access>): ClassDecorator {
  return (target) => {
    const proto = target.prototype as Record<string, object>;
    const routes = Object.getOwnPropertyNames(proto).filter((name) => name !== 'constructor' && Reflect.hasMetadata(PATH_METADATA, proto[name]));
    const missing = routes.filter((route) => !(route in access));
    const unknown = Object.keys(access).filter((name) => !routes.includes(name));
    if (missing.length || unknown.length) {
      throw new Error(`${target.name} must declare the role of each route: missing [${missing.join(', ')}], not routes [${unknown.join(', ')}]`);
    }
    for (const [name, needed] of Object.entries(access)) {
      Reflect.defineMetadata(ACCESS, needed, proto[name]);
      ApiExtension(ACCESS_EXTENSION, needed)(proto, name, Object.getOwnPropertyDescriptor(proto, name)!);
    }
  };
}

/** The role an access needs, if any. */
export const roleOf = (access: Access): Role | undefined =>
  typeof access === 'object' ? access.role : access === 'Public' || access === 'Authenticated' ? undefined : access;

/** Says in words what an access needs, for Swagger descriptions and 403 messages. */
export function describeAccess(access: Access): string {
  if (access === 'Public') return 'No credential needed.';
  if (access === 'Authenticated') return 'Any valid credential (scoped tokens too).';
  if (typeof access === 'object') return `Needs the ${access.role} role; a token with it that is scoped to ${access.resource} may use it for that resource only.`;
  return `Needs the ${access} role.`;
}
