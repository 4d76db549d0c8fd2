import { DynamicModule, Global, Module } from '@nestjs/common';
import { Environment } from './environment';

/** Makes the boot-validated Environment injectable everywhere (typed access, no string keys). */
@Global()
@Module({})
export class EnvironmentModule {
  static forRoot(environment: Environment): DynamicModule {
    return { module: EnvironmentModule, providers: [{ provide: Environment, useValue: environment }], exports: [Environment] };
  }
}
