// Entry for the TypeORM CLI (`npm run migrate*`); it needs only DATABASE_URL.
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from './data-source-options';

const url = process.env.DATABASE_URL;
if (!url || !/^postgres(ql)?:\/\//.test(url)) {
  process.stderr.write('Invalid configuration: DATABASE_URL: must be a postgres:// URL\n');
  process.exit(78);
}

export default new DataSource(dataSourceOptions(url, 'orchestrator-migrate'));
