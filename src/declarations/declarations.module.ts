import { Module } from '@nestjs/common';
import { DeclaredSources } from './declared-sources.js';

@Module({ providers: [DeclaredSources] })
export class DeclarationsModule {}
