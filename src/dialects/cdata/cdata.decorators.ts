import { applyDecorators, UseFilters, UseGuards, UsePipes } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { type Access, Roles } from '../../http/access.js';
import { AcceptsCredentials } from '../../http/api-docs.js';
import { AuthGuard } from '../../http/auth.guard.js';
import { Dialect } from '../../http/command-context.js';
import { basic, bearer, tokenHeader, tokenQuery } from '../../http/credentials.js';
import { JsonErrorFilter } from '../../http/error.filter.js';
import { CaseInsensitiveBodyPipe } from '../../http/validation.js';
import { CreateConnectionDto, UpdateConnectionDto } from './connections.dto.js';
import { ConnectionRefDto, CreateJobDto, ExecuteJobDto, MoveTaskDto, ScheduleDto, TaskDto, UpdateJobDto, UpdateTaskDto } from './jobs.dto.js';

const bodyPipe = new CaseInsensitiveBodyPipe([
  CreateConnectionDto,
  UpdateConnectionDto,
  CreateJobDto,
  UpdateJobDto,
  ScheduleDto,
  ConnectionRefDto,
  TaskDto,
  UpdateTaskDto,
  MoveTaskDto,
  ExecuteJobDto,
]);

/** CData's auth token header and query parameter, a bearer token, or Basic: a user's password or any name and a token. */
const CDATA_CREDENTIALS = [tokenHeader('x-cdata-authtoken'), tokenQuery('@authtoken'), bearer, basic({ tokenAsPassword: true })];
const guard = AuthGuard(CDATA_CREDENTIALS);

/** A job's own routes: a token scoped to `job:<id>` may use them for that job. */
export const VIEW_JOB: Access = { role: 'Viewer', resource: 'job:{job_id}' };
export const OPERATE_JOB: Access = { role: 'Operator', resource: 'job:{job_id}' };

/** What every CData Sync v2 controller shares: its credentials, the role of each route, its error shape, case-insensitive bodies. */
export const CDataController = (tag: string, access: Record<string, Access>) =>
  applyDecorators(
    ApiTags(tag),
    Dialect('cdata'),
    AcceptsCredentials('x-cdata-authtoken', '@authtoken', 'bearer', 'basic'),
    Roles(access),
    UseGuards(guard),
    UseFilters(JsonErrorFilter),
    UsePipes(bodyPipe),
  );
