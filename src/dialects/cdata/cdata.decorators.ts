import { applyDecorators, UseFilters, UseGuards, UsePipes } from '@nestjs/common';
import { ApiBearerAuth, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { AdminTokenGuard } from '../../http/admin-token.guard.js';
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

/** What every CData Sync v2 controller shares: admin token, its error shape, case-insensitive bodies. */
export const CDataController = (tag: string) =>
  applyDecorators(
    ApiTags(tag),
    ApiSecurity('x-cdata-authtoken'),
    ApiBearerAuth(),
    UseGuards(AdminTokenGuard),
    UseFilters(JsonErrorFilter),
    UsePipes(bodyPipe),
  );
