import { pipeline } from 'node:stream/promises';
import { Controller, Get, Inject, Post, Req, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiOperation, ApiParam } from '@nestjs/swagger';
import type { Response } from 'express';
import { DomainError } from '../../core/errors.js';
import { FILE_STORE, type FileStore } from '../../core/file-store.js';
import type { CommandContext } from '../../core/write-path.js';
import type { DataSyncKind } from '../../datasyncs/datasync.model.js';
import { LaunchDataSyncUpload } from '../../datasyncs/datasyncs.commands.js';
import { type DataSyncView, DataSyncLaunches, LaunchFile } from '../../datasyncs/datasyncs.queries.js';
import { Ctx } from '../../http/command-context.js';
import type { Executed } from '../../runs/runs.commands.js';
import { GetRun } from '../../runs/runs.queries.js';
import { type RunDoc, runNumberOf } from '../../runs/runs.read-model.js';
import { receiveFile } from './prisma-upload.js';
import { ApiCsv, ApiNegotiated, ApiPrismaErrors, ApiText, ApiUpload, DataSyncIdParam, OPERATE_DATASYNC, PrismaController } from './prisma.decorators.js';
import { dataSyncOf, type PrismaRequest } from './prisma.guard.js';
import { LATEST_LAUNCHES, sendNegotiated, toPrismaLaunch, toPrismaStatus } from './prisma.mapping.js';

const FIELD = 'file';
/** Said on every route, before the access the route declares. */
const AUTH = 'Open without a credential unless the data sync has `auth` on; then HTTP Basic `api:<a token of the data sync>`, or an unscoped Operator token (Basic password or Bearer); anything else is a 403.';
const LAUNCH = { id: 1042, status: 'cancelled', 'scheduled-time': '2022-01-14T20:00:00', 'status-message': 'Cancelled by user: admin@prismacampaigns.com' };
const WRONG_KIND: [number, string, string] = [400, 'The data sync is an import or a delete', 'Data sync 0b6e3c55-… is an import, not an export: send its file to POST /api/data-sync/import/0b6e3c55-…'];

/** The route of a data sync's own kind, for the 400 of a route of another kind. */
const routeOf = (view: DataSyncView) =>
  view.kind === 'export' ? `GET /api/data-sync/export/${view.id} answers its latest export` : `send its file to POST /api/data-sync/${view.kind}/${view.id}`;

const a = (kind: DataSyncKind) => `${kind === 'delete' ? 'a' : 'an'} ${kind}`;

function ofKind(view: DataSyncView, kind: DataSyncKind): void {
  if (view.kind !== kind) throw new DomainError('VALIDATION', `Data sync ${view.id} is ${a(view.kind)}, not ${a(kind)}: ${routeOf(view)}`);
}

/**
 * Prisma Campaigns' data sync API: CSV uploads that launch an import or a delete, the latest export, a data
 * sync's status and latest launches (EDN by default), and the file of any launch.
 */
@PrismaController('Prisma Campaigns: data syncs', {
  importFile: OPERATE_DATASYNC,
  deleteFile: OPERATE_DATASYNC,
  latestExport: OPERATE_DATASYNC,
  status: OPERATE_DATASYNC,
  latestLaunches: OPERATE_DATASYNC,
  download: OPERATE_DATASYNC,
})
@Controller('api/data-sync')
export class PrismaDataSyncController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    @Inject(FILE_STORE) private readonly files: FileStore,
  ) {}

  @Post('import/:datasync_id')
  @ApiOperation({
    summary: 'Upload a CSV and launch an import of it: rows upserted by the key columns',
    description: `Body: multipart/form-data with the CSV in the field \`${FIELD}\`, streamed to the file store as it arrives (at most SLUICE_MAX_UPLOAD_MB). ${AUTH}`,
  })
  @DataSyncIdParam()
  @ApiUpload()
  @ApiText(200, 'The launch is queued (behind the active one, if any: launches of a data sync run one at a time, in order)', 'File queued')
  @ApiPrismaErrors(
    [400, 'No file in the field `file`, not a form, or a data sync of another kind', 'The form has no field "file": send the CSV as multipart/form-data in the field "file" (curl -F file=@data.csv)'],
    [409, 'The data sync is disabled, or 20 files already wait behind its active launch: nothing is stored', 'Data sync 0b6e3c55-… has a launch running and 20 files waiting; send the file again once one has ended'],
    [413, 'The file is larger than SLUICE_MAX_UPLOAD_MB: nothing is stored', 'The file is larger than 512 MB (SLUICE_MAX_UPLOAD_MB)'],
  )
  importFile(@Req() req: PrismaRequest, @Res() res: Response, @Ctx() ctx: CommandContext) {
    return this.upload('import', req, res, ctx);
  }

  @Post('delete/:datasync_id')
  @ApiOperation({
    summary: 'Upload a CSV and launch a delete of the rows it names (by the key columns)',
    description: `Body: multipart/form-data with the CSV in the field \`${FIELD}\`, as for imports. ${AUTH}`,
  })
  @DataSyncIdParam()
  @ApiUpload()
  @ApiText(200, 'The launch is queued (behind the active one, if any)', 'File queued')
  @ApiPrismaErrors(
    [400, 'No file in the field `file`, not a form, or a data sync of another kind', 'Data sync 0b6e3c55-… is an import, not a delete: send its file to POST /api/data-sync/import/0b6e3c55-…'],
    [409, 'The data sync is disabled, or 20 files already wait behind its active launch: nothing is stored', 'Data sync 0b6e3c55-… has a launch running and 20 files waiting; send the file again once one has ended'],
    [413, 'The file is larger than SLUICE_MAX_UPLOAD_MB: nothing is stored', 'The file is larger than 512 MB (SLUICE_MAX_UPLOAD_MB)'],
  )
  deleteFile(@Req() req: PrismaRequest, @Res() res: Response, @Ctx() ctx: CommandContext) {
    return this.upload('delete', req, res, ctx);
  }

  @Get('export/:datasync_id')
  @ApiOperation({ summary: 'The CSV of the latest export launch that finished successfully', description: AUTH })
  @DataSyncIdParam()
  @ApiCsv('The CSV; cells starting with = + - @, a tab or a carriage return are prefixed with a quote')
  @ApiPrismaErrors(WRONG_KIND)
  async latestExport(@Req() req: PrismaRequest, @Res() res: Response) {
    const view = dataSyncOf(req);
    ofKind(view, 'export');
    const { run, file }: { run: RunDoc; file: string | null } = await this.queries.execute(new LaunchFile(view.id, 'latest-export'));
    await this.sendCsv(res, run, file);
  }

  @Get(':datasync_id')
  @ApiOperation({ summary: "A data sync's status: enabled or disabled, its latest launch (of any kind) and its next scheduled one", description: AUTH })
  @DataSyncIdParam()
  @ApiNegotiated('The status', { name: 'Datasync Name', status: 'enabled', 'latest-launch': LAUNCH, 'next-launch': '2022-01-17T13:00:00' })
  @ApiPrismaErrors()
  status(@Req() req: PrismaRequest, @Res() res: Response) {
    sendNegotiated(req, res, toPrismaStatus(dataSyncOf(req)));
  }

  @Get(':datasync_id/latest-launches')
  @ApiOperation({ summary: `The data sync's latest launches of any kind, newest first: at most ${LATEST_LAUNCHES}`, description: AUTH })
  @DataSyncIdParam()
  @ApiNegotiated('The launches', [LAUNCH, { id: 1041, status: 'finished', 'scheduled-time': '2022-01-13T20:00:00', 'started-at': '2022-01-13T20:00:01' }])
  @ApiPrismaErrors()
  async latestLaunches(@Req() req: PrismaRequest, @Res() res: Response) {
    const { items } = await this.queries.execute(new DataSyncLaunches(dataSyncOf(req).id, LATEST_LAUNCHES));
    sendNegotiated(req, res, (items as RunDoc[]).map(toPrismaLaunch));
  }

  @Get(':datasync_id/:launch_id/download')
  @ApiOperation({ summary: "A launch's CSV, old ones too: the file uploaded for an import or delete, the file written by an export", description: AUTH })
  @DataSyncIdParam()
  @ApiParam({ name: 'launch_id', description: 'The launch id (`id` in latest-launches)', example: 1042 })
  @ApiCsv('The CSV')
  @ApiPrismaErrors()
  async download(@Req() req: PrismaRequest, @Res() res: Response) {
    const view = dataSyncOf(req);
    const launch = String(req.params.launch_id);
    const number = runNumberOf(launch);
    if (number === undefined) throw new DomainError('LAUNCH.NOT_FOUND', `Data sync ${view.id} has no launch ${launch.slice(0, 40)}`);
    const { run, file }: { run: RunDoc; file: string | null } = await this.queries.execute(new LaunchFile(view.id, number));
    await this.sendCsv(res, run, file);
  }

  /** Hands the form's file to the data sync feature, which stores it and launches the data sync on it. */
  private async upload(kind: DataSyncKind, req: PrismaRequest, res: Response, ctx: CommandContext) {
    const view = dataSyncOf(req);
    ofKind(view, kind);
    const launched: Executed = await this.commands.execute(new LaunchDataSyncUpload(view.id, (target) => receiveFile(req, FIELD, target), ctx));
    // Read your write: the status right after shows this launch.
    if (launched.position) await this.queries.execute(new GetRun(launched.runId!, launched.position));
    res.status(200).type('text/plain').send('File queued');
  }

  private async sendCsv(res: Response, run: RunDoc, file: string | null) {
    const found = file ? await this.files.get(file) : null;
    if (!found) {
      const why = file ? 'its file is no longer stored' : run.status === 'succeeded' ? 'it has no file' : `it has no file: it is ${run.status}`;
      throw new DomainError('LAUNCH.NOT_FOUND', `Launch ${run.number} of data sync ${run.jobId}: ${why}`);
    }
    res.status(200).set({
      'Content-Type': 'text/csv',
      'Content-Length': String(found.file.size),
      'Content-Disposition': `attachment; filename="launch-${run.number}.csv"`,
    });
    await pipeline(found.stream, res);
  }
}
